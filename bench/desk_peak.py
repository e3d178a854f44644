"""The sampling desk at ten times Qilihe's normal peak: gunicorn + PostgreSQL under wrk on loopback.

Qilihe: ~0.56 M people sampled in a 12-hour round with a three-fold peak → 0.56 M / 43,200 s × 3 ≈
39 registrations/s; ten times that is ≈ 390/s; the issue's target is ≥ 500/s at p99 < 250 ms.

Phase 1 ("peak") offers ``--rate`` registrations/s from ``--desks`` desks for ``--seconds``; phase 2
("overload") runs ``--overload-desks`` desks without pauses to show load shedding (429/503 with
Retry-After, never another 5xx). The load generator is wrk (Debian package ``wrk``) with
bench/desk_wrk.lua: one wrk thread and one connection per desk, a client idempotency key per
registration, the same key again after 429/503 (waiting Retry-After) or a dropped connection, and a
share ``--replay`` of acknowledged registrations sent once more (a desk that lost the answer). wrk
costs a few percent of one core where locust (Python) took most of one of this machine's two.

Afterwards the database is checked against the desks' logs: every acknowledged registration is
stored exactly once, no person twice, every replay answered with the first answer.

CPU is reported per registration for the server (gunicorn workers), PostgreSQL (the backends of the
bench database; WAL writer and checkpointer not included) and wrk, so the two-core budget shows:
500 registrations/s on 2 cores leaves 4 ms of CPU per registration for all three together.

Usage: ``.venv/bin/python bench/desk_peak.py [--rate 500] [--desks 100] [--seconds 60]
[--workers 3] [--threads 6]`` (the scratch database ``lianfang_bench_desk`` is dropped and
re-created; everything runs on 127.0.0.1). Needs ``wrk`` on the PATH (``apt-get install wrk``).

``--in-process N [--repeat 3] [--scale 0.02]``: no gunicorn and no wrk; N registrations through
Django's test client in this process, alternately through the plain desk view and the DRF view, with
this process's CPU and its PostgreSQL backend's CPU per registration and the ratio of the two views.

``--wsgi N [--repeat 3] [--scale 0.02]``: the same registrations through the WSGI handler itself
(``get_wsgi_application()``, as gunicorn calls it; no test client, whose own work is a fifth of the
figure above), the plain view only, against a baseline in the same run: ``GET /healthz`` through the
same handler and middleware. Run it in two checkouts alternately to compare commits.

``--auth-cost [--scale 0.02]``: what the desk API's token memory saves
(screening.api.views.DeskTokenAuthentication): CPU of a full load (token, user, role assignments,
scope, the visible desk) against the token check that replaces most of them, best of 5 × 300.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
PORT = 8791
DB = "lianfang_bench_desk"
# The figure the last measurement gave (docs/benchmarks.md, locust, loaded machine).
BASELINE_RATE, BASELINE_P99_MS = 25.0, 8600.0
TARGET_RATE, TARGET_P99_MS = 500.0, 250.0


def setup(pg: str, scale: float, desks: int) -> dict:
    """A fresh database with Qilihe at ``scale``, an open round over the district, one site with
    ``desks`` 10-in-1 desks, each with its own volunteer (FIELD_WORK at the district) and API token."""
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    os.environ["DATABASE_URL"] = f"{pg.rstrip('/')}/{DB}"
    os.environ.setdefault("LIANFANG_VAR_DIR", tempfile.mkdtemp(prefix="lianfang-bench-desk-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    call_command("load_divisions", code="620103", verbosity=0)
    call_command("generate_population", code="620103", scale=scale, seed=42, verbosity=0)
    from rest_framework.authtoken.models import Token

    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.accounts.roles import Role
    from lianfang.divisions.models import Division
    from lianfang.registry.models import Resident
    from lianfang.screening.services.rounds import desk_create, round_open, site_create

    admin = User.objects.create_superuser("bench-admin", password="bench-password-1")
    district = Division.objects.get(code="620103")
    rnd = round_open(actor=admin, name="bench round", nodes=[district])
    site = site_create(actor=admin, round=rnd, name="bench site", division=district)
    desk_ids = [desk_create(actor=admin, site=site, name=f"desk {i}", mode="pool_10").pk for i in range(desks)]
    tokens = []
    for i in range(desks):  # one volunteer per desk (FIELD_WORK at the district), as on the day
        worker = User.objects.create_user(f"bench-desk-{i}")  # no password: the token is enough
        RoleAssignment.objects.create(
            user=worker, role=Role.VOLUNTEER, division=district, starts_on=timezone.localdate() - dt.timedelta(days=1)
        )
        tokens.append(Token.objects.create(user=worker).key)
    ids = [r.id_number_plain() for r in Resident.objects.exclude(id_hash="").filter(document_type="resident_id")]
    return {"tokens": tokens, "desks": desk_ids, "ids": ids, "round": rnd.pk}


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for p in processes:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def server_processes(server: subprocess.Popen) -> list[psutil.Process]:
    master = psutil.Process(server.pid)
    return [master, *master.children(recursive=True)]


class CpuSampler(threading.Thread):
    """Samples the CPU time of the bench database's PostgreSQL backends twice a second, so that a
    backend that ends during a phase (connections are recycled after CONN_MAX_AGE) still counts."""

    def __init__(self):
        super().__init__(daemon=True)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()
        self.sample(at_start=True)

    def sample(self, at_start: bool = False) -> None:
        """Backends there at the start count from their CPU time then, later ones from zero."""
        for p in postgres_backends():
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                self.first.setdefault(p.pid, t.user + t.system if at_start else 0.0)
                self.last[p.pid] = t.user + t.system

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.sample()

    def seconds(self) -> float:
        self.stop.set()
        self.join()
        self.sample()
        return sum(self.last[pid] - self.first.get(pid, 0.0) for pid in self.last)


def postgres_backends() -> list[psutil.Process]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB])
        pids = [r[0] for r in cursor.fetchall()]
    out = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            out.append(psutil.Process(pid))
    return out


@dataclass
class Phase:
    """What the desks' logs say of one phase (times in ms)."""

    tag: str
    desks: int
    seconds: int
    acked: list[str] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)  # first send → answer, retries included
    service: list[float] = field(default_factory=list)  # last send → answer (one request)
    refused: int = 0
    shed: int = 0
    retried_after_drop: int = 0
    other_5xx: int = 0
    other: dict = field(default_factory=dict)
    closes: int = 0
    out_of_step: int = 0
    replays: int = 0
    replays_bad: int = 0
    cpu: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.acked) / self.seconds


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def read_logs(folder: Path, phase: Phase) -> Phase:
    for path in folder.glob(f"log.{phase.tag}.*"):
        for line in path.read_text().splitlines():
            kind, key, status, attempts, shed, first, last, done, replayed = line.split()
            status, attempts, shed = int(status), int(attempts), int(shed)
            phase.shed += shed
            phase.retried_after_drop += attempts - 1 - shed
            if status >= 500 and status != 503:
                phase.other_5xx += 1
            if kind == "?":
                phase.out_of_step += 1
            elif kind == "x":
                phase.replays += 1
                phase.replays_bad += not (status == 201 and replayed == "1")
            elif kind == "c":
                phase.closes += 1
            elif status == 201:
                phase.acked.append(key)
                phase.latency.append(float(done) - float(first))
                phase.service.append(float(done) - float(last))
            elif status == 409:
                phase.refused += 1
            else:
                phase.other[status] = phase.other.get(status, 0) + 1
    return phase


def run_wrk(folder: Path, spec: dict, phase: Phase, rate: float, replay: float, server) -> Phase:
    """Run wrk for one phase (one thread and one connection per desk) and read the desks' logs."""
    desks = spec["desks"][: phase.desks]
    env = {
        **os.environ,
        "DESK_WRK_DIR": str(folder),
        "DESK_WRK_TAG": phase.tag,
        "DESK_WRK_DESKS": ",".join(map(str, desks)),
        "DESK_WRK_TOKENS": ",".join(spec["tokens"][: phase.desks]),
        "DESK_WRK_RATE": str(rate / phase.desks if rate else 0),
        "DESK_WRK_REPLAY": str(replay),
    }
    sampler = CpuSampler()
    sampler.start()
    servers = server_processes(server)
    before = (cpu_seconds(servers), os.times())
    wall = time.perf_counter()
    done = subprocess.run(
        [
            "wrk",
            "-t",
            str(phase.desks),
            "-c",
            str(phase.desks),
            "-d",
            f"{phase.seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(ROOT / "bench" / "desk_wrk.lua"),
            f"http://127.0.0.1:{PORT}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - wall
    after = os.times()
    phase.cpu = {
        "server": cpu_seconds(server_processes(server)) - before[0],
        "postgres": sampler.seconds(),
        "wrk": (after.children_user + after.children_system) - (before[1].children_user + before[1].children_system),
        "wall": wall,
    }
    if done.returncode != 0:
        print(done.stdout, done.stderr, flush=True)
    return read_logs(folder, phase)


def report(phase: Phase) -> None:
    n = max(len(phase.acked), 1)
    cpu = phase.cpu
    per = {k: 1000 * cpu[k] / n for k in ("server", "postgres", "wrk")}
    busy = (cpu["server"] + cpu["postgres"] + cpu["wrk"]) / cpu["wall"]
    print(
        f"[{phase.tag}] {phase.desks} desks, {phase.seconds} s: {len(phase.acked):,} registrations acknowledged "
        f"({phase.rate:,.0f}/s); per registration p50 {pct(phase.latency, 0.5):,.0f} ms, "
        f"p99 {pct(phase.latency, 0.99):,.0f} ms (retries included; one request: p50 "
        f"{pct(phase.service, 0.5):,.0f} ms, p99 {pct(phase.service, 0.99):,.0f} ms)",
        flush=True,
    )
    print(
        f"[{phase.tag}] answers 429/503 with Retry-After (retried, same key): {phase.shed:,}; resent after a "
        f"dropped connection: {phase.retried_after_drop:,}; other 5xx: {phase.other_5xx}; refused (409): "
        f"{phase.refused}; other statuses: {phase.other or 'none'}; tubes closed: {phase.closes:,}; "
        f"replays sent: {phase.replays:,}, answered otherwise than the first answer: {phase.replays_bad}; "
        f"answers the client could not match to its submission: {phase.out_of_step}",
        flush=True,
    )
    print(
        f"[{phase.tag}] CPU per registration: server {per['server']:.2f} ms, PostgreSQL {per['postgres']:.2f} ms, "
        f"wrk {per['wrk']:.2f} ms; together {busy:.2f} of the 2 cores busy on average (at this cost two idle "
        f"cores would carry at most ~{2000 / max(sum(per.values()), 0.01):,.0f} registrations/s)",
        flush=True,
    )


def per_item_ms(backend, n: int, run) -> tuple[tuple[float, float, float], object]:
    """``run()`` timed: ``((this process's CPU, the PostgreSQL ``backend``'s CPU, wall) in ms per item
    of ``n``, what ``run`` returned)``."""
    pg0, cpu0, wall0 = sum(backend.cpu_times()[:2]), time.process_time(), time.perf_counter()
    result = run()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    pg = sum(backend.cpu_times()[:2]) - pg0
    return tuple(1000 * x / n for x in (cpu, pg, wall)), result


def in_process(args) -> None:
    """CPU per registration without gunicorn or wrk: Django's test client in this process, one desk
    and its token, ``--in-process`` registrations (ten per tube, each tube closed) after 30 warm-up
    ones, through the plain view (api.views.sample_submit) and, alternately in the same run, through
    the DRF view (the client's Accept header ``application/json, */*`` sends it there): this
    process's CPU (time.process_time) and its PostgreSQL backend's (psutil), per registration."""
    os.environ["LIANFANG_DESK_RATE"] = "1000000/min"  # one desk, no pauses: not the throttle's job here
    spec = setup(args.pg, args.scale, 1)
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {spec['tokens'][0]}")
    ids = iter(spec["ids"])
    state = {"seq": 0, "tube": 0, "in_tube": 0}
    paths = {"plain view": {}, "DRF view": {"HTTP_ACCEPT": "application/json, */*"}}

    def post(kind: str, value: str, extra: dict) -> int:
        state["seq"] += 1
        body = {"desk": spec["desks"][0], "kind": kind, "value": value, "tube": f"ip-{state['tube']}"}
        r = client.post(
            "/api/v1/screening/samples/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"inproc-{state['seq']}",
            **extra,
        )
        return r.status_code

    def register(n: int, extra: dict) -> dict:
        codes: dict[int, int] = {}
        for _ in range(n):
            code = post("scan", next(ids), extra)
            codes[code] = codes.get(code, 0) + 1
            state["in_tube"] += 1
            if state["in_tube"] == 10:
                post("close", f"BIP{state['tube']:06d}", extra)
                state["tube"] += 1
                state["in_tube"] = 0
        return codes

    for extra in paths.values():
        register(30, extra)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])
    best: dict[str, tuple] = {}
    for _ in range(args.repeat):
        for name, extra in paths.items():
            got, codes = per_item_ms(backend, args.in_process, lambda extra=extra: register(args.in_process, extra))
            best[name] = min(best.get(name, got), got)
            print(
                f"{name}: {args.in_process} registrations (+{args.in_process // 10} tube closes), answers {codes}: "
                f"server CPU {got[0]:.2f} ms, PostgreSQL backend CPU {got[1]:.2f} ms, wall {got[2]:.2f} ms "
                f"per registration; load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    plain, drf = best["plain view"], best["DRF view"]
    print(
        f"best of {args.repeat} (CPU per registration, tube closes included): plain view: server {plain[0]:.2f} ms, "
        f"PostgreSQL {plain[1]:.2f} ms; DRF view: server {drf[0]:.2f} ms, PostgreSQL {drf[1]:.2f} ms; server CPU "
        f"plain/DRF = {plain[0] / drf[0]:.2f}; load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
        f"{os.getloadavg()[2]:.2f}"
    )


def _wsgi_post(app, spec: dict, state: dict, kind: str, value: str) -> str:
    """One desk submission straight through the WSGI ``app``; returns the status line."""
    import io  # noqa: PLC0415
    import json  # noqa: PLC0415

    state["seq"] += 1
    tube = f"wsgi-{state['tube']:06d}"
    body = json.dumps({"desk": spec["desks"][0], "kind": kind, "value": value, "tube": tube}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/screening/samples/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Token {spec['tokens'][0]}",
        "HTTP_IDEMPOTENCY_KEY": f"wsgi-{state['seq']:08d}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    return _wsgi_call(app, environ)


def _wsgi_call(app, environ: dict) -> str:
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status

    answer = app(environ, start_response)
    b"".join(answer)
    answer.close()
    return seen["status"]


def wsgi(args) -> None:
    """CPU per registration through the WSGI handler (see the module docstring, ``--wsgi``)."""
    os.environ["LIANFANG_DESK_RATE"] = "1000000/min"
    spec = setup(args.pg, args.scale, 1)
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    app = get_wsgi_application()
    # one backend for the whole run, so its CPU can be read: the handler's request_finished would
    # otherwise close the connection once CONN_MAX_AGE has passed
    connection.settings_dict["CONN_MAX_AGE"] = None
    connection.close()
    ids = iter(spec["ids"])
    state = {"seq": 0, "tube": 0, "in_tube": 0}
    health = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
    }

    def register(n: int) -> dict:
        codes: dict[str, int] = {}
        for _ in range(n):
            status = _wsgi_post(app, spec, state, "scan", next(ids))
            codes[status] = codes.get(status, 0) + 1
            state["in_tube"] += 1
            if state["in_tube"] == 10:
                _wsgi_post(app, spec, state, "close", f"BIW{state['tube']:06d}")
                state["tube"] += 1
                state["in_tube"] = 0
        return codes

    def healthz(n: int) -> dict:
        import io  # noqa: PLC0415

        codes: dict[str, int] = {}
        for _ in range(n):
            status = _wsgi_call(app, {**health, "wsgi.input": io.BytesIO(b"")})
            codes[status] = codes.get(status, 0) + 1
        return codes

    register(30)
    healthz(30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])
    best: dict[str, tuple] = {}
    for _ in range(args.repeat):
        for name, run in (("registration", register), ("GET /healthz", healthz)):
            got, codes = per_item_ms(backend, args.wsgi, lambda run=run: run(args.wsgi))
            best[name] = min(best.get(name, got), got)
            print(
                f"{name}: {args.wsgi} through the WSGI handler, answers {codes}: server CPU {got[0]:.2f} ms, "
                f"PostgreSQL {got[1]:.2f} ms each; load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    reg, base = best["registration"], best["GET /healthz"]
    print(
        f"best of {args.repeat} (tube closes included): a registration: server {reg[0]:.2f} ms, "
        f"PostgreSQL {reg[1]:.2f} ms;"
        f" baseline GET /healthz: server {base[0]:.3f} ms; registration/healthz = {reg[0] / base[0]:.1f}"
    )


def auth_cost(args) -> None:
    """CPU of the desk token's full load against its check (see the module docstring, ``--auth-cost``)."""
    spec = setup(args.pg, args.scale, 1)
    from django.db import connection  # noqa: PLC0415

    from lianfang.screening.api import views  # noqa: PLC0415

    auth = views.DeskTokenAuthentication()
    key, desk = spec["tokens"][0], spec["desks"][0]
    user, _ = auth.authenticate_credentials(key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])

    def measure(fn, n: int = 300) -> tuple[float, float, float]:
        best = None
        for _ in range(5):
            got, _none = per_item_ms(backend, n, lambda: [fn() for _ in range(n)])
            best = got if best is None or got[0] < best[0] else best
        return best

    def full() -> None:
        views.DeskTokenAuthentication._known.clear()
        views._desks.clear()
        views._visible_desk(auth.authenticate_credentials(key)[0], desk)

    loaded = measure(full)
    print(
        f"full load (token, user, role assignments, scope, desk): server {loaded[0]:.3f} ms, "
        f"PostgreSQL {loaded[1]:.3f} ms"
    )
    check = getattr(views, "_token_still_valid", None)
    if check is None:
        print("token check: none at this commit (everything is loaded again when the memory expires)")
        return
    checked = measure(lambda: check(key, user.pk))
    print(
        f"token check: server {checked[0]:.3f} ms, PostgreSQL {checked[1]:.3f} ms; check/full load = "
        f"{checked[0] / loaded[0]:.3f} (server), {checked[1] / max(loaded[1], 1e-9):.3f} (PostgreSQL); "
        f"load {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500.0, help="offered registrations/s in the peak phase")
    parser.add_argument("--desks", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--overload-desks", type=int, default=200)
    parser.add_argument("--overload-seconds", type=int, default=20)
    parser.add_argument("--replay", type=float, default=0.01, help="share of acknowledged registrations resent")
    parser.add_argument("--scale", type=float, default=0.1, help="population of Qilihe to generate")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=6, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"], help="gunicorn worker class")
    parser.add_argument("--desk-concurrency", type=int, default=4, help="LIANFANG_DESK_CONCURRENCY per worker")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--in-process",
        type=int,
        default=0,
        metavar="N",
        help="instead: N registrations through Django's test client in this process (no gunicorn, no wrk)",
    )
    parser.add_argument(
        "--wsgi", type=int, default=0, metavar="N", help="instead: N registrations through the WSGI handler"
    )
    parser.add_argument(
        "--auth-cost", action="store_true", help="instead: the desk token's full load against its check"
    )
    parser.add_argument("--repeat", type=int, default=3, help="with --in-process/--wsgi: runs of N, the best reported")
    args = parser.parse_args()
    if args.in_process:
        return in_process(args)
    if args.wsgi:
        return wsgi(args)
    if args.auth_cost:
        return auth_cost(args)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    print(f"== desk_peak: 10x Qilihe's peak is ~390 registrations/s; offering {args.rate:.0f}/s", flush=True)
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}", flush=True)
    spec = setup(args.pg, args.scale, max(args.desks, args.overload_desks))
    folder = Path(tempfile.mkdtemp(prefix="lianfang-desk-peak-"))
    peak = Phase("peak", args.desks, args.seconds)
    over = Phase("overload", args.overload_desks, args.overload_seconds)
    # ID numbers: every desk of every phase gets its own (ids.<phase>.<desk>): the peak phase what it
    # offers plus a margin, the overload phase an even share of the rest
    ids = spec["ids"]
    per_desk = int(args.rate / args.desks * args.seconds * 1.3) + 20
    for n in range(args.desks):
        (folder / f"ids.peak.{n}").write_text("\n".join(ids[n * per_desk : (n + 1) * per_desk]) + "\n")
    rest = ids[args.desks * per_desk :]
    share = len(rest) // args.overload_desks
    if share < 10:
        sys.exit(f"not enough ID numbers ({len(ids):,}) for the overload phase: raise --scale")
    for n in range(args.overload_desks):
        (folder / f"ids.overload.{n}").write_text("\n".join(rest[n * share : (n + 1) * share]) + "\n")
    env = {
        **os.environ,
        "LIANFANG_DESK_CONCURRENCY": str(args.desk_concurrency),
        "LIANFANG_LOG_LEVEL": "WARNING",
    }
    server_log = folder / "server.log"
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "lianfang.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--backlog",
            "1024",
            # longer than any pause of a desk (Retry-After, pacing): wrk loses count of its requests
            # when the server closes an idle connection while wrk is waiting out a delay()
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stderr=server_log.open("w"),  # a line per 409/503 (django.request warnings): counted below
    )
    threads = args.threads if args.worker_class == "gthread" else 1
    print(
        f"gunicorn: {args.workers} {args.worker_class} workers x {threads} threads, at most {args.desk_concurrency} "
        f"desk submissions at once per worker; persistent database connections (CONN_MAX_AGE 60), DEBUG off",
        flush=True,
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.5)
        load = os.getloadavg()
        run_wrk(folder, spec, peak, args.rate, args.replay, server)
        report(peak)
        run_wrk(folder, spec, over, 0, args.replay, server)
        report(over)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    from django.db import connection

    acked = sorted(set(peak.acked) | set(over.acked))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT person_key), count(DISTINCT idempotency_key) FROM screening_sample "
            "WHERE round_id = %s",
            [spec["round"]],
        )
        stored, people, keys = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM screening_sample WHERE idempotency_key = ANY(%s)", [acked])
        found = cursor.fetchone()[0]
    log_lines = server_log.read_text(errors="replace").splitlines()
    print("== summary", flush=True)
    print(
        f"server log {server_log}: {len(log_lines):,} lines, "
        f"{sum('Internal Server Error' in line for line in log_lines)} of them 'Internal Server Error'"
    )
    print(f"load (1, 5, 15 min) when the peak phase began: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"peak phase: {peak.rate:,.0f} registrations/s sustained ({peak.rate / TARGET_RATE:.2f} of the 500/s target, "
        f"{peak.rate / BASELINE_RATE:.1f}x the 25/s measured before), p50 {pct(peak.latency, 0.5):,.0f} ms, "
        f"p99 {pct(peak.latency, 0.99):,.0f} ms ({pct(peak.latency, 0.99) / TARGET_P99_MS:.2f} of the 250 ms "
        f"target, {pct(peak.latency, 0.99) / BASELINE_P99_MS:.3f} of the 8,600 ms before)"
    )
    print(
        f"overload phase: {over.rate:,.0f} registrations/s, {over.shed:,} answers 429/503 + Retry-After (retried "
        f"with the same key), {over.other_5xx + peak.other_5xx} other 5xx in both phases"
    )
    print(
        f"records: {len(acked):,} acknowledged, {found:,} of them stored, {len(acked) - found} lost; "
        f"{stored:,} stored in all ({stored - found} for requests cut off at the end of a phase, stored without "
        f"an answer reaching the desk), {stored - people} people twice, {stored - keys} keys twice; "
        f"replays answered otherwise than the first answer: {peak.replays_bad + over.replays_bad} of "
        f"{peak.replays + over.replays}"
    )


if __name__ == "__main__":
    main()
