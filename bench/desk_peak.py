"""The sampling desk at ten times Qilihe's normal peak: gunicorn + PostgreSQL under locust on loopback.

Qilihe: ~0.56 M people sampled in a 12-hour round with a three-fold peak → 0.56 M / 43,200 s × 3 ≈
39 registrations/s; ten times that is ≈ 390/s. Phase 1 offers ``--rate`` registrations/s (default 500)
from ``--users`` desks for ``--seconds``; phase 2 overloads the server (no wait between requests) to
show load shedding (429/503 with Retry-After, never 500). Both phases retry with the same idempotency
key, and the database is then checked: every acknowledged registration is stored exactly once.

Usage: ``.venv/bin/python bench/desk_peak.py [--rate 500] [--users 100] [--seconds 60]``
(the scratch database ``lianfang_bench_desk`` is dropped and re-created; everything on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
PORT = 8791


def setup(pg: str, scale: float, users: int) -> dict:
    db = "lianfang_bench_desk"
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    os.environ["DATABASE_URL"] = f"{pg.rstrip('/')}/{db}"
    os.environ.setdefault("LIANFANG_VAR_DIR", tempfile.mkdtemp(prefix="lianfang-bench-desk-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_divisions", code="620103", verbosity=0)
    call_command("generate_population", code="620103", scale=scale, seed=42, verbosity=0)
    from rest_framework.authtoken.models import Token

    from lianfang.accounts.models import User
    from lianfang.divisions.models import Division
    from lianfang.registry.models import Resident
    from lianfang.screening.services import desk_create, round_open, site_create

    user = User.objects.create_superuser("bench", password="bench-password-1")
    district = Division.objects.get(code="620103")
    rnd = round_open(actor=user, name="bench round", nodes=[district])
    site = site_create(actor=user, round=rnd, name="bench site", division=district)
    desks = [desk_create(actor=user, site=site, name=f"desk {i}", mode="pool_10").pk for i in range(users)]
    ids = [r.id_number_plain() for r in Resident.objects.exclude(id_hash="").filter(document_type="resident_id")]
    return {"token": Token.objects.create(user=user).key, "desks": desks, "ids": ids, "users": users, "round": rnd.pk}


def run_locust(spec_path: Path, out: Path, users: int, seconds: int, rate_per_user: float | None, tag: str) -> dict:
    csv_prefix = out.with_suffix("")
    env = {**os.environ, "DESK_BENCH_SPEC": str(spec_path), "DESK_BENCH_OUT": str(out)}
    env["DESK_RATE_PER_USER"] = str(rate_per_user if rate_per_user else 1000)
    subprocess.run(
        [
            str(Path(PY).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "desk_locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    stats = {}
    with open(f"{csv_prefix}_stats.csv") as f:
        for row in csv.DictReader(f):
            stats[row["Name"]] = row
    outcome = json.loads(out.read_text())
    reg = stats["register"]
    print(
        f"[{tag}] {users} desks, {seconds} s: {len(outcome['acked']):,} registrations stored "
        f"({len(outcome['acked']) / seconds:,.0f}/s); register p50 {reg['50%']} ms, p99 {reg['99%']} ms; "
        f"requests {reg['Request Count']}, retries after 429/503/drop {outcome['retries']:,}, "
        f"server errors (5xx other than 503) {outcome['server_errors']}, gave up {outcome['gave_up']}",
        flush=True,
    )
    return {
        "acked": outcome["acked"],
        "p50": reg["50%"],
        "p99": reg["99%"],
        "errors": outcome["server_errors"],
        "retries": outcome["retries"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=500.0, help="offered registrations/s in phase 1")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--overload-users", type=int, default=300)
    parser.add_argument("--overload-seconds", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.1, help="population of Qilihe to generate")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    print(f"== desk_peak: 10x Qilihe's peak is ~390 registrations/s; offering {args.rate:.0f}/s", flush=True)
    spec = setup(args.pg, args.scale, max(args.users, args.overload_users))
    folder = Path(tempfile.mkdtemp(prefix="lianfang-desk-peak-"))
    spec_path = folder / "spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {
        **os.environ,
        "LIANFANG_DESK_RATE": "100000/min",
        "LIANFANG_API_RATE": "1000000/min",
        "LIANFANG_DESK_CONCURRENCY": "4",
        "LIANFANG_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "lianfang.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "16",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.5)
        normal = run_locust(
            spec_path, folder / "normal.json", args.users, args.seconds, args.rate / args.users, "10x peak"
        )
        spec["ids"] = spec["ids"][len(normal["acked"]) + args.users * 20 :]
        spec_path.write_text(json.dumps(spec))
        over = run_locust(
            spec_path, folder / "overload.json", args.overload_users, args.overload_seconds, None, "overload"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    from django.db import connection

    acked = sorted(set(normal["acked"]) | set(over["acked"]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT person_key) FROM screening_sample WHERE round_id = %s", [spec["round"]]
        )
        stored, distinct = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM screening_sample WHERE idempotency_key = ANY(%s)", [acked])
        found = cursor.fetchone()[0]
    print("== summary")
    print(
        f"10x peak phase: {len(normal['acked']) / args.seconds:,.0f} registrations/s sustained, "
        f"p50 {normal['p50']} ms, p99 {normal['p99']} ms"
    )
    print(
        f"overload phase: {len(over['acked']) / args.overload_seconds:,.0f} registrations/s, {over['retries']:,} "
        f"shed with 429/503 + Retry-After and retried, {over['errors']} other 5xx"
    )
    print(
        f"records: {len(acked):,} acknowledged, {found:,} of them stored, {len(acked) - found} lost; "
        f"{stored:,} stored in all (requests cut off at the end of a phase are stored without an answer), "
        f"{stored - distinct} duplicated"
    )


if __name__ == "__main__":
    main()
