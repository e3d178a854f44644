"""Fixtures for field-operations tests: the shipped rule sets, an open operation in Qilihe with
阳光小区 (compound_a, 下西园) sealed and 园林小区 (compound_b, 上西园) controlled since 20 November,
gates, a guard with a phone account, the L3 person of compound_a and its household representative."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
AREA_START = dt.date(2026, 11, 20)


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An aware datetime at ``hour:minute`` Asia/Shanghai on ``day``."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def english():
    """Service messages in English (the msgids) so tests can assert on them; pages and the API
    follow the request's language as usual."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def shipped_rules(db):
    """Zone rule sets and the field rule set (restored after a flush; the grid rule set restores itself)."""
    from lianfang.fieldops.rules import ensure_field_rule_set
    from lianfang.zones.shipped import ensure_shipped_rule_sets

    ensure_shipped_rule_sets()
    ensure_field_rule_set()


@pytest.fixture
def operation(qilihe, district_commander):
    """An open operation in Qilihe under the 8th-edition era rule set (the default)."""
    from lianfang.zones.services import operation_open

    return operation_open(
        actor=district_commander, district=qilihe, name="七里河区疫情处置", started_on=dt.date(2026, 11, 1)
    )


def put_in_force(actor, operation, key: str, nodes, *, day: dt.date = AREA_START):
    """Declare and approve an area of tier ``key`` over ``nodes`` from 09:00 on ``day``."""
    from lianfang.zones.models import AreaReason
    from lianfang.zones.services import control_area_approve, control_area_declare

    area = control_area_declare(
        actor=actor,
        operation=operation,
        tier=operation.rule_set.tiers.get(key=key),
        nodes=nodes,
        reason=AreaReason.OTHER,
        at=at(day, 8),
    )
    return control_area_approve(actor=actor, area=area, effective_from=at(day))


@pytest.fixture
def areas(population, operation, district_commander):
    """阳光小区 sealed, 园林小区 controlled (from 20 November 09:00)."""
    sealed = put_in_force(district_commander, operation, "sealed", [population["compound_a"]])
    controlled = put_in_force(district_commander, operation, "controlled", [population["compound_b"]])
    return {"sealed": sealed, "controlled": controlled}


@pytest.fixture
def gates(population, community_staff, other_community_staff):
    """Gate 北门 of 阳光小区 (one guard per shift) and 南门 of 园林小区 (two guards per shift)."""
    from lianfang.fieldops.services.gates import gate_create

    north = gate_create(actor=community_staff, division=population["compound_a"], name="北门")
    south = gate_create(actor=other_community_staff, division=population["compound_b"], name="南门", guards_per_shift=2)
    return {"north": north, "south": south}


def make_worker(name: str, categories, division, *, user=None):
    from lianfang.workforce.services import worker_create

    return worker_create(actor=None, name=name, categories=categories, base_division=division, user=user)


@pytest.fixture
def guard(population):
    """A volunteer of 阳光小区 who signs in (role volunteer at the compound) and stands guard."""
    from lianfang.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username="guard", password="correct-horse-battery", display_name="门岗老刘")
    RoleAssignment.objects.create(
        user=user, role="volunteer", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    return make_worker("刘守门", ["volunteer"], population["compound_a"], user=user)


@pytest.fixture
def l3_person(population):
    """The L3 person (community staff) answerable for 阳光小区 from 1 November."""
    from lianfang.workforce.services import assignment_create

    worker = make_worker("陈社工", ["community_staff"], population["compound_a"].parent)
    assignment_create(
        actor=None, level=3, worker=worker, starts_on=dt.date(2026, 11, 1), division=population["compound_a"]
    )
    return worker


@pytest.fixture
def representative(population):
    """The household representative (L4) of h1 and h2, who signs in."""
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.workforce.services import assignment_create

    user = User.objects.create_user(username="rep", password="correct-horse-battery", display_name="联户代表")
    RoleAssignment.objects.create(
        user=user, role="household_representative", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    worker = make_worker("赵代表", ["household_representative"], population["unit_a"], user=user)
    assignment_create(
        actor=None,
        level=4,
        worker=worker,
        starts_on=dt.date(2026, 11, 1),
        households=[population["h1"], population["h2"]],
    )
    return worker
