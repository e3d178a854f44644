"""Service-request escalation (``requests_tick``) and the open/overdue board with 50 k open tickets.

Builds (once, then reuses) a SQLite database under ``var/bench-requests/`` with Qilihe's divisions, a
generated population and responsibility grid (``generate_population --scale 0.1 --seed 42``: ≈23 k
households, every level of the grid filled), then in this process:

1. inserts 5,000 open tickets (the baseline) spread over the 48 hours before the instant T, in every
   category and priority, 60 % new, 25 % accepted, 15 % in progress; each one's escalation level and
   next check are what ``requests_tick`` would have left one minute (steady state) or one hour
   (a backlog after the cron job was down) before T;
2. measures, at T: ``requests_tick`` (each run inside a transaction rolled back afterwards, so every
   run sees the same state) and the board page ``/assistance/`` and the overdue list
   ``/assistance/tickets/?overdue=true`` as the district commander (Django test client, in process);
3. adds tickets up to 50,000 and measures the same again.

Every figure is the best of 5 runs after a warm-up and is printed with its ratio to the 5,000-ticket
baseline measured in the same run (for the tick: per ticket it had to escalate). Usage:
``.venv/bin/python bench/requests_tick.py [--tickets 50000] [--baseline 5000] [--scale 0.1] [--fresh]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DISTRICT = "620103"
# The instant of the tick: now, to the minute, so the pages (which use the real clock) see the same state.
T = dt.datetime.now(tz=ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0)


def best_of(fn, runs: int = 5) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def setup(args) -> None:
    folder = ROOT / "var" / "bench-requests"
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["LIANFANG_VAR_DIR"] = str(folder)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
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


def commander():
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division

    user, created = User.objects.get_or_create(username="bench-commander", defaults={"display_name": "bench"})
    if created:
        RoleAssignment.objects.create(
            user=user,
            role="district_commander",
            division=Division.objects.get(code=DISTRICT),
            starts_on=dt.date(2020, 1, 1),
        )
    return user


def add_tickets(count: int, lag: dt.timedelta, seed: int) -> None:
    """Bring the district's open tickets up to ``count`` (bulk insert; setup, not measured)."""
    from lianfang.assistance import adapters, rules
    from lianfang.assistance.models import Category, ServiceRequest, Status, Step
    from lianfang.registry.models import Household

    have = ServiceRequest.objects.count()
    if have >= count:
        return
    rule_set = rules.rule_set_in_force(None, T.date())
    table = rules.limit_table(rule_set)
    rng = random.Random(seed + have)
    households = list(
        Household.objects.within(DISTRICT).values_list("pk", "district_id", "community_id", "compound_id", "path")
    )
    rng.shuffle(households)
    taken = set(ServiceRequest.objects.values_list("household_id", "category"))
    categories = [c for c, _ in Category.choices]
    weights = {"emergency_medical": 2, "medical_trip": 8, "medicine": 40, "groceries": 40, "other": 10}
    slots = [(h, c) for c in categories for h in households if (h[0], c) not in taken]
    rng.shuffle(slots)
    wanted = []
    for h, c in slots:
        if len(wanted) >= count - have:
            break
        if rng.random() * 20 < weights[c]:
            wanted.append((h, c))
    routes = {}
    for level in (4, 3, 2, 1):
        routes[level] = adapters.route_many([(h[0], level) for h, _c in wanted], T.date())
    rows = []
    for (pk, district_id, community_id, compound_id, path), category in wanted:
        received = T - dt.timedelta(minutes=rng.uniform(1, 48 * 60))
        priority = rules.initial_priority(category, rng.choice(["", "", "", "urgent"]))
        limits = table.limits(category, priority)
        due = rules.deadlines(received, limits)
        roll = rng.random()
        status = Status.NEW if roll < 0.6 else Status.ACCEPTED if roll < 0.85 else Status.IN_PROGRESS
        reached = {}
        if received >= T - lag:
            status = Status.NEW  # arrived after the last tick ran: nobody can have accepted it yet
        if status != Status.NEW:
            reached[Step.ACCEPT] = min(received + dt.timedelta(minutes=rng.uniform(1, 180)), T - lag)
        to_accept = int((reached[Step.ACCEPT] - received).total_seconds()) if reached else None
        clock = rules.escalation(current_level=4, due=due, reached=reached, limits=limits, now=T - lag)
        worker, routed_level = routes[clock.level].get((pk, clock.level), (None, None))
        rows.append(
            ServiceRequest(
                number=f"B{pk:08d}-{categories.index(category)}",
                district_id=district_id,
                community_id=community_id,
                compound_id=compound_id,
                household_id=pk,
                path=path,
                category=category,
                description="bench",
                priority=priority,
                status=status,
                received_at=received,
                accepted_at=reached.get(Step.ACCEPT),
                seconds_to_accept=to_accept,
                sla_rule_set=rule_set,
                accept_due_at=due[Step.ACCEPT],
                on_site_due_at=due[Step.ON_SITE],
                fulfil_due_at=due[Step.FULFIL],
                due_at=rules.next_due(due, reached),
                escalation_level=clock.level,
                next_escalation_at=clock.next_check,
                routed_worker=worker,
                routed_level=routed_level,
            )
        )
    ServiceRequest.objects.bulk_create(rows, batch_size=1000)
    print(f"tickets: {ServiceRequest.objects.count()} open ({len(rows)} added)")


def measure_tick() -> tuple[float, object]:
    from django.db import transaction

    from lianfang.assistance.services.escalation import requests_tick

    def run():
        with transaction.atomic():
            report = requests_tick(now=T)
            transaction.set_rollback(True)
        return report

    return best_of(run)


def measure_pages(user) -> dict[str, float]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    result = {}
    for label, url in (("board", "/assistance/"), ("overdue list", "/assistance/tickets/?overdue=true")):

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response

        result[label] = best_of(get)[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--baseline", type=int, default=5_000)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--lag-minutes", type=float, nargs="*", default=[1, 60])
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    setup(args)
    ensure_population(args.scale, 42)
    from django.db import connection

    from lianfang.assistance.models import ServiceRequest
    from lianfang.assistance.shipped import ensure_shipped_rule_sets

    ensure_shipped_rule_sets()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's response.context and in-memory e-mail, once
    user = commander()
    print("requests_tick and the open/overdue pages on SQLite (best of 5 after a warm-up; tick runs rolled back)")
    figures = {}
    for lag_minutes in args.lag_minutes:
        lag = dt.timedelta(minutes=lag_minutes)
        with connection.cursor() as cursor:  # bench data only: tickets are never deleted by the app
            cursor.execute(f'DELETE FROM "{ServiceRequest._meta.db_table}"')
            # No planner statistics for the tickets (the app never runs ANALYZE): the worst case.
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute(f"DELETE FROM sqlite_stat1 WHERE tbl = '{ServiceRequest._meta.db_table}'")
        for size in (args.baseline, args.tickets):
            add_tickets(size, lag, seed=lag_minutes)
            seconds, report = measure_tick()
            pages = measure_pages(user) if lag_minutes == args.lag_minutes[0] else {}
            figures[(lag_minutes, size)] = (seconds, report, pages)
            line = f"  lag {lag_minutes:>4g} min, {size:>6} open: requests_tick {seconds * 1000:7.1f} ms ({report})"
            if size != args.baseline:
                base_s, base_report, base_pages = figures[(lag_minutes, args.baseline)]
                per = (seconds / max(report.escalated, 1)) / (base_s / max(base_report.escalated, 1))
                line += f"; ×{seconds / base_s:.2f} the baseline's time, ×{per:.2f} per escalated ticket"
            print(line)
            for label, page_s in pages.items():
                text = f"      {label:<13} {page_s * 1000:7.1f} ms"
                if size != args.baseline:
                    text += f" (×{page_s / figures[(lag_minutes, args.baseline)][2][label]:.2f} the baseline's)"
                print(text)


if __name__ == "__main__":
    main()
