"""Fixtures for the service-request tests: the shipped rule sets, a responsibility grid around the
shared ``population``, people who handle requests, a sealed area, and a clock helper.

Grid (下西园社区 620103001001, 阳光小区 compound_a holds h1 and h2): L4 representative 陈代表 (account
``rep``) for h1 and h2; L3 community staff 刘网格 (the ``community_staff`` persona's account) for
compound_a; L2 cadre 马干部 (account ``cadre``) for the community; L1 street leader 周书记 (account
``leader``) for the community. h3 (上西园) has nobody: a gap in every level.
"""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2022, 3, 28, 9, 0, tzinfo=SHANGHAI)  # a Monday of the Qilihe operation


def at(minutes: float = 0, base: dt.datetime = T0) -> dt.datetime:
    """``base`` + ``minutes`` (aware)."""
    return base + dt.timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def shipped_rules(db):
    """Rule sets shipped by migrations (restored when a transactional test flushed them)."""
    from django.apps import apps

    from lianfang.assistance.shipped import ensure_shipped_rule_sets
    from lianfang.workforce.models import GridRuleSet
    from lianfang.zones.shipped import ensure_shipped_rule_sets as ensure_zone_rule_sets

    ensure_shipped_rule_sets()
    ensure_zone_rule_sets()
    if not GridRuleSet.objects.exists():
        importlib.import_module("lianfang.workforce.migrations.0003_grid_rule_set_qilihe_2022").forwards(apps, None)


def make_user(username: str, role: str | None = None, code: str | None = None):
    from lianfang.conftest import _user

    return _user(username, role, code)


@pytest.fixture
def grid(population, community_staff):
    """The responsibility grid above (workers, accounts, assignments from 2022-03-01, open-ended)."""
    from lianfang.divisions.models import Division
    from lianfang.workforce.services import assignment_create, worker_create

    community = Division.objects.get(code="620103001001")
    street = Division.objects.get(code="620103001")
    compound = population["compound_a"]
    start = dt.date(2022, 3, 1)
    rep_user = make_user("rep", "household_representative", compound.code)
    cadre_user = make_user("cadre", "stationed_cadre", community.code)
    leader_user = make_user("leader", "street_officer", street.code)
    rep = worker_create(
        actor=None,
        name="陈代表",
        categories=["household_representative"],
        base_division=compound,
        user=rep_user,
        phone="13800000004",
    )
    staff = worker_create(
        actor=None, name="刘网格", categories=["community_staff"], base_division=community, user=community_staff
    )
    cadre = worker_create(
        actor=None,
        name="马干部",
        categories=["district_cadre"],
        base_division=community,
        user=cadre_user,
        sending_organisation="七里河区卫健局",
    )
    leader = worker_create(
        actor=None, name="周书记", categories=["street_staff"], base_division=street, user=leader_user
    )
    assignment_create(actor=None, level=4, worker=rep, starts_on=start, households=[population["h1"], population["h2"]])
    assignment_create(actor=None, level=3, worker=staff, starts_on=start, division=compound)
    assignment_create(actor=None, level=2, worker=cadre, starts_on=start, division=community)
    assignment_create(actor=None, level=1, worker=leader, starts_on=start, division=community)
    return {
        **population,
        "rep": rep,
        "staff": staff,
        "cadre": cadre,
        "leader": leader,
        "rep_user": rep_user,
        "cadre_user": cadre_user,
        "leader_user": leader_user,
        "staff_user": community_staff,
    }


@pytest.fixture
def volunteer(population):
    """A volunteer of 阳光小区 (FIELD_WORK only: may file requests and tick deliveries, not accept)."""
    return make_user("volunteer", "volunteer", population["compound_a"].code)


@pytest.fixture
def sealed(population, district_commander):
    """阳光小区 (compound_a) sealed from 2022-03-27 09:00 in an 8th-edition-era operation."""
    from lianfang.divisions.models import Division
    from lianfang.zones.services import control_area_approve, control_area_declare, operation_open

    qilihe = Division.objects.get(code="620103")
    operation = operation_open(
        actor=district_commander, district=qilihe, name="七里河区疫情处置", started_on=dt.date(2022, 3, 27)
    )
    tier = operation.rule_set.tiers.get(key="sealed")
    area = control_area_declare(
        actor=district_commander,
        operation=operation,
        tier=tier,
        nodes=[population["compound_a"]],
        at=dt.datetime(2022, 3, 27, 8, tzinfo=SHANGHAI),
    )
    return control_area_approve(
        actor=district_commander, area=area, effective_from=dt.datetime(2022, 3, 27, 9, tzinfo=SHANGHAI)
    )


@pytest.fixture
def emergencies():
    """Records every emergency listener call as ``(ticket number, reason)``."""
    from lianfang.assistance import hooks

    calls = []

    def listener(ticket, *, reason):
        calls.append((ticket.number, reason, ticket.compound.code if ticket.compound_id else None))

    hooks.register_emergency_listener(listener)
    yield calls
    hooks.unregister_emergency_listener(listener)
