"""Fixtures for the zones tests: the shipped rule sets, an operation in Qilihe, a hand-built
population around the shared ``population`` fixture, and helpers to put areas in force."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
QILIHE_START = dt.date(2022, 3, 27)


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An aware datetime at ``hour:minute`` Asia/Shanghai on ``day``."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture(autouse=True)
def english():
    """Service messages in English (msgids) unless a test switches language; pages follow the request."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def rule_sets(db):
    """The shipped rule sets (restored when a transactional test flushed them)."""
    from lianfang.zones.shipped import ensure_shipped_rule_sets

    ensure_shipped_rule_sets()


@pytest.fixture
def operation(qilihe, district_commander):
    """An open 8th-edition-era operation in Qilihe, started 27 March 2022."""
    from lianfang.zones.services import operation_open

    return operation_open(actor=district_commander, district=qilihe, name="七里河区疫情处置", started_on=QILIHE_START)


def use_rule_set(operation, key: str):
    """Switch ``operation`` to the shipped rule set ``key`` (as a commander would)."""
    from lianfang.zones.models import RuleSet
    from lianfang.zones.services import operation_rule_set_change

    return operation_rule_set_change(
        actor=None, operation=operation, rule_set=RuleSet.objects.get(key=key), reason="test"
    )


def tier(operation, key: str):
    return operation.rule_set.tiers.get(key=key)


def put_in_force(actor, operation, key: str, nodes, *, day: dt.date, infection=None, reason=None):
    """Declare and approve an area of tier ``key`` over ``nodes`` from 09:00 on ``day``."""
    from lianfang.zones.models import AreaReason
    from lianfang.zones.services import control_area_approve, control_area_declare

    area = control_area_declare(
        actor=actor,
        operation=operation,
        tier=tier(operation, key),
        nodes=nodes,
        reason=reason or (AreaReason.INFECTION if infection else AreaReason.OTHER),
        infection=infection,
        at=at(day, 8),
    )
    return control_area_approve(actor=actor, area=area, effective_from=at(day))


def infect(actor, operation, *, day: dt.date, household=None, residence=None, name="病例", propose=False, **kw):
    """Record an infection detected (positive sample) on ``day``."""
    from lianfang.zones.services import infection_record

    return infection_record(
        actor=actor,
        operation=operation,
        positive_sample_on=day,
        household=household,
        residence=residence,
        person_name=name,
        propose=propose,
        **kw,
    )


@pytest.fixture
def town(population):
    """The shared population plus a second compound in 下西园 (幸福小区: 2 households, 3 residents).

    下西园 (620103001001): 阳光小区 (h1: 2 residents, h2: 2) and 幸福小区 (h4: 2, h5: 1);
    上西园 (620103001002): 园林小区 (h3: 3 residents).
    """
    from lianfang.conftest import make_compound
    from lianfang.divisions.models import Division
    from lianfang.divisions.services import assign_schematic_geometry
    from lianfang.registry.services import household_create, resident_create, validate_resident

    community = Division.objects.get(code="620103001001")
    compound_c, units_c = make_compound(community, 2, "幸福小区", buildings=2, units=1)
    h4 = household_create(actor=None, node=units_c[0], room="101", contact_name="孙七")
    h5 = household_create(actor=None, node=units_c[1], room="102", contact_name="周八")
    for household, name, number in (
        (h4, "孙七", "620103196001010014"),
        (h4, "孙小七", "620103199501010022"),
        (h5, "周八", "620103197001010019"),
    ):
        data = validate_resident(name=name, document_number=number, today=dt.date(2026, 11, 29))
        resident_create(actor=None, household=household, data=data)
    assign_schematic_geometry(root_code="620103")  # shapes for the local nodes too (the map)
    return {**population, "compound_c": compound_c, "units_c": units_c, "h4": h4, "h5": h5}
