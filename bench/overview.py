"""Command overview and daily report on a full-scale district (scale 1: ≈0.56 M residents, ≈230 k
households), with the aggregates cached until a write.

Builds once (then reuses; ``--fresh`` rebuilds) a SQLite database under ``var/bench-reports/`` holding
Qilihe's divisions, the generated population and workforce (``generate_population --scale 1
--seed 42``), an 8th-edition-era operation with 30 sealed compounds (an infection each), their
communities controlled and the district as precaution, three testing rounds over the whole district
(two closed the days before, one open today with its samples ~60 % in; 20 positive 10-in-1 pools
through the desk and the lab-results services), ~20 k service requests through the assistance
services, one gate per compound and 2,000 people found by personnel screening. Every write goes
through the owning app's services (rounds' member results are set in bulk, as a lab import would).

Then, in this process, as the district commander:

- baseline: ``registry.selectors.counts_by_child`` for the district (the bare grouped scan of the
  households and residents, which any overview must do at least once);
- overview cold (cache emptied; median of 3), warm, and each section cold on its own;
- the overview page over HTTP (Django test client) for 200 requests, with a write every 20 requests
  rotating over screening (a sample at a desk), assistance (a new request) and zones (an infection):
  p50 / p95 / p99 / max, once with the page's staleness window (LIANFANG_REPORTS_STALE_SECONDS, 15 s)
  and once strictly fresh (every write recomputes what it invalidates on the next request); then the
  same with a write before every second request (a live round: desks, lab, hotline);
- the daily report cold (cache emptied) and warm, and its XLSX and PDF.

Usage: ``.venv/bin/python bench/overview.py [--scale 1] [--fresh] [--requests 200]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DISTRICT = "620103"
REQUESTS = 20_000
SCREENED = 2_000
POSITIVE_POOLS = 20


def setup(args) -> None:
    folder = ROOT / "var" / "bench-reports"
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["LIANFANG_VAR_DIR"] = str(folder)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("LIANFANG_PLAIN_STATIC", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def step(label: str):
    """Decorator-free timer: ``with step("x"):`` prints how long the build step took."""

    class _Step:
        def __enter__(self):
            self.started = time.perf_counter()
            print(f"  {label}…", flush=True)

        def __exit__(self, *exc):
            print(f"  {label}: {time.perf_counter() - self.started:.1f} s", flush=True)

    return _Step()


def commander_user():
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division

    district = Division.objects.get(code=DISTRICT)
    user, _ = User.objects.get_or_create(username="bench-commander", defaults={"display_name": "指挥长"})
    RoleAssignment.objects.get_or_create(
        user=user, role="district_commander", division=district, starts_on=dt.date(2020, 1, 1)
    )
    return user


# ------------------------------------------------------------------------------------------ build


def build(scale: float, seed: int) -> None:
    from lianfang.divisions.models import Division
    from lianfang.registry.generator import generate_population
    from lianfang.registry.models import Household

    if not Division.objects.filter(code=DISTRICT).exists():
        from django.core.management import call_command

        call_command(
            "load_divisions", "--source", str(ROOT.parent / "shared" / "data" / "divisions"), "--code", DISTRICT
        )
    district = Division.objects.get(code=DISTRICT)
    if not Household.objects.within(DISTRICT).exists():
        with step("population and workforce (generate_population)"):
            generate_population(actor=None, district=district, scale=scale, seed=seed)
    actor = commander_user()
    ensure_shipped()
    build_zones(actor, district)
    build_rounds(actor, district)
    build_requests(actor, district)
    build_field(actor, district)


def ensure_shipped() -> None:
    from lianfang.assistance.shipped import ensure_shipped_rule_sets as assistance_rules
    from lianfang.fieldops.rules import ensure_field_rule_set
    from lianfang.reports.shipped import ensure_shipped as reports_shipped
    from lianfang.screening.services.base import ensure_shipped_rules
    from lianfang.zones.shipped import ensure_shipped_rule_sets

    ensure_shipped_rule_sets()
    ensure_shipped_rules()
    assistance_rules()
    ensure_field_rule_set()
    reports_shipped()


def _today():
    from django.utils import timezone

    return timezone.localdate()


def build_zones(actor, district) -> None:
    from lianfang.divisions.models import Division, Level
    from lianfang.zones import services
    from lianfang.zones.models import Operation

    if Operation.objects.filter(district=district).exists():
        return
    with step("zones: 30 sealed compounds, their communities controlled, the district precaution"):
        day = _today() - dt.timedelta(days=5)
        operation = services.operation_open(actor=actor, district=district, name="七里河区疫情处置", started_on=day)
        tiers = {t.key: t for t in operation.rule_set.tiers.all()}
        compounds = list(Division.objects.filter(code__startswith=DISTRICT, level=Level.COMPOUND).order_by("code"))
        sealed = compounds[:: max(1, len(compounds) // 30)][:30]
        from django.utils import timezone

        at = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

        def in_force(tier, nodes, infection=None):
            area = services.control_area_declare(
                actor=actor, operation=operation, tier=tier, nodes=nodes, reason="other", infection=infection, at=at
            )
            services.control_area_approve(actor=actor, area=area, effective_from=at)

        for index, compound in enumerate(sealed):
            result = services.infection_record(
                actor=actor,
                operation=operation,
                positive_sample_on=day + dt.timedelta(days=index % 5),
                residence=compound,
                person_name="病例",
                propose=False,
            )
            in_force(tiers["sealed"], [compound], result.infection)
        for community in Division.objects.filter(code__in={c.code[:12] for c in sealed}):
            in_force(tiers["controlled"], [community])
        in_force(tiers["precaution"], [district])


def build_rounds(actor, district) -> None:
    import uuid

    from django.db import connection, transaction
    from django.utils import timezone

    from lianfang.registry.models import Resident
    from lianfang.screening.models import RoundMember, TestingRound
    from lianfang.screening.services.desk import desk_submit
    from lianfang.screening.services.results import ResultLine, results_record
    from lianfang.screening.services.rounds import desk_create, round_close, round_open, site_create

    if TestingRound.objects.filter(district=district).count() >= 3:
        return
    now = timezone.now()
    for n, days_ago in ((1, 2), (2, 1), (3, 0)):
        with step(f"screening: round {n} over the district (snapshot of every resident)"):
            opened = now - dt.timedelta(days=days_ago, hours=3)
            rnd = round_open(actor=actor, name=f"第{n}轮全员核酸", nodes=[district], at=opened)
            share = 0.97 if days_ago else 0.6
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {RoundMember._meta.db_table} SET result = 'negative' "
                    "WHERE round_id = %s AND awaiting_home_visit = %s AND (id * 7919) %% 1000 < %s",
                    [rnd.pk, False, int(share * 1000)],
                )
            if days_ago:
                round_close(actor=actor, round=rnd, at=opened + dt.timedelta(hours=22))
    rnd = TestingRound.objects.filter(district=district, status="open").order_by("-opened_at").first()
    with step(f"screening: {POSITIVE_POOLS} positive 10-in-1 pools through the desk and the lab results"):
        site = site_create(actor=actor, round=rnd, name="采样点", division=district.children.first())
        desk = desk_create(actor=actor, site=site, name="1号台", mode="pool_10")
        people = list(
            Resident.objects.filter(
                pk__in=RoundMember.objects.filter(round=rnd, result="", awaiting_home_visit=False).values("resident_id")
            )
            .exclude(document_type="none")
            .order_by("id")[: POSITIVE_POOLS * 10]
        )
        lines = []
        for t in range(POSITIVE_POOLS):
            tube = f"bench-{t:04d}"
            for person in people[t * 10 : t * 10 + 10]:
                desk_submit(
                    actor=actor,
                    desk=desk,
                    payload={"key": uuid.uuid4().hex, "kind": "scan", "value": person.id_number_plain(), "tube": tube},
                )
            desk_submit(
                actor=actor,
                desk=desk,
                payload={"key": uuid.uuid4().hex, "kind": "close", "value": f"BP{t:05d}", "tube": tube},
            )
            lines.append(ResultLine(line=t + 1, barcode=f"BP{t:05d}", value="positive", lab="市疾控"))
        results_record(actor=actor, lines=lines, path=district.code)


def build_requests(actor, district) -> None:
    from django.utils import timezone

    from lianfang.assistance.models import Category, ServiceRequest
    from lianfang.assistance.services.intake import service_request_create
    from lianfang.assistance.services.lifecycle import (
        service_request_accept,
        service_request_fulfil,
        service_request_start,
    )
    from lianfang.registry.models import Household

    have = ServiceRequest.objects.within(DISTRICT).count()
    if have >= REQUESTS * 0.9:
        return
    rng = random.Random(7)
    ids = list(Household.objects.within(DISTRICT).values_list("id", flat=True))
    categories = [c for c in Category.values if c != "emergency_medical"]
    now = timezone.now()
    with step(f"assistance: {REQUESTS:,} service requests through the services"):
        households = Household.objects.in_bulk(rng.sample(ids, REQUESTS - have))
        for index, household in enumerate(households.values()):
            at = now - dt.timedelta(minutes=rng.randint(5, 3 * 24 * 60))
            ticket = service_request_create(
                actor=actor, household=household, category=rng.choice(categories), description="生活物资", at=at
            )
            roll = rng.random()
            if roll < 0.55:
                service_request_accept(actor=actor, ticket=ticket, at=at + dt.timedelta(minutes=20))
                if roll < 0.45:
                    service_request_start(actor=actor, ticket=ticket, at=at + dt.timedelta(minutes=30))
                    service_request_fulfil(actor=actor, ticket=ticket, at=min(now, at + dt.timedelta(hours=3)))
            if index % 2000 == 0:
                print(f"    {index:,}", flush=True)


def build_field(actor, district) -> None:
    from lianfang.divisions.models import Division, Level
    from lianfang.fieldops.models import Gate, ScreenedPerson
    from lianfang.fieldops.services.gates import gate_create
    from lianfang.fieldops.services.screened import screened_person_create
    from lianfang.registry.models import Household

    if not Gate.objects.within(DISTRICT).exists():
        with step("fieldops: a gate per compound"):
            for compound in Division.objects.filter(code__startswith=DISTRICT, level=Level.COMPOUND):
                gate_create(actor=actor, division=compound, name="大门")
    have = ScreenedPerson.objects.within(DISTRICT).count()
    if have < SCREENED:
        rng = random.Random(11)
        ids = list(Household.objects.within(DISTRICT).values_list("id", flat=True))
        with step(f"fieldops: {SCREENED:,} people found by personnel screening"):
            for household in Household.objects.in_bulk(rng.sample(ids, SCREENED - have)).values():
                screened_person_create(
                    actor=actor,
                    district=district,
                    category=rng.choice(["inflow", "inflow", "risk_traveller"]),
                    name="返乡人员",
                    household=household,
                    origin="西安市",
                    arrived_on=_today() - dt.timedelta(days=rng.randint(0, 6)),
                )


# ------------------------------------------------------------------------------------------ measure


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def fresh(user):
    for attr in ("_lianfang_scope", "_lianfang_assignments"):
        if hasattr(user, attr):
            delattr(user, attr)
    return user


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(n_requests: int, stale_default: float | None = None) -> None:
    import uuid

    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lianfang.assistance.services.intake import service_request_create
    from lianfang.divisions.models import Division
    from lianfang.registry.models import Household, Resident
    from lianfang.registry.selectors import counts_by_child
    from lianfang.reports import cache as cache_module
    from lianfang.reports import daily, documents, overview, render
    from lianfang.screening.models import RoundMember, SamplingDesk, TestingRound
    from lianfang.screening.services.desk import desk_submit
    from lianfang.zones import services as zones
    from lianfang.zones.models import Operation

    district = Division.objects.get(code=DISTRICT)
    commander = commander_user()
    today = _today()
    households = Household.objects.within(DISTRICT).count()
    residents = Resident.objects.within(DISTRICT).count()
    members = RoundMember.objects.filter(round__district=district).count()
    from lianfang.assistance.models import ServiceRequest

    tickets = ServiceRequest.objects.within(DISTRICT).count()
    print(
        f"\nSQLite; {households:,} households, {residents:,} residents, {members:,} round members in "
        f"{TestingRound.objects.filter(district=district).count()} rounds, {tickets:,} service requests"
    )

    timed(
        lambda: counts_by_child(user=fresh(commander), parent_code=DISTRICT, child_code_length=9)
    )  # warm the page cache
    base = statistics.median(
        timed(lambda: counts_by_child(user=fresh(commander), parent_code=DISTRICT, child_code_length=9))[0]
        for _ in range(3)
    )

    def cold_overview():
        cache.clear()
        return overview.build(user=fresh(commander), division=district)

    cold_overview()
    with CaptureQueriesContext(connection) as ctx:
        cold_overview()
    cold_queries = len(ctx.captured_queries)  # read now: every request of the test client resets the log
    cold = statistics.median(timed(cold_overview)[0] for _ in range(3))
    warm = statistics.median(
        timed(lambda: overview.build(user=fresh(commander), division=district))[0] for _ in range(5)
    )

    client = Client()
    client.force_login(commander)
    url = f"/reports/?code={DISTRICT}"
    rnd = TestingRound.objects.filter(district=district, status="open").first()
    desk = SamplingDesk.objects.filter(round=rnd).first()
    waiting = list(
        Resident.objects.filter(
            pk__in=RoundMember.objects.filter(round=rnd, result="", awaiting_home_visit=False).values("resident_id")
        )
        .exclude(document_type="none")
        .order_by("-id")[: 2 * n_requests]
    )
    rng = random.Random(3)
    ids = list(Household.objects.within(DISTRICT).values_list("id", flat=True)[:50_000])
    operation = Operation.objects.get(district=district, status="open")
    write_seconds = []

    def write(index: int) -> None:
        kind = (index // 20) % 3
        started = time.perf_counter()
        household = Household.objects.get(pk=rng.choice(ids))
        if kind == 0:
            person = waiting.pop()
            desk_submit(
                actor=commander,
                desk=desk,
                payload={
                    "key": uuid.uuid4().hex,
                    "kind": "scan",
                    "value": person.id_number_plain(),
                    "tube": f"w-{uuid.uuid4().hex[:12]}",
                },
            )
        elif kind == 1:
            service_request_create(
                actor=commander, household=household, category=rng.choice(["medicine", "groceries"]), description="药品"
            )
        else:
            zones.infection_record(
                actor=commander,
                operation=operation,
                positive_sample_on=today,
                household=household,
                person_name="新增",
                propose=False,
            )
        write_seconds.append(time.perf_counter() - started)

    def run(stale: float, every: int = 20) -> tuple[list[float], int]:
        settings.LIANFANG_REPORTS_STALE_SECONDS = stale
        cache.clear()
        client.get(url)
        times = []
        for index in range(n_requests):
            if index and index % every == 0:
                write(index * 20 // every)
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        return times, (n_requests - 1) // every

    stale = cache_module.stale_seconds() if stale_default is None else stale_default
    tolerant, writes = run(stale)
    strict, _writes = run(0)
    busy, busy_writes = run(stale, every=2)
    busy_strict, _writes = run(0, every=2)

    sections = []
    for name, fn in (
        ("tiers (counts_by_tier + areas)", lambda u: daily.section_tiers(user=u, division=district, day=today)),
        ("current round (coverage)", lambda u: overview.section_round(user=u, division=district, day=today)),
        ("positive pools", lambda u: overview.section_pools(user=u, division=district, day=today)),
        ("requests (open_board)", lambda u: daily.section_requests(user=u, division=district, day=today)),
        ("gates (roster_coverage)", lambda u: daily.section_gates(user=u, division=district, day=today)),
        ("workforce (sheet)", lambda u: daily.section_workforce(user=u, division=district, day=today)),
    ):
        cache.clear()
        sections.append((name, timed(lambda fn=fn: fn(fresh(commander)))[0]))

    def cold_daily():
        cache.clear()
        return daily.build(user=fresh(commander), division=district, day=today)

    cold_daily()
    daily_cold = statistics.median(timed(cold_daily)[0] for _ in range(3))
    daily_warm, report = timed(lambda: daily.build(user=fresh(commander), division=district, day=today))
    doc = documents.daily_document(report, language="zh-hans", watermark="bench")
    xlsx_seconds, xlsx = timed(lambda: render.to_xlsx(doc))
    pdf_seconds, pdf = timed(lambda: render.to_pdf(doc))
    past_day = today - dt.timedelta(days=2)
    cache.clear()
    past_seconds, _ = timed(lambda: daily.build(user=fresh(commander), division=district, day=past_day))

    print(f"\n{'measure':62} {'seconds':>8} {'× baseline':>10}")
    rows = [
        ("baseline: counts_by_child (households + residents by street)", base),
        (f"overview, cold (cache emptied; {cold_queries} queries)", cold),
        ("overview, warm (every section cached)", warm),
        *[(f"  section cold: {name}", seconds) for name, seconds in sections],
        (f"overview page p50 ({n_requests} requests, {writes} writes, {stale:.0f} s window)", percentile(tolerant, 50)),
        ("overview page p95", percentile(tolerant, 95)),
        ("overview page p99", percentile(tolerant, 99)),
        ("overview page max", max(tolerant)),
        ("overview page p50, strictly fresh (no window)", percentile(strict, 50)),
        ("overview page p95, strictly fresh", percentile(strict, 95)),
        ("overview page max, strictly fresh", max(strict)),
        (f"busy: a write before every 2nd request ({busy_writes} writes), p50", percentile(busy, 50)),
        ("busy: p95", percentile(busy, 95)),
        ("busy: max", max(busy)),
        ("busy, strictly fresh: p50", percentile(busy_strict, 50)),
        ("busy, strictly fresh: p95", percentile(busy_strict, 95)),
        ("daily report (today), cold", daily_cold),
        ("daily report (today), warm", daily_warm),
        (f"daily report ({past_day}), cold", past_seconds),
        (f"daily report XLSX ({len(xlsx):,} bytes)", xlsx_seconds),
        (f"daily report PDF ({len(pdf):,} bytes)", pdf_seconds),
    ]
    for label, seconds in rows:
        print(f"{label:62} {seconds:8.3f} {seconds / base:10.2f}")
    print(
        f"\nrequests over 300 ms: {sum(t > 0.3 for t in tolerant)} of {n_requests} with the window, "
        f"{sum(t > 0.3 for t in strict)} strictly fresh; busy: {sum(t > 0.3 for t in busy)} with the window, "
        f"{sum(t > 0.3 for t in busy_strict)} strictly fresh; "
        f"writes: median {statistics.median(write_seconds) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--requests", type=int, default=200, help="overview page requests measured")
    parser.add_argument("--tickets", type=int, default=REQUESTS, help="service requests in the data")
    parser.add_argument("--stale", type=float, help="staleness window of the page (default: the setting, 15 s)")
    args = parser.parse_args()
    globals()["REQUESTS"] = args.tickets
    setup(args)
    started = time.perf_counter()
    build(args.scale, args.seed)
    print(f"data ready ({time.perf_counter() - started:.0f} s; built once, reused by later runs)")
    measure(args.requests, args.stale)


if __name__ == "__main__":
    main()
