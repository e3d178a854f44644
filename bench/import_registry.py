"""Registry import at Qilihe scale: rows/s and peak memory, against django-import-export and a raw insert.

    .venv/bin/python bench/import_registry.py [--scale 1] [--iex-rows 5000] [--no-postgres] [--no-xlsx]
        [--serial] [--files DIR] [--database-url postgres://postgres@127.0.0.1:5432/lianfang_bench_import]

``--serial`` validates in the importing process only (no forked workers), to compare the two.

1. A scratch SQLite database gets the Qilihe divisions and a generated population (the registry
   generator, seed 42); its residents are written as a CSV and an XLSX in the template layout
   (unmasked: real ID and phone numbers, as a community's roster has them) and its compounds,
   buildings and units are saved.
2. For each database (SQLite file, PostgreSQL) and each measurement a fresh copy of "divisions +
   layout, no people" is made (SQLite: file copy; PostgreSQL: CREATE DATABASE ... TEMPLATE) and one
   process runs one measurement, so each peak RSS (``ru_maxrss``) is that measurement's alone:

   - ``csv`` / ``xlsx``: ``registry_import`` end to end (read, validate the whole file — in forked
     worker processes on a multi-core machine — load existing rows once, commit in one transaction);
   - ``floor``: the same rows already validated and sealed in memory, only the inserts timed
     (core.bulk: COPY on PostgreSQL, executemany on SQLite), the indexes kept up row by row — the raw
     insert the issue names as the floor;
   - ``deferred`` (SQLite): the same with the tables' indexes dropped and re-created after the inserts
     (core.bulk.indexes_deferred), as the importer does for a big first load — the cheapest insert;
   - ``iex``: django-import-export (ModelResource, one row at a time, as it is normally used)
     importing the first ``--iex-rows`` rows of the CSV into the same models.

Ratios are printed against the floor and against django-import-export measured in the same run, with
wall and CPU seconds (PostgreSQL: also the server backend's CPU), peak RSS and the load average. All
three run with Python's garbage collector paused, as the importer does (importing.batches.gc_paused).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, ROOT, cleanup, manage, scratch_env  # noqa: E402

DISTRICT = "620103"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/lianfang_bench_import"


# --- workers (run in a subprocess with the scratch environment) -------------------------------------


def _setup():
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()


def _peak_mib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class _Clock:
    """Wall and CPU seconds of a block: this process (incl. children) and, on PostgreSQL, the server
    backend serving this connection (read from /proc, so only for a server on this machine)."""

    def __enter__(self):
        self.backend = self._backend_pid()
        self.wall, self.cpu, self.server = time.perf_counter(), self._own_cpu(), self._server_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = self._own_cpu() - self.cpu
        server = self._server_cpu()
        self.server = None if server is None or self.server is None else server - self.server

    @staticmethod
    def _own_cpu() -> float:
        import resource

        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    @staticmethod
    def _backend_pid() -> int | None:
        from django.db import connection

        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    def _server_cpu(self) -> float | None:
        if self.backend is None:
            return None
        try:
            fields = Path(f"/proc/{self.backend}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def result(self, **extra) -> dict:
        import resource

        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024  # the largest child's peak
        return {
            "seconds": self.wall,
            "cpu": self.cpu,
            "server_cpu": self.server,
            "peak": _peak_mib(),
            "child": child,
            **extra,
        }


def worker_export(folder: Path) -> dict:
    """Write roster.csv, roster.xlsx (template layout without the system's resident numbers) and layout.json."""
    _setup()
    from openpyxl import Workbook

    from lianfang.divisions.models import Division, Level
    from lianfang.registry.exporters import export_rows, headers, instructions

    district = Division.objects.get(code=DISTRICT)
    head = headers()[1:]  # a community's own file has no system numbers
    rows = 0
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("roster")
    ws.append([instructions()])
    ws.append(head)
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        for row in export_rows(actor=None, target=district, unmasked=True):
            writer.writerow(row[1:])
            ws.append(row[1:])
            rows += 1
    wb.save(folder / "roster.xlsx")
    layout = list(
        Division.objects.within(DISTRICT)
        .filter(level__gte=Level.COMPOUND)
        .order_by("code")
        .values("code", "name", "short_name", "level", "kind", "is_official", "schematic")
    )
    (folder / "layout.json").write_text(json.dumps(layout, ensure_ascii=False))
    return {"rows": rows, "households": len({tuple(r[:5]) for r in csv.reader((folder / "roster.csv").open())}) - 1}


def worker_layout(folder: Path) -> dict:
    """Recreate the compounds, buildings and units of layout.json (divisions already loaded)."""
    _setup()
    from django.db import connection, transaction

    from lianfang.divisions.models import Division

    layout = json.loads((folder / "layout.json").read_text())
    by_code = {d.code: d for d in Division.objects.within(DISTRICT)}
    district = by_code[DISTRICT]
    with transaction.atomic():
        for row in layout:
            parent = by_code[row["code"][: {6: 12, 7: 15, 8: 18}[row["level"]]]]
            node = Division.objects.create(**row, parent=parent, district=district)
            by_code[node.code] = node
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"nodes": len(layout)}


def worker_import(path: Path, serial: bool = False) -> dict:
    _setup()
    from lianfang.divisions.models import Division
    from lianfang.registry.importing import parallel
    from lianfang.registry.importing.batches import registry_import

    if serial:  # --serial: validate in this process only (to compare with the forked workers)
        parallel.PARALLEL_MIN_ROWS = 10**12

    district = Division.objects.get(code=DISTRICT)
    starts: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        starts.setdefault(phase, time.perf_counter())
        if phase == "write" and done == total > 0:  # the rows are written: the commit and the batch's record follow
            starts.setdefault("commit", time.perf_counter())

    with _Clock() as clock:
        begun = time.perf_counter()
        batch = registry_import(actor=None, target=district, path=path, progress=progress)
        ended = time.perf_counter()
    phases = phase_seconds(begun, starts, ended)
    return clock.result(rows=batch.counts.get("rows", 0), status=batch.status, phases=phases)


def phase_seconds(begun: float, starts: dict[str, float], ended: float) -> dict[str, float]:
    """Wall seconds of each phase from ``starts`` (phase → perf_counter of its first progress report,
    in the order reported): ``{"before": s, "<phase>": s, …}``, each phase lasting until the next one
    starts and the last until ``ended``; ``before`` is reading the file up to the first report."""
    marks = sorted(starts.items(), key=lambda item: item[1])
    seconds = {"before": (marks[0][1] if marks else ended) - begun}
    for (phase, at), following in zip(marks, [m[1] for m in marks[1:]] + [ended], strict=True):
        seconds[phase] = following - at
    return seconds


def worker_floor(path: Path, deferred: bool = False) -> dict:
    """Insert the already-validated, already-sealed rows; only the inserts are timed. ``deferred``: with
    the tables' indexes dropped and re-created after the inserts (core.bulk.indexes_deferred, SQLite),
    the re-creation timed too — the cheapest insert, which the importer uses for a big first load."""
    _setup()
    from django.db import transaction

    from lianfang.core import bulk
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import gc_paused
    from lianfang.registry.importing.commit import HOUSEHOLD_FIELDS, RESIDENT_FIELDS, new_rows, tune_bulk_session
    from lianfang.registry.importing.validation import plan_import
    from lianfang.registry.models import Household, Resident

    district = Division.objects.get(code=DISTRICT)
    with gc_paused():  # as the importer runs
        plan = plan_import(target=district, data=path.read_bytes(), file_name=path.name)
        assert not plan.errors, plan.errors[:5]
        with transaction.atomic():
            tune_bulk_session()  # the same connection settings as the importer
            households, residents = (list(rows) for rows in new_rows(plan))
            del plan
            deferring = (Household, Resident) if deferred else ()
            with _Clock() as clock, bulk.indexes_deferred(*deferring):
                bulk.insert_rows(Household, HOUSEHOLD_FIELDS, households)
                bulk.insert_rows(Resident, RESIDENT_FIELDS, residents)
            committing = time.perf_counter()
    # the transaction's commit (on SQLite in WAL mode with it the automatic checkpoint that copies the
    # new pages into the database file), which the importer's figure includes: reported apart
    return clock.result(rows=len(residents), phases={"commit": time.perf_counter() - committing})


def worker_iex(path: Path, limit: int) -> dict:
    """django-import-export: a ModelResource importing the first ``limit`` rows, row by row."""
    _setup()
    import tablib
    from import_export import resources

    from lianfang.core import pii
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.columns import COLUMNS_BY_KEY, normalize_phone
    from lianfang.registry.importing.places import Places
    from lianfang.registry.models import Household, Resident
    from lianfang.registry.services import Placement, household_address, pinyin_initials, validate_resident

    district = Division.objects.get(code=DISTRICT)
    places = Places(district)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        head = next(reader)
        id_col = head.index(str(COLUMNS_BY_KEY["id_number"].label))
        documented = (row for row in reader if row[id_col])  # children without a document need their guardian
        rows = [row for _, row in zip(range(limit), documented, strict=False)]
    index = {str(COLUMNS_BY_KEY[k].label): k for k in COLUMNS_BY_KEY}
    keys = [index.get(h, h) for h in head]
    dataset = tablib.Dataset(*(row + [""] for row in rows), headers=[*keys, "id_hash"])

    class ResidentResource(resources.ModelResource):
        class Meta:
            model = Resident
            import_id_fields = ("id_hash",)
            fields = ("id_hash",)
            skip_unchanged = True
            use_transactions = True

        def before_import_row(self, row, **kwargs):
            data = validate_resident(name=row["name"], document_number=row["id_number"], sex="")
            row["id_hash"] = pii.lookup_hash("id", data.document_number)
            node, _column, reason = places.resolve(row["community"], row["compound"], row["building"], row["unit"])
            assert node is not None, reason
            household, _created = Household.objects.get_or_create(
                path=node.code,
                room=row["room"],
                defaults=_household_defaults(node, row["room"], row["contact_name"]),
            )
            row["_data"] = (data, household)

        def import_instance(self, instance, row, **kwargs):
            super().import_instance(instance, row, **kwargs)
            data, household = row["_data"]
            instance.household = household
            instance.path = household.path
            instance.name = data.name
            instance.name_initials = pinyin_initials(data.name)
            instance.sex, instance.birth_date = data.sex, data.birth_date
            instance.set_id_number(data.document_number)
            if row["phone"]:
                instance.set_phone(normalize_phone(row["phone"]))

    def _household_defaults(node, room, contact):
        placement = Placement.of(node, places.by_code)
        return {
            "district_id": node.district_id,
            "community": placement.community,
            "compound": placement.compound,
            "building": placement.building,
            "unit": placement.unit,
            "address": household_address(placement, room),
            "contact_name": contact,
        }

    from lianfang.registry.importing.batches import gc_paused

    with gc_paused(), _Clock() as clock:  # the collector paused as in the importer
        result = ResidentResource().import_data(dataset, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    return clock.result(rows=len(rows), created=Resident.objects.count())


# --- orchestration ----------------------------------------------------------------------------------


def ensure_files(files: Path, scale: float) -> dict:
    """Generate roster.csv, roster.xlsx and layout.json in ``files`` unless they are there already
    (Qilihe population at ``scale``, seed 42); returns ``{"rows", "households"}`` of the roster."""
    files.mkdir(parents=True, exist_ok=True)
    if not (files / "layout.json").exists():
        env, source = scratch_env(None)
        try:
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "load_divisions", "--code", DISTRICT)
            manage(env, "generate_population", "--code", DISTRICT, "--scale", str(scale), "--seed", "42")
            made = run_worker(env, "export", str(files))
            (files / "made.json").write_text(json.dumps(made))
        finally:
            cleanup(source)
    return json.loads((files / "made.json").read_text())


def run_worker(env: dict, *args: str, script: str = __file__) -> dict:
    """Run ``script --worker args`` in a subprocess with ``env``; its last output line is JSON."""
    proc = subprocess.run(
        [PYTHON, script, "--worker", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def psql(url: str, sql: str) -> None:
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-q", "-c", sql], check=True, capture_output=True)


class Database:
    """A reusable "divisions + layout, no people" database and fresh copies of it."""

    def __init__(self, name: str, files: Path, url: str | None):
        self.name, self.files, self.url = name, files, url
        if url:
            self.base = url.rsplit("/", 1)[1] + "_base"
            self.base_url = url.rsplit("/", 1)[0] + "/" + self.base
            psql(url, f'DROP DATABASE IF EXISTS "{self.base}"')
            psql(url, f'CREATE DATABASE "{self.base}"')
            env, self.folder = scratch_env(self.base_url)
        else:
            env, self.folder = scratch_env(None)
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_divisions", "--code", DISTRICT)
        run_worker(env, "layout", str(files))
        self.env = env

    def fresh(self) -> tuple[dict, Path]:
        folder = Path(str(self.folder) + f"-{time.monotonic_ns()}")
        shutil.copytree(self.folder, folder)
        env = {**self.env, "LIANFANG_VAR_DIR": str(folder)}
        if self.url:
            name = self.url.rsplit("/", 1)[1]
            psql(self.url, f'DROP DATABASE IF EXISTS "{name}"')
            psql(self.url, f'CREATE DATABASE "{name}" TEMPLATE "{self.base}"')
            env["DATABASE_URL"] = self.url
        return env, folder

    def measure(self, *args: str) -> dict:
        env, folder = self.fresh()
        try:
            return run_worker(env, *args)
        finally:
            cleanup(folder)

    def close(self) -> None:
        cleanup(self.folder)
        if self.url:
            psql(self.url, f'DROP DATABASE IF EXISTS "{self.url.rsplit("/", 1)[1]}"')
            psql(self.url, f'DROP DATABASE IF EXISTS "{self.base}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--iex-rows", type=int, default=5000)
    parser.add_argument("--database-url", default=PG_DEFAULT)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--files", type=Path, help="folder to keep the generated files in and reuse next time")
    parser.add_argument("--serial", action="store_true", help="validate without the forked worker processes")
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        name, *rest = args.worker
        folder = Path(rest[0])
        result = {
            "export": lambda: worker_export(folder),
            "layout": lambda: worker_layout(folder),
            "import": lambda: worker_import(folder, serial=rest[1:] == ["serial"]),
            "floor": lambda: worker_floor(folder, deferred=rest[1:] == ["deferred"]),
            "iex": lambda: worker_iex(folder, int(rest[1])),
        }[name]()
        print(json.dumps(result))
        return

    env, source = scratch_env(None)
    files = args.files or Path(str(source) + "-files")
    try:
        started = time.perf_counter()
        made = ensure_files(files, args.scale)
        csv_mib = (files / "roster.csv").stat().st_size / 2**20
        xlsx_mib = (files / "roster.xlsx").stat().st_size / 2**20
        print(
            f"file: {made['rows']:,} residents in {made['households']:,} households; roster.csv {csv_mib:.0f} MiB, "
            f"roster.xlsx {xlsx_mib:.0f} MiB (ready in {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        serial = ("serial",) if args.serial else ()
        databases = [("SQLite", None)] + ([] if args.no_postgres else [("PostgreSQL", args.database_url)])
        for label, url in databases:
            db = Database(label, files, url)
            print(f"\n{label}")
            print(
                f"  {'measurement':<34}{'rows':>10}{'seconds':>9}{'rows/s':>9}{'CPU s':>8}{'server':>8}"
                f"{'peak MiB':>10}{'child':>7}{'load':>6}",
                flush=True,
            )
            results = {}
            try:
                for key, title, args_ in (
                    ("csv", "import CSV (end to end)", ("import", str(files / "roster.csv"), *serial)),
                    ("floor", "floor: insert of validated rows", ("floor", str(files / "roster.csv"))),
                    (
                        "deferred",
                        "floor, indexes re-created after",
                        ("floor", str(files / "roster.csv"), "deferred"),
                    ),
                    ("iex", "django-import-export", ("iex", str(files / "roster.csv"), str(args.iex_rows))),
                    ("xlsx", "import XLSX (end to end)", ("import", str(files / "roster.xlsx"), *serial)),
                ):
                    if (key == "xlsx" and args.no_xlsx) or (key == "deferred" and label != "SQLite"):
                        continue
                    r = results[key] = db.measure(*args_)
                    rate = r["rows"] / r["seconds"]
                    status = f"  [{r['status']}]" if "status" in r else ""
                    server = "-" if r.get("server_cpu") is None else f"{r['server_cpu']:.1f}"
                    figures = (
                        f"{r['rows']:>10,}{r['seconds']:>9.1f}{rate:>9,.0f}{r['cpu']:>8.1f}{server:>8}"
                        f"{r['peak']:>10,}{r['child']:>7,}{os.getloadavg()[0]:>6.1f}"
                    )
                    print(f"  {title:<34}{figures}{status}", flush=True)
                    if r.get("phases"):
                        print("    phases (wall s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items()))
            finally:
                db.close()
            floor_rate = results["floor"]["rows"] / results["floor"]["seconds"]
            iex_rate = results["iex"]["rows"] / results["iex"]["seconds"]
            deferred = results.get("deferred")
            deferred_rate = deferred["rows"] / deferred["seconds"] if deferred else None
            for key in ("csv", "xlsx"):
                if key in results:
                    rate = results[key]["rows"] / results[key]["seconds"]
                    print(
                        f"  {key.upper()}: {rate / iex_rate:.1f}x django-import-export (target >= 20x), "
                        f"floor is {floor_rate / rate:.2f}x faster (target <= 3x); {rate:,.0f} rows/s "
                        f"(target >= 30,000 on SQLite), peak {results[key]['peak']:,} MiB (target < 1,536)",
                        flush=True,
                    )
                    if deferred_rate:
                        print(f"       the floor with indexes re-created after is {deferred_rate / rate:.2f}x faster")
            print(
                "  (seconds: wall clock; CPU s: the measuring process and its validation workers; server: CPU of\n"
                "  the PostgreSQL backend; peak MiB: the measuring process's peak RSS; child: the largest forked\n"
                "  validation worker's peak RSS (pages shared with the parent counted again); load: 1-minute load\n"
                "  average after the measurement — on a shared machine compare the ratios, not the rates)",
                flush=True,
            )
    finally:
        cleanup(source)
        if not args.files:
            shutil.rmtree(files, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
    main()
