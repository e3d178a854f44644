"""Helpers for benchmark scripts: a throw-away var/ folder with its own database and keys."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def scratch_env(database_url: str | None = None) -> tuple[dict[str, str], Path]:
    """Environment for a subprocess with a fresh var/ folder (SQLite database and generated keys)."""
    folder = Path(tempfile.mkdtemp(prefix="lianfang-bench-"))
    env = {**os.environ, "LIANFANG_VAR_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "lianfang.settings"}
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env, folder


def manage(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """Run ``manage.py args`` and return (wall seconds, peak RSS of the child in MiB, stdout)."""
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return elapsed, peak_kib // 1024, proc.stdout


def cleanup(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def cpu_count() -> int:
    return os.cpu_count() or 1


__all__ = ["ROOT", "cleanup", "cpu_count", "manage", "resource", "scratch_env"]
