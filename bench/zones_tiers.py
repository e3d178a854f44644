"""Control-area tier look-ups on a full-scale district (scale 1: ≈230 k households).

Builds (once, then reuses) a SQLite database under ``var/bench-zones/`` with Qilihe's divisions and a
generated population (``generate_population --scale 1 --seed 42``), opens an 8th-edition-era
operation with 30 sealed compounds (one infection each), their communities controlled and the
district as precaution, then measures in this process (best of 5 after a warm-up):

- ``tier_of_households`` for every household of the district (the range-query path) and for 2,000
  households (the id path);
- ``counts_by_tier`` for the district as its commander (residents and households by tier per street);
- ``area_clock`` of one sealed area and ``zone_tick`` over every area.

Each figure is printed with its ratio to a baseline measured in the same run: reading the same
households' ``(id, path)`` (the least any tier look-up must read), and for the counts the registry's
``counts_by_child`` (the same grouped scan without tiers). Usage:
``.venv/bin/python bench/zones_tiers.py [--scale 1] [--fresh] [--database-url URL]``.
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
DAY = dt.date(2022, 3, 27)


def best_of(fn, runs: int = 5) -> tuple[float, object]:
    result = fn()  # warm-up (page cache, query plans)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def setup(args) -> None:
    folder = ROOT / "var" / "bench-zones"
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


def ensure_population(scale: float, seed: int) -> None:
    from django.core.management import call_command

    from lianfang.divisions.models import Division
    from lianfang.registry.generator import generate_population
    from lianfang.registry.models import Household

    call_command("migrate", verbosity=0)
    if not Division.objects.filter(code=DISTRICT).exists():
        call_command(
            "load_divisions", "--source", str(ROOT.parent / "shared" / "data" / "divisions"), "--code", DISTRICT
        )
    if not Household.objects.within(DISTRICT).exists():
        started = time.perf_counter()
        generate_population(actor=None, district=Division.objects.get(code=DISTRICT), scale=scale, seed=seed)
        print(f"population generated in {time.perf_counter() - started:.1f} s (once; reused by later runs)")


def ensure_areas() -> None:
    """30 sealed compounds (an infection each), their communities controlled, the district precaution."""
    from lianfang.divisions.models import Division, Level
    from lianfang.zones import services
    from lianfang.zones.models import ControlArea, Operation
    from lianfang.zones.shipped import ensure_shipped_rule_sets

    ensure_shipped_rule_sets()
    district = Division.objects.get(code=DISTRICT)
    if Operation.objects.filter(district=district).exists():
        return
    operation = services.operation_open(actor=None, district=district, name="bench", started_on=DAY)
    tiers = {t.key: t for t in operation.rule_set.tiers.all()}
    compounds = list(Division.objects.filter(code__startswith=DISTRICT, level=Level.COMPOUND).order_by("code"))
    sealed = compounds[:: max(1, len(compounds) // 30)][:30]
    at = dt.datetime(2022, 3, 27, 12, tzinfo=dt.UTC)

    def in_force(tier, nodes, infection=None):
        area = services.control_area_declare(
            actor=None, operation=operation, tier=tier, nodes=nodes, reason="other", infection=infection, at=at
        )
        services.control_area_approve(actor=None, area=area, effective_from=at)

    for compound in sealed:
        result = services.infection_record(
            actor=None,
            operation=operation,
            positive_sample_on=DAY,
            residence=compound,
            person_name="bench",
            propose=False,
        )
        in_force(tiers["sealed"], [compound], result.infection)
    communities = Division.objects.filter(code__in={c.code[:12] for c in sealed})
    for community in communities:
        in_force(tiers["controlled"], [community])
    in_force(tiers["precaution"], [district])
    print(f"areas in force: {ControlArea.objects.filter(status='active').count()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--database-url", help="run against this database instead of var/bench-zones SQLite")
    args = parser.parse_args()
    setup(args)
    ensure_population(args.scale, args.seed)
    ensure_areas()

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division
    from lianfang.registry.models import Household
    from lianfang.registry.selectors import counts_by_child
    from lianfang.zones import selectors, services
    from lianfang.zones.models import ControlArea

    district = Division.objects.get(code=DISTRICT)
    commander, _ = User.objects.get_or_create(username="bench-commander")
    RoleAssignment.objects.get_or_create(
        user=commander, role="district_commander", division=district, starts_on=dt.date(2020, 1, 1)
    )
    all_ids = list(Household.objects.within(DISTRICT).values_list("id", flat=True))
    some_ids = all_ids[:: max(1, len(all_ids) // 2000)][:2000]
    on = dt.date(2022, 3, 28)
    rows = []

    base_all, _ = best_of(lambda: list(Household.objects.within(DISTRICT).values_list("id", "path")))
    with CaptureQueriesContext(connection) as ctx:
        selectors.tier_of_households(all_ids, on=on)
    seconds, tiers = best_of(lambda: selectors.tier_of_households(all_ids, on=on))
    by_key: dict = {}
    for tier in tiers.values():
        by_key[tier.key if tier else None] = by_key.get(tier.key if tier else None, 0) + 1
    rows.append((f"tier_of_households, all {len(all_ids):,}", seconds, base_all, len(ctx.captured_queries)))

    base_some, _ = best_of(lambda: list(Household.objects.filter(pk__in=some_ids).values_list("id", "path")))
    with CaptureQueriesContext(connection) as ctx:
        selectors.tier_of_households(some_ids, on=on)
    seconds, _ = best_of(lambda: selectors.tier_of_households(some_ids, on=on))
    rows.append((f"tier_of_households, {len(some_ids):,} ids", seconds, base_some, len(ctx.captured_queries)))

    def fresh(user):
        for attr in ("_lianfang_scope", "_lianfang_assignments"):
            if hasattr(user, attr):
                delattr(user, attr)
        return user

    base_counts, _ = best_of(lambda: counts_by_child(user=fresh(commander), parent_code=DISTRICT, child_code_length=9))
    with CaptureQueriesContext(connection) as ctx:
        selectors.counts_by_tier(user=fresh(commander), parent=district, on=on)
    seconds, table = best_of(lambda: selectors.counts_by_tier(user=fresh(commander), parent=district, on=on))
    rows.append(("counts_by_tier, district by street", seconds, base_counts, len(ctx.captured_queries)))

    area = ControlArea.objects.filter(status="active", tier__key="sealed").select_related("tier", "operation").first()
    seconds, _ = best_of(lambda: selectors.area_clock(area, on=on))
    rows.append(("area_clock, one sealed area", seconds, None, None))
    n_areas = ControlArea.objects.filter(status="active").count()
    seconds, report = best_of(lambda: services.zone_tick(on=on), runs=3)
    rows.append((f"zone_tick, {n_areas} areas", seconds, None, None))
    reset_queries()

    vendor = connection.vendor
    print(f"\nDatabase: {vendor}; households {len(all_ids):,}; tiers {by_key}")
    print(f"{'measure':42} {'seconds':>9} {'baseline':>9} {'ratio':>6} {'queries':>7}")
    for name, seconds, base, queries in rows:
        ratio = f"{seconds / base:.2f}" if base else "—"
        base_text = f"{base:.3f}" if base else "—"
        print(f"{name:42} {seconds:9.3f} {base_text:>9} {ratio:>6} {queries if queries is not None else '—':>7}")
    print(
        "\nbaselines: reading the same households' (id, path); for counts_by_tier, registry counts_by_child "
        "(the same grouped scans without the tier CASE)"
    )


if __name__ == "__main__":
    main()
