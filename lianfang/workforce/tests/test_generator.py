"""The demo workforce: report proportions, a complete grid with deliberate problems, idempotent runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count

from lianfang.registry.models import Household
from lianfang.workforce import selectors
from lianfang.workforce.generator import apportion, generate_workforce, link_demo_representative
from lianfang.workforce.models import Deployment, ResponsibilityAssignment, Team, Worker, WorkerCategory
from lianfang.workforce.sheet import workforce_sheet

pytestmark = pytest.mark.django_db

SCALE, SEED = 0.05, 42
DAY = dt.date(2022, 3, 27)


@pytest.fixture
def demo(qilihe):
    from lianfang.registry.generator import generate_population

    report = generate_population(actor=None, district=qilihe, scale=SCALE, seed=SEED)
    return qilihe, report.extra


def test_apportion():
    assert apportion(10, {"a": 1, "b": 1, "c": 2}) == {"a": 3, "b": 2, "c": 5}  # tie: key order
    assert sum(apportion(7, {"a": 5, "b": 0, "c": 1}, floor=1).values()) == 7
    assert apportion(2, {"a": 5, "b": 1, "c": 1}, floor=1) == {"a": 1, "b": 1, "c": 1}


def test_workforce_at_report_proportions(demo):
    district, counts = demo
    communities = Household.objects.within(district.code).values("community_id").distinct().count()
    sheet = workforce_sheet(user=selectors.SYSTEM, division=district, on=DAY)
    expected = {  # domain.md §6 × scale, with one community worker and one cadre at least per community
        "community_workers": max(round(1848 * SCALE), communities),
        "city_cadres": round(429 * SCALE),
        "district_cadres": max(round(790 * SCALE), communities),
        "social_work_committee": round(428 * SCALE),
        "veterans": round(196 * SCALE),
        "volunteers": round(657 * SCALE),
    }
    assert {k: sheet.totals.counts[k] for k in expected} == expected
    assert sheet.totals.communities == communities
    assert counts["deployments"] == sheet.totals.counts["total"] == Deployment.objects.count()
    assert (
        Worker.objects.exclude(sending_organisation="").count() == expected["city_cadres"] + expected["district_cadres"]
    )
    assert Team.objects.filter(name="蓝马甲志愿服务队").exists()


def test_complete_grid_with_deliberate_problems(demo):
    district, counts = demo
    households = Household.objects.within(district.code).count()
    report = selectors.coverage(user=selectors.SYSTEM, division=district, on=DAY)
    totals = report.totals
    assert totals.households == households
    assert totals.households_without_l4 == counts["gap_households"] == max(3, round(0.002 * households))
    assert totals.gaps[1] == 1 and totals.gaps[2] == 1 and totals.gaps[3] >= 1
    assert totals.outside_scope == 2
    assert totals.overloaded == counts["overloaded_representatives"] >= 1
    assert all(n > report.rules.overload_threshold for n in report.overloaded_workers.values())
    loads = list(
        ResponsibilityAssignment.objects.filter(level=4)
        .values("worker_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    normal = [n for n in loads if n <= report.rules.overload_threshold]
    assert max(normal) <= report.rules.target_households and len(normal) >= len(loads) - totals.overloaded


def test_idempotent_and_deterministic(demo):
    district, _counts = demo
    keys = dict(Worker.objects.values_list("source_key", "name"))
    rows = ResponsibilityAssignment.objects.count()
    assert generate_workforce(district=district, scale=SCALE, seed=SEED) == {
        "workers": 0,
        "deployments": 0,
        "teams": 0,
        "assignments_l1": 0,
        "assignments_l2": 0,
        "assignments_l3": 0,
        "assignments_l4": 0,
    }
    assert ResponsibilityAssignment.objects.count() == rows
    ResponsibilityAssignment.objects.all().delete()
    Deployment.objects.all().delete()
    Team.objects.all().delete()
    WorkerCategory.objects.all().delete()
    Worker.objects.all().delete()
    again = generate_workforce(district=district, scale=SCALE, seed=SEED)
    assert again["assignments_l4"] + again["gap_households"] == Household.objects.count()
    assert dict(Worker.objects.values_list("source_key", "name")) == keys


def test_link_demo_representative(demo):
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division, Level

    district, _counts = demo
    compound = Division.objects.filter(level=Level.COMPOUND).within(district.code).order_by("code").first()
    user = User.objects.create_user("representative")
    RoleAssignment.objects.create(
        user=user, role="household_representative", division=compound, starts_on=dt.date(2022, 3, 1)
    )
    link_demo_representative(user=user, district=district)
    link_demo_representative(user=user, district=district)
    worker = Worker.objects.get(user=user)
    visible = Household.objects.visible_to(User.objects.get(pk=user.pk))
    assert visible.count() == ResponsibilityAssignment.objects.filter(worker=worker, ends_on__isnull=True).count() > 0
    assert all(h.path.startswith(compound.code) for h in visible)
