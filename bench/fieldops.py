"""Field operations on a generated district: gate rosters and their coverage, screening-list import.

Builds (once, then reuses) a SQLite database under ``var/bench-fieldops/`` with Qilihe's divisions and
a generated population (``--scale``, default 0.1: 141 compounds, ≈23 k households), opens an
operation with the whole district's streets controlled, adds two gates per compound, then measures in
this process, each with a baseline measured in the same run:

- ``duty_roster_generate`` for the district's gates for one day, against inserting the same
  ``DutyShift`` rows with one ``bulk_create`` (the least a roster must write);
- ``selectors.roster_coverage`` of the district (best of 5), against reading the same gates and the
  day's shifts (the least it must read);
- ``importers.screening_import`` of a 2,000-row list (registered residents by ID number, places by
  community name, other districts, city-only), against adding the same people one at a time through
  ``services.screened.screened_person_create`` — what a page would do per row (best of 3, rows deleted between runs).

Usage: ``.venv/bin/python bench/fieldops.py [--scale 0.1] [--fresh] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DISTRICT = "620103"


def best_of(fn, runs: int = 5, reset=None) -> tuple[float, object]:
    if reset:
        reset()
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        if reset:
            reset()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def setup(args) -> None:
    folder = ROOT / "var" / "bench-fieldops"
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["LIANFANG_VAR_DIR"] = str(folder)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def ensure_world(scale: float) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from lianfang.divisions.models import Division, Level
    from lianfang.fieldops.models import Gate
    from lianfang.fieldops.services.gates import gate_create
    from lianfang.registry.generator import generate_population
    from lianfang.registry.models import Household
    from lianfang.zones.models import ControlArea, Operation
    from lianfang.zones.services import control_area_approve, control_area_declare, operation_open

    call_command("migrate", verbosity=0)
    if not Division.objects.filter(code=DISTRICT).exists():
        call_command(
            "load_divisions", "--source", str(ROOT.parent / "shared" / "data" / "divisions"), "--code", DISTRICT
        )
    district = Division.objects.get(code=DISTRICT)
    if not Household.objects.within(DISTRICT).exists():
        started = time.perf_counter()
        generate_population(actor=None, district=district, scale=scale, seed=42)
        print(f"population generated in {time.perf_counter() - started:.1f} s (once)")
    operation = Operation.objects.filter(district=district, status="open").first() or operation_open(
        actor=None, district=district, name="bench", started_on=timezone.localdate() - dt.timedelta(days=10)
    )
    if not ControlArea.objects.filter(operation=operation).exists():
        streets = list(Division.objects.filter(parent=district))
        area = control_area_declare(
            actor=None,
            operation=operation,
            tier=operation.rule_set.tiers.get(key="controlled"),
            nodes=streets,
            reason="other",
            at=timezone.now() - dt.timedelta(days=2),
        )
        control_area_approve(actor=None, area=area, effective_from=timezone.now() - dt.timedelta(days=1))
    if not Gate.objects.exists():
        for compound in Division.objects.within(DISTRICT).filter(level=Level.COMPOUND):
            for name in ("北门", "南门"):
                gate_create(actor=None, division=compound, name=name)


def bench_roster() -> list[tuple[str, float, float, str]]:
    from django.db import connection, transaction
    from django.utils import timezone

    from lianfang.accounts.models import User
    from lianfang.fieldops import rules, selectors
    from lianfang.fieldops.models import DutyShift, Gate
    from lianfang.fieldops.services.gates import duty_roster_generate

    day = timezone.localdate()
    commander = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench-admin")
    rows = []

    def clear():
        DutyShift.objects.all().delete()

    def generate():
        return duty_roster_generate(actor=None, code=DISTRICT, day=day)

    def floor():
        field_rules = rules.in_force(day)
        windows = rules.shift_windows(field_rules, "", day)
        with transaction.atomic():
            DutyShift.objects.bulk_create(
                [
                    DutyShift(district_id=g.district_id, path=g.path, gate=g, day=day, starts_at=a, ends_at=b, slot=1)
                    for g in Gate.objects.all()
                    for a, b in windows
                ],
                batch_size=500,
            )

    t_base, _ = best_of(floor, runs=3, reset=clear)
    t_gen, report = best_of(generate, runs=3, reset=clear)
    rows.append(
        (
            f"duty_roster_generate, {report.gates} gates, {report.created} slots",
            t_gen,
            t_base,
            "bulk_create of the same rows",
        )
    )

    start, end = rules.day_bounds(day)

    def read_floor():
        gates = list(Gate.objects.within(DISTRICT).filter(is_active=True))
        return gates, list(DutyShift.objects.filter(starts_at__lt=end, ends_at__gt=start))

    t_read, _ = best_of(read_floor)
    connection.queries_log.clear()
    t_cov, coverage = best_of(lambda: selectors.roster_coverage(user=commander, code=DISTRICT, day=day))
    uncovered = sum(c.uncovered_hours for c in coverage)
    rows.append(
        (
            f"roster_coverage, {len(coverage)} gates ({uncovered:.0f} uncovered gate-hours)",
            t_cov,
            t_read,
            "read the gates and shifts",
        )
    )
    return rows


def list_bytes(n: int = 2000) -> bytes:
    from lianfang.core import idnumber
    from lianfang.divisions.models import Division, Level
    from lianfang.registry.models import Resident

    residents = list(Resident.objects.within(DISTRICT).exclude(document_type="none").order_by("id")[: n // 2])
    communities = list(
        Division.objects.within(DISTRICT).filter(level=Level.COMMUNITY).values_list("short_name", flat=True)
    )
    lines = ["姓名,身份证号,来源地,抵达日期,现住址,所在区县"]
    for r in residents:
        lines.append(f"{r.name},{r.id_number_plain()},上海市,2022-03-20,,")
    i = 0
    while len(lines) - 1 < n:
        i += 1
        number = idnumber.make("110105", dt.date(1980, 1, 1) + dt.timedelta(days=i), 1 + 2 * (i % 400))
        kind = i % 10
        if kind < 6:
            lines.append(f"外来{i},{number},西安市,2022-03-21,{communities[i % len(communities)]}某号,")
        elif kind < 8:
            lines.append(f"外区{i},{number},成都市,2022-03-21,兰州市城关区某路{i}号,城关区")
        else:
            lines.append(f"城市{i},{number},武汉市,2022-03-21,兰州市,")
    return ("\n".join(lines) + "\n").encode()


def bench_import() -> list[tuple[str, float, float, str]]:
    from lianfang.divisions.models import Division
    from lianfang.fieldops import importers
    from lianfang.fieldops.models import ScreenedPerson, ScreeningImport, TransferOut
    from lianfang.fieldops.services.screened import screened_person_create

    data = list_bytes()
    district = Division.objects.get(code=DISTRICT)
    raw, columns, header = importers.read_rows(data, "list.csv")
    rows, problems = importers.validate_rows(raw, columns, header, "inflow")
    assert not problems, problems[:3]

    def clear():
        ScreenedPerson.objects.all().delete()
        TransferOut.objects.all().delete()
        ScreeningImport.objects.all().delete()

    def one_by_one():
        from lianfang.registry.models import Resident

        by_hash = {
            r.id_hash: r for r in Resident.objects.within(DISTRICT).filter(id_hash__in=[x.id_hash for x in rows])
        }
        for row in rows:
            resident = by_hash.get(row.id_hash)
            screened_person_create(
                actor=None,
                district=district,
                category="inflow",
                name=row.name,
                id_number="" if resident else row.id_number,
                resident=resident,
                origin=row.origin,
                arrived_on=row.arrived_on,
                address=row.address,
            )

    t_base, _ = best_of(one_by_one, runs=3, reset=clear)
    t_import, report = best_of(
        lambda: importers.screening_import(actor=None, division=district, file_name="list.csv", data=data),
        runs=3,
        reset=clear,
    )
    counts = report.batch.counts
    label = (
        f"screening_import, {counts['rows']} rows ({counts['created']} added, "
        f"{counts['transferred_out']} transferred out, {counts['needs_verification']} city-only)"
    )
    return [(label, t_import, t_base, "screened_person_create row by row")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    setup(args)
    from django.db import connection

    ensure_world(args.scale)
    results = bench_roster() + bench_import()
    print(f"database: {connection.vendor}")
    print(f"{'measure':<86} {'time':>9} {'baseline':>9} {'ratio':>6}  baseline is")
    for label, t, base, what in results:
        print(f"{label:<86} {t:>8.3f}s {base:>8.3f}s {t / base:>6.2f}  {what}")


if __name__ == "__main__":
    main()
