"""Population generation: scale 1 (≈0.56 M residents) against scale 0.1 measured in the same run.

Prints wall time, residents/s and peak RSS of each run, and the ratio of the per-resident cost at
scale 1 to scale 0.1 (1.0 = perfectly linear). ``--database-url`` runs it on PostgreSQL instead of a
scratch SQLite file. Usage: ``.venv/bin/python bench/generate_population.py [--scale 1] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cleanup, manage, scratch_env  # noqa: E402


def run(scale: float, database_url: str | None) -> tuple[float, int, int]:
    env, folder = scratch_env(database_url)
    try:
        if database_url:
            manage(env, "flush", "--noinput")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_divisions", "--code", "620103")
        seconds, peak, out = manage(
            env, "generate_population", "--code", "620103", "--scale", str(scale), "--seed", "42"
        )
        residents = int(re.search(r"(\d+) residents in", out).group(1))
        return seconds, peak, residents
    finally:
        cleanup(folder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--baseline-scale", type=float, default=0.1)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    base_s, base_mem, base_n = run(args.baseline_scale, args.database_url)
    full_s, full_mem, full_n = run(args.scale, args.database_url)
    db = "PostgreSQL" if args.database_url else "SQLite"
    print(f"generate_population on {db} (process wall time incl. start-up; peak RSS of the process)")
    print(
        f"  baseline scale {args.baseline_scale}: {base_n:>8} residents {base_s:7.1f} s "
        f"{base_n / base_s:>8.0f} residents/s  peak {base_mem} MiB"
    )
    print(
        f"  scale {args.scale}:          {full_n:>8} residents {full_s:7.1f} s "
        f"{full_n / full_s:>8.0f} residents/s  peak {full_mem} MiB"
    )
    print(f"  per-resident cost ratio (scale {args.scale} / baseline): {(full_s / full_n) / (base_s / base_n):.2f}")


if __name__ == "__main__":
    main()
