"""Gate duty: rosters for sealed and controlled areas, uncovered hours, check-in, missed check-ins."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.fieldops import selectors
from lianfang.fieldops.models import Alert, AlertKind, DutyShift, DutyStatus
from lianfang.fieldops.services.gates import (
    duty_missed_flag,
    duty_roster_generate,
    duty_shift_assign,
    duty_shift_check_in,
    duty_shift_check_out,
    emergency_at_gates,
)
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db


def test_roster_covers_sealed_and_controlled_gates_only(areas, gates, population, community_staff, district_commander):
    from lianfang.fieldops.services.gates import gate_create

    village_gate = gate_create(actor=district_commander, division=population["compound_a"].parent, name="社区西门")
    day = today()
    report = duty_roster_generate(actor=district_commander, code="620103001", day=day)
    assert (report.gates, report.skipped) == (2, 1)  # the community gate is outside every area
    assert report.tiers == {gates["north"].path: "sealed", gates["south"].path: "controlled"}
    # three 8-hour shifts; 北门 one guard each, 南门 two
    assert report.created == 3 + 6
    north = list(DutyShift.objects.filter(gate=gates["north"]).order_by("starts_at"))
    assert [(s.starts_at, s.ends_at) for s in north] == [
        (at(day, 0), at(day, 8)),
        (at(day, 8), at(day, 16)),
        (at(day, 16), at(day + dt.timedelta(days=1), 0)),
    ]
    again = duty_roster_generate(actor=district_commander, code="620103001", day=day)
    assert again.created == 0 and DutyShift.objects.count() == 9
    assert not DutyShift.objects.filter(gate=village_gate).exists()


def test_roster_needs_manage_workforce(areas, gates, guard):
    with pytest.raises(PermissionDenied):
        duty_roster_generate(actor=guard.user, code=gates["north"].path, day=today())


def test_uncovered_hours_per_gate(areas, gates, community_staff, other_community_staff, guard, population):
    from lianfang.fieldops.tests.conftest import make_worker

    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    duty_roster_generate(actor=other_community_staff, code=gates["south"].path, day=day)
    north = {s.starts_at: s for s in DutyShift.objects.filter(gate=gates["north"])}
    duty_shift_assign(actor=community_staff, shift=north[at(day, 8)], worker=guard)
    second = make_worker("王保安", ["volunteer"], population["compound_a"])
    duty_shift_assign(actor=community_staff, shift=north[at(day, 16)], worker=second)
    # 南门: only the second guard slot of the night shift is filled: one guard covers the hours
    south = DutyShift.objects.get(gate=gates["south"], starts_at=at(day, 0), slot=2)
    duty_shift_assign(
        actor=other_community_staff, shift=south, worker=make_worker("李保安", ["volunteer"], population["compound_b"])
    )

    coverage = {c.gate.name: c for c in selectors.roster_coverage(user=community_staff, code="620103001", day=day)}
    assert set(coverage) == {"北门"}  # community staff see their own community only
    assert coverage["北门"].needs_duty and coverage["北门"].tier_key == "sealed"
    assert coverage["北门"].gaps == [(at(day, 0), at(day, 8))]
    assert coverage["北门"].uncovered_hours == 8.0

    commander_view = {
        c.gate.name: c for c in selectors.roster_coverage(user=other_community_staff, code="620103001002", day=day)
    }
    assert commander_view["南门"].uncovered_hours == 16.0
    assert commander_view["南门"].gaps == [(at(day, 8), at(day + dt.timedelta(days=1), 0))]


def test_a_missed_shift_no_longer_covers(areas, gates, community_staff, guard, l3_person):
    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    for shift in DutyShift.objects.filter(gate=gates["north"]):
        duty_shift_assign(actor=community_staff, shift=shift, worker=guard)
    assert selectors.roster_coverage(user=community_staff, code=gates["north"].path, day=day)[0].uncovered_hours == 0
    duty_missed_flag(now=at(day, 8, 20))
    coverage = selectors.roster_coverage(user=community_staff, code=gates["north"].path, day=day)[0]
    assert coverage.gaps == [(at(day, 0), at(day, 16))]  # nobody checked in for 00:00 and 08:00


def test_guard_checks_in_and_out(areas, gates, community_staff, guard):
    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    shift = DutyShift.objects.get(gate=gates["north"], starts_at=at(day, 8))
    duty_shift_assign(actor=community_staff, shift=shift, worker=guard)
    with pytest.raises(ValidationError) as too_early:
        duty_shift_check_in(actor=guard.user, shift=shift, at=at(day, 7, 0))
    assert "07:30" in str(too_early.value) and "07:00" in str(too_early.value)
    duty_shift_check_in(actor=guard.user, shift=shift, at=at(day, 7, 55))
    shift.refresh_from_db()
    assert (shift.status, shift.checked_in_at, shift.status_reason) == ("on_duty", at(day, 7, 55), "checked_in")
    duty_shift_check_out(actor=guard.user, shift=shift, at=at(day, 16, 2))
    shift.refresh_from_db()
    assert (shift.status, shift.checked_out_at) == ("completed", at(day, 16, 2))


def test_another_volunteer_cannot_check_in_for_the_guard(areas, gates, community_staff, guard, population):
    from lianfang.accounts.models import RoleAssignment, User

    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    shift = DutyShift.objects.get(gate=gates["north"], starts_at=at(day, 8))
    duty_shift_assign(actor=community_staff, shift=shift, worker=guard)
    other = User.objects.create_user("other-volunteer")
    RoleAssignment.objects.create(
        user=other, role="volunteer", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    with pytest.raises(PermissionDenied):
        duty_shift_check_in(actor=other, shift=shift, at=at(day, 8))


def test_missed_check_in_alerts_the_l3_person_once(areas, gates, community_staff, guard, l3_person):
    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    shift = DutyShift.objects.get(gate=gates["north"], starts_at=at(day, 8))
    duty_shift_assign(actor=community_staff, shift=shift, worker=guard)
    assert duty_missed_flag(now=at(day, 8, 10))["missed"] == 0  # within the 15-minute grace
    counts = duty_missed_flag(now=at(day, 8, 16))
    assert counts["missed"] == 1
    shift.refresh_from_db()
    assert (shift.status, shift.status_reason) == (DutyStatus.MISSED, "no_check_in")
    alert = Alert.objects.get(kind=AlertKind.MISSED_CHECK_IN)
    assert (alert.recipient, alert.gate, alert.message, alert.detail["guard"]) == (
        l3_person,
        gates["north"],
        "北门",
        "刘守门",
    )
    # the unfilled 16:00 slot is not late yet; the 00:00 slot (unassigned) is uncovered now? no: it ended at 08:00
    assert duty_missed_flag(now=at(day, 8, 30)) == {"missed": 0, "uncovered": 0}
    assert Alert.objects.filter(kind=AlertKind.MISSED_CHECK_IN).count() == 1
    # the guard arrives late: the missed shift is taken up, reason late_check_in
    duty_shift_check_in(actor=guard.user, shift=shift, at=at(day, 8, 40))
    shift.refresh_from_db()
    assert (shift.status, shift.status_reason) == ("on_duty", "late_check_in")


def test_unassigned_slot_raises_uncovered_alert(areas, gates, community_staff, l3_person):
    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    counts = duty_missed_flag(now=at(day, 9))
    assert counts == {"missed": 0, "uncovered": 1}
    alert = Alert.objects.get(kind=AlertKind.UNCOVERED_DUTY)
    assert alert.recipient == l3_person and dt.datetime.fromisoformat(alert.detail["starts_at"]) == at(day, 8)


def test_assign_refuses_overlapping_duty(areas, gates, community_staff, district_commander, population):
    from lianfang.fieldops.tests.conftest import make_worker

    day = today()
    duty_roster_generate(actor=district_commander, code="620103001", day=day)
    # a worker of the street may guard the gates of both communities (not two at once)
    street_worker = make_worker("街道赵", ["volunteer"], population["compound_a"].parent.parent)
    duty_shift_assign(
        actor=community_staff,
        shift=DutyShift.objects.get(gate=gates["north"], starts_at=at(day, 8)),
        worker=street_worker,
    )
    with pytest.raises(ValidationError) as exc:
        duty_shift_assign(
            actor=district_commander,
            shift=DutyShift.objects.get(gate=gates["south"], starts_at=at(day, 8), slot=1),
            worker=street_worker,
        )
    assert exc.value.message_dict == {"worker": [f"街道赵 is already on duty at 北门 from {day:%m-%d} 08:00"]}


def test_emergency_alerts_the_gates_of_the_compound(areas, gates, population):
    raised = emergency_at_gates(household=population["h1"], reference="SR-1")
    assert raised == 1
    alert = Alert.objects.get(kind=AlertKind.EMERGENCY)
    assert (alert.gate, alert.household, alert.detail["reference"]) == (gates["north"], population["h1"], "SR-1")
    assert emergency_at_gates(household=population["h1"], reference="SR-1") == 0
    assert emergency_at_gates(household=population["h1"], reference="SR-1", reason="escalation") == 1
