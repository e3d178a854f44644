"""Computed clocks: day counts at the boundaries for each rule set, restarts, evidence, time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from lianfang.zones import evidence, selectors, services
from lianfang.zones.models import AreaStatus
from lianfang.zones.tests.conftest import at, d, infect, put_in_force, use_rule_set

pytestmark = pytest.mark.django_db


def conditions(area, on) -> dict:
    clock = selectors.area_clock(area, on=on)
    return {c.code: c.met for c in clock.conditions}


def round_(commander, area, day, all_negative=True):
    return services.manual_evidence_add(
        actor=commander,
        area=area,
        kind="round",
        day=d(day),
        all_negative=all_negative,
        people=120,
        reason="区域核酸检测结果（纸质汇总表）",
    )


def contacts(commander, area, last_exposure, all_negative=True, people=3):
    return services.manual_evidence_add(
        actor=commander,
        area=area,
        kind="contacts",
        day=d(last_exposure) if last_exposure else None,
        all_negative=all_negative,
        people=people,
        reason="流调组提供",
    )


@pytest.fixture
def sealed(town, operation, district_commander):
    """A sealed area over 阳光小区 from 27 March 2022, for an infection detected that day in h1."""
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"])
    return put_in_force(
        district_commander,
        operation,
        "sealed",
        [town["compound_a"]],
        day=d("2022-03-27"),
        infection=result.infection,
    )


def test_8th_era_14_days_boundary(sealed, district_commander):
    clock = selectors.area_clock(sealed, on=d("2022-04-09"))
    assert clock.days_since_last_infection == 13
    assert clock.earliest_on == d("2022-04-10")
    assert clock.days_to_go == 1
    assert conditions(sealed, d("2022-04-09"))["quiet_days"] is False
    assert conditions(sealed, d("2022-04-10"))["quiet_days"] is True


def test_8th_era_round_within_the_2_days_before_lifting(sealed, district_commander):
    assert conditions(sealed, d("2022-04-10"))["round"] is None  # no evidence: unknown
    round_(district_commander, sealed, "2022-04-08")
    assert conditions(sealed, d("2022-04-10"))["round"] is True  # 04-08 is within 04-08..04-10
    assert conditions(sealed, d("2022-04-11"))["round"] is False  # too old by then
    round_(district_commander, sealed, "2022-04-11", all_negative=False)
    assert conditions(sealed, d("2022-04-11"))["round"] is False


def test_8th_era_last_close_contact_more_than_14_days_past_exposure(sealed, district_commander):
    assert conditions(sealed, d("2022-04-10"))["contacts"] is None
    contacts(district_commander, sealed, "2022-03-27")
    assert conditions(sealed, d("2022-04-10"))["contacts"] is False  # 14 days: not more than 14
    assert conditions(sealed, d("2022-04-11"))["contacts"] is True
    clock = selectors.area_clock(sealed, on=d("2022-04-01"))
    assert clock.earliest_on == d("2022-04-11")  # the contacts bind one day after the quiet days
    contacts(district_commander, sealed, "2022-03-26", all_negative=False)
    assert conditions(sealed, d("2022-04-20"))["contacts"] is False


def test_8th_era_ready_when_every_condition_holds(sealed, district_commander):
    round_(district_commander, sealed, "2022-04-09")
    contacts(district_commander, sealed, "2022-03-26")
    assert not selectors.area_clock(sealed, on=d("2022-04-09")).ready
    clock = selectors.area_clock(sealed, on=d("2022-04-10"))
    assert clock.ready and clock.rule.to_tier is None
    assert clock.failing == []


def test_no_contacts_traced_counts_as_met(sealed, district_commander):
    contacts(district_commander, sealed, None, people=0)
    assert conditions(sealed, d("2022-04-10"))["contacts"] is True


def test_new_infection_inside_restarts_the_clock(sealed, town, district_commander, operation):
    result = infect(district_commander, operation, day=d("2022-04-01"), household=town["h2"])
    assert result.restarted == [sealed]
    clock = selectors.area_clock(sealed, on=d("2022-04-10"))
    assert clock.last_infection_on == d("2022-04-01")
    assert clock.days_since_last_infection == 9
    assert clock.earliest_on == d("2022-04-15")
    sealed.refresh_from_db()
    assert sealed.last_infection_on == d("2022-04-01")  # stored clock refreshed by the write
    # An infection outside the area does not restart it.
    infect(district_commander, operation, day=d("2022-04-05"), household=town["h3"])
    assert selectors.area_clock(sealed, on=d("2022-04-10")).last_infection_on == d("2022-04-01")


def test_day_boundaries_are_asia_shanghai(sealed):
    utc = dt.UTC
    # 2022-04-09 23:59 in Shanghai is 15:59 UTC: still day 13.
    assert conditions(sealed, dt.datetime(2022, 4, 9, 15, 59, tzinfo=utc))["quiet_days"] is False
    # 2022-04-10 00:00 in Shanghai is 16:00 UTC on 04-09: day 14.
    assert conditions(sealed, dt.datetime(2022, 4, 9, 16, 0, tzinfo=utc))["quiet_days"] is True


def test_9th_edition_7_days_and_a_day_7_round_then_3_more_days(town, operation, district_commander):
    use_rule_set(operation, "nhc-9th")
    result = infect(district_commander, operation, day=d("2022-07-01"), household=town["h1"])
    high = put_in_force(
        district_commander, operation, "high", [town["compound_a"]], day=d("2022-07-01"), infection=result.infection
    )
    assert conditions(high, d("2022-07-07"))["quiet_days"] is False
    assert conditions(high, d("2022-07-08"))["quiet_days"] is True
    round_(district_commander, high, "2022-07-07")  # day 6: too early
    assert conditions(high, d("2022-07-08"))["round"] is False
    round_(district_commander, high, "2022-07-08")  # day 7
    clock = selectors.area_clock(high, on=d("2022-07-08"))
    assert clock.ready and clock.target_tier.key == "medium" and clock.earliest_on == d("2022-07-08")

    medium = services.control_area_downgrade(actor=district_commander, area=high, at=at(d("2022-07-08"), 10))
    high.refresh_from_db()
    assert (high.status, medium.status, medium.tier.key) == (AreaStatus.DOWNGRADED, AreaStatus.ACTIVE, "medium")
    assert medium.predecessor == high
    # 3 more days counted from the downgrade, not from the last infection.
    assert conditions(medium, d("2022-07-10"))["quiet_days"] is False
    assert conditions(medium, d("2022-07-11"))["quiet_days"] is True
    assert selectors.area_clock(medium, on=d("2022-07-11")).ready
    assert selectors.area_clock(medium, on=d("2022-07-11")).rule.counted_from == "tier_entry"


def test_9th_edition_declared_medium_needs_7_days_and_a_day_7_round(town, operation, district_commander):
    use_rule_set(operation, "nhc-9th")
    result = infect(district_commander, operation, day=d("2022-07-01"), household=town["h4"])
    medium = put_in_force(
        district_commander, operation, "medium", [town["compound_c"]], day=d("2022-07-01"), infection=result.infection
    )
    round_(district_commander, medium, "2022-07-08")
    assert not selectors.area_clock(medium, on=d("2022-07-07")).ready
    assert selectors.area_clock(medium, on=d("2022-07-08")).ready


def test_20_measures_5_days(town, operation, district_commander):
    use_rule_set(operation, "twenty-measures")
    result = infect(district_commander, operation, day=d("2022-11-12"), household=town["h1"])
    building = town["unit_a"].parent
    high = put_in_force(
        district_commander, operation, "high", [building], day=d("2022-11-12"), infection=result.infection
    )
    assert not selectors.area_clock(high, on=d("2022-11-16")).ready
    clock = selectors.area_clock(high, on=d("2022-11-17"))
    assert clock.ready and [c.code for c in clock.conditions] == ["quiet_days"]
    assert clock.earliest_on == d("2022-11-17")


def test_registered_providers_supply_the_evidence(sealed):
    calls = []

    def rounds(*, codes, until):
        calls.append((codes, until))
        return evidence.RoundEvidence(day=until - dt.timedelta(days=1), all_negative=True, people=50, source="round #7")

    def close_contacts(*, codes, infection_ids, until):
        return evidence.ContactEvidence(count=4, last_exposure_on=dt.date(2022, 3, 25), all_negative=True)

    evidence.register_round_provider(rounds)
    evidence.register_contact_provider(close_contacts)
    try:
        clock = selectors.area_clock(sealed, on=d("2022-04-10"))
    finally:
        evidence.unregister(rounds)
        evidence.unregister(close_contacts)
    assert calls == [((sealed.nodes.get().code,), d("2022-04-10"))]
    assert clock.ready
    by_code = {c.code: c for c in clock.conditions}
    assert "round #7" in by_code["round"].evidence and "50" in by_code["round"].evidence
    assert "4" in by_code["contacts"].evidence
    assert selectors.area_clock(sealed, on=d("2022-04-10")).ready is False  # unregistered again
