"""zone_tick: recomputes clocks, raises due proposals once (idempotent), never changes a status."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lianfang.core.models import AuditEntry
from lianfang.zones import services
from lianfang.zones.models import AreaReason, AreaStatus
from lianfang.zones.tests.conftest import d, infect, put_in_force, use_rule_set

pytestmark = pytest.mark.django_db


def tick(day: str) -> str:
    out = StringIO()
    call_command("zone_tick", "--on", day, stdout=out)
    return out.getvalue()


def test_lift_due_once_and_cleared_by_a_new_infection(town, operation, district_commander):
    infection = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"]).infection
    sealed = put_in_force(
        district_commander, operation, "sealed", [town["compound_a"]], day=d("2022-03-27"), infection=infection
    )
    services.manual_evidence_add(
        actor=district_commander, area=sealed, kind="round", day=d("2022-04-09"), all_negative=True, reason="汇总"
    )
    services.manual_evidence_add(actor=district_commander, area=sealed, kind="contacts", all_negative=True, reason="无")
    assert "lifts due: 0" in tick("2022-04-09")
    sealed.refresh_from_db()
    assert (sealed.change_ready, sealed.earliest_change_on, sealed.lift_due_since) == (False, d("2022-04-10"), None)
    assert "lifts due: 1" in tick("2022-04-10")
    assert "lifts due: 0" in tick("2022-04-10")  # idempotent
    sealed.refresh_from_db()
    assert sealed.change_ready and sealed.lift_due_since is not None and sealed.status == AreaStatus.ACTIVE
    assert sealed.events.filter(kind="lift_due").count() == 1
    assert AuditEntry.objects.filter(action="zones.tick").count() == 1
    infect(district_commander, operation, day=d("2022-04-10"), household=town["h2"])
    assert "due marks cleared: 1" in tick("2022-04-10")
    sealed.refresh_from_db()
    assert sealed.lift_due_since is None and not sealed.change_ready


def test_downgrade_proposal_raised_once(town, operation, district_commander):
    use_rule_set(operation, "nhc-9th")
    high = put_in_force(district_commander, operation, "high", [town["compound_a"]], day=d("2022-07-01"))
    services.manual_evidence_add(
        actor=district_commander, area=high, kind="round", day=d("2022-07-08"), all_negative=True, reason="汇总"
    )
    assert "downgrade proposals: 1" in tick("2022-07-08")
    assert "downgrade proposals: 0" in tick("2022-07-09")
    proposal = high.successors.get()
    assert (proposal.status, proposal.reason, proposal.tier.key) == (AreaStatus.PROPOSED, "downgrade", "medium")
    # Approving it is the commander's decision; the conditions are checked again then.
    services.control_area_withdraw(actor=district_commander, area=proposal, reason="再观察一天")
    assert "downgrade proposals: 0" in tick("2022-07-09")  # withdrawn since the clock started: not nagged


def test_upgrade_raised_for_a_positive_inside_once(town, operation, district_commander):
    # Entered before the controlled area was backdated over it (e.g. a late data entry): no
    # automatic reaction happened, so the tick catches up.
    infect(district_commander, operation, day=d("2022-03-29"), household=town["h5"])
    community = town["compound_c"].parent
    controlled = put_in_force(district_commander, operation, "controlled", [community], day=d("2022-03-28"))
    assert not controlled.successors.exists()
    assert "upgrade proposals: 1" in tick("2022-03-29")
    assert "upgrade proposals: 0" in tick("2022-03-30")
    upgrade = controlled.successors.get()
    assert (upgrade.reason, upgrade.tier.key, upgrade.status) == (AreaReason.UPGRADE, "sealed", AreaStatus.PROPOSED)
    services.control_area_withdraw(actor=district_commander, area=upgrade, reason="复核为假阳性")
    assert "upgrade proposals: 0" in tick("2022-03-31")  # withdrawn for that positive: not raised again


def test_bad_date_is_a_clear_error():
    with pytest.raises(CommandError, match="not a date"):
        call_command("zone_tick", "--on", "2022-13-01")
