"""Coverage of the grid: gaps, people outside their scope, overloads; the gap-fill proposal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from lianfang.registry.services import household_create
from lianfang.workforce import selectors, services
from lianfang.workforce.models import GridRuleSet, ResponsibilityAssignment
from lianfang.workforce.proposals import propose_gap_fill
from lianfang.workforce.tests.conftest import DAY, START

pytestmark = pytest.mark.django_db


def _counts(c) -> dict:
    return c.as_dict()


def test_coverage_finds_the_gaps(grid):
    report = selectors.coverage(user=selectors.SYSTEM, division=grid["street"], on=DAY)
    assert _counts(report.totals) == {
        "households": 3,
        "households_without_l4": 1,
        "units": {"l1": 2, "l2": 2, "l3": 2},
        "gaps": {"l1": 0, "l2": 1, "l3": 0},
        "outside_scope": 0,
        "overloaded": 0,
    }
    rows = {d.code: _counts(c) for d, c in report.rows if c.households}
    assert rows["620103001001"]["households_without_l4"] == 0 and rows["620103001001"]["gaps"]["l2"] == 0
    assert rows["620103001002"]["households_without_l4"] == 1 and rows["620103001002"]["gaps"]["l2"] == 1
    assert report.gap_units[2] == {grid["compound_b"].code}
    assert list(selectors.households_without_representative(user=selectors.SYSTEM, code="620103001", on=DAY)) == [
        grid["h3"]
    ]
    # Before the grid started, everything is a gap.
    early = selectors.coverage(user=selectors.SYSTEM, division=grid["street"], on=dt.date(2022, 3, 1))
    assert _counts(early.totals)["households_without_l4"] == 3
    assert _counts(early.totals)["gaps"] == {"l1": 2, "l2": 2, "l3": 2}


def test_outside_scope_and_overload(grid):
    h4 = household_create(actor=None, node=grid["unit_a"], room="102")
    # 冯代表 lives in 园林小区 (上西园) but is made responsible for a household of 阳光小区 (下西园).
    services.assignment_create(actor=None, level=4, worker=grid["rep_b"], households=[h4], starts_on=START)
    GridRuleSet.objects.create(
        code="tight", name="tight", effective_from=dt.date(2022, 3, 21), target_households=1, overload_threshold=1
    )
    report = selectors.coverage(user=selectors.SYSTEM, division=grid["street"], on=DAY)
    assert report.rules.code == "tight"
    assert report.totals.outside_scope == 1 and report.totals.overloaded == 1
    assert report.overloaded_workers == {grid["rep_a"].pk: 2}
    rows = {d.code: c for d, c in report.rows}
    assert rows["620103001001"].outside_scope == 1 and rows["620103001001"].overloaded == 1
    assert rows["620103001002"].outside_scope == 0
    outside = selectors.outside_scope_assignments(user=selectors.SYSTEM, code="620103001", on=DAY)
    assert [(a.worker.name, a.household_id) for a in outside] == [("冯代表", h4.pk)]
    assert selectors.overloaded_representatives(user=selectors.SYSTEM, code="620103001", on=DAY) == [(grid["rep_a"], 2)]
    # The old rule set still governs the days before "tight" took effect.
    assert selectors.coverage(user=selectors.SYSTEM, division=grid["street"], on=START).totals.overloaded == 0
    # A deployment covering the household's community puts it back in scope.
    services.deployment_create(actor=None, worker=grid["rep_b"], division=grid["xia"], starts_on=DAY)
    assert selectors.coverage(user=selectors.SYSTEM, division=grid["street"], on=DAY).totals.outside_scope == 0


def test_coverage_is_scoped(grid, community_staff, other_community_staff):
    mine = selectors.coverage(user=community_staff, division=grid["xia"], on=DAY)
    assert mine.totals.households == 2 and mine.totals.households_without_l4 == 0
    theirs = selectors.coverage(user=other_community_staff, division=grid["street"], on=DAY)
    assert theirs.totals.households == 1 and theirs.totals.households_without_l4 == 1


def test_proposal_fills_gaps_only_when_confirmed(grid):
    before = ResponsibilityAssignment.objects.count()
    lines = propose_gap_fill(user=selectors.SYSTEM, division=grid["street"], on=DAY)
    assert ResponsibilityAssignment.objects.count() == before  # proposing writes nothing
    summary = [(p.level, getattr(p.unit, "code", None) or p.unit.pk, p.worker.name, p.nearness) for p in lines]
    assert summary == [
        (2, grid["compound_b"].code, "郑书记", "street"),  # least loaded at L2 (钱干部 already holds one)
        (4, grid["h3"].pk, "冯代表", "compound"),  # the idle representative living in 园林小区
    ]
    created = services.gap_fill_confirm(
        actor=None,
        items=[services.GapFill.parse(p.token) for p in lines],
        on=DAY,
        allowed_code=grid["street"].code,
    )
    assert len(created) == 2
    report = selectors.coverage(user=selectors.SYSTEM, division=grid["street"], on=DAY)
    assert report.totals.households_without_l4 == 0 and report.totals.gaps == {1: 0, 2: 0, 3: 0}
    assert propose_gap_fill(user=selectors.SYSTEM, division=grid["street"], on=DAY) == []


def test_proposal_balances_load_in_the_same_building(grid):
    extra = [household_create(actor=None, node=grid["unit_a"], room=f"5{i:02d}") for i in range(3)]
    other = services.worker_create(
        actor=None, name="陈代表", categories=["household_representative"], base_division=grid["compound_a"]
    )
    services.assignment_create(actor=None, level=4, worker=other, households=[extra[0]], starts_on=START)
    lines = [p for p in propose_gap_fill(user=selectors.SYSTEM, division=grid["xia"], on=DAY) if p.level == 4]
    # 吴代表 has 2, 陈代表 has 1: the two open households go 陈代表 (→2), then the lower id on a tie.
    assert [(p.unit.pk, p.worker.name, p.load) for p in lines] == [
        (extra[1].pk, "陈代表", 2),
        (extra[2].pk, min((grid["rep_a"], other), key=lambda w: w.pk).name, 3),
    ]
    assert {p.nearness for p in lines} == {"unit"}


def test_confirm_refuses_units_outside_the_allowed_division(grid):
    lines = propose_gap_fill(user=selectors.SYSTEM, division=grid["street"], on=DAY)
    items = [services.GapFill.parse(p.token) for p in lines]
    with pytest.raises(ValidationError) as err:
        services.gap_fill_confirm(actor=None, items=items, on=DAY, allowed_code=grid["xia"].code)
    assert grid["xia"].code in str(err.value)
    with pytest.raises(ValidationError):
        services.GapFill.parse("4:x:h1")
    assert ResponsibilityAssignment.objects.filter(starts_on=DAY).count() == 0
