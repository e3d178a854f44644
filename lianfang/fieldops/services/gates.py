"""Gate duty (值守): gates, the daily duty roster, shift assignment, check-in and check-out, missed
and uncovered shifts (tick), and the alert at the gates when an emergency crew is coming."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.selectors import can
from lianfang.core import audit
from lianfang.divisions.models import Division, Level
from lianfang.divisions.selectors import place_name
from lianfang.fieldops import adapters, selectors
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.models import AlertKind, DutyShift, DutyStatus, Gate, GateKind
from lianfang.fieldops.services.alerts import alert_raise
from lianfang.fieldops.services.base import (
    COMMUNITY_CODE_LEN,
    COMPOUND_CODE_LEN,
    FIELD,
    SETUP,
    StatusConflict,
    _create_audited,
    _now,
    _place,
    _require,
    _set_status,
    _text,
)


def gate_create(
    *,
    actor,
    division: Division,
    name: str,
    kind: str = GateKind.MIXED,
    shift_pattern: str = "",
    guards_per_shift: int = 1,
) -> Gate:
    """Add a gate to a compound, village group, community or village (villages have many entrances).

    ``shift_pattern`` must name a pattern of the field rule set in force (blank: its default);
    ``guards_per_shift`` 1-20. Raises ValidationError (unknown kind or pattern, duplicate name,
    division of the wrong level) or PermissionDenied (MANAGE_WORKFORCE at the division).
    """
    _place(division)
    name = _text(name, "name", max_length=80)
    errors = {}
    if kind not in GateKind.values:
        errors["kind"] = _("unknown gate kind “%(v)s”") % {"v": kind}
    if shift_pattern and shift_pattern not in (field_rules.in_force().shift_patterns or {}):
        errors["shift_pattern"] = _("unknown shift pattern “%(v)s”") % {"v": shift_pattern}
    if not isinstance(guards_per_shift, int) or not 1 <= guards_per_shift <= 20:
        errors["guards_per_shift"] = _("1 to 20 guards, got “%(v)s”") % {"v": guards_per_shift}
    if Gate.objects.filter(division=division, name=name).exists():
        errors["name"] = _("%(d)s already has a gate named %(v)s") % {"d": division.short_name, "v": name}
    if errors:
        raise ValidationError(errors)
    _require(actor, SETUP, division.code, what="gate")
    return _create_audited(
        Gate,
        actor=actor,
        action="fieldops.gate_create",
        district_id=division.district_id,
        division=division,
        path=division.code,
        name=name,
        kind=kind,
        shift_pattern=shift_pattern,
        guards_per_shift=guards_per_shift,
    )


def gate_set_open(*, actor, gate: Gate, is_open: bool, reason: str) -> Gate:
    """Open or close ``gate`` (a closed gate needs no duty and lets only emergencies through)."""
    reason = _text(reason, "reason")
    _require(actor, SETUP, gate.path, what="gate")
    with transaction.atomic():
        Gate.objects.filter(pk=gate.pk).update(is_active=bool(is_open))
        audit.record(
            actor=actor, action="fieldops.gate_open" if is_open else "fieldops.gate_close", obj=gate, reason=reason
        )
    gate.is_active = bool(is_open)
    return gate


@dataclass
class RosterReport:
    """What :func:`duty_roster_generate` did: ``created`` slots, ``gates`` needing duty, ``skipped``
    gates (not in a duty tier), per gate code the tier."""

    day: dt.date
    created: int = 0
    gates: int = 0
    skipped: int = 0
    tiers: dict[str, str] = field(default_factory=dict)


def duty_roster_generate(*, actor, code: str, day: dt.date) -> RosterReport:
    """Create the day's shift slots for every open gate under ``code`` whose area's tier needs
    24-hour duty (field rule set ``duty_tiers``: sealed and controlled areas), one slot per guard
    per shift of the gate's pattern. Idempotent: existing slots are kept (re-running creates
    nothing). Slots start unassigned (uncovered) until :func:`duty_shift_assign`. Raises
    PermissionDenied without MANAGE_WORKFORCE at ``code``, ValidationError ``{"day": …}`` for a day
    beyond the horizon (:func:`duty_roster_period_check`).
    """
    _require(actor, SETUP, code, what="gate")
    duty_roster_period_check(first_day=day)
    rules = field_rules.rules_on(day)
    gates = list(Gate.objects.within(code).filter(is_active=True))
    tiers = selectors.tier_keys_of_paths([g.path for g in gates], on=day) if gates else {}
    report = RosterReport(day=day)
    start, end = field_rules.day_bounds(day)
    existing = set(
        DutyShift.objects.filter(gate__in=[g.pk for g in gates], starts_at__gte=start, starts_at__lt=end).values_list(
            "gate_id", "starts_at", "slot"
        )
    )
    new = []
    for gate in gates:
        tier_key = tiers.get(gate.path, "")
        if tier_key not in (rules.duty_tiers or []):
            report.skipped += 1
            continue
        report.gates += 1
        report.tiers[gate.path] = tier_key
        for starts_at, ends_at in field_rules.shift_windows(rules, gate.shift_pattern, day):
            for slot in range(1, gate.guards_per_shift + 1):
                if (gate.pk, starts_at, slot) in existing:
                    continue
                new.append(
                    DutyShift(
                        district_id=gate.district_id,
                        path=gate.path,
                        gate=gate,
                        day=day,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        slot=slot,
                    )
                )
    with transaction.atomic():
        DutyShift.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        report.created = len(new)
        audit.record(
            actor=actor,
            action="fieldops.roster_generate",
            division_code=code,
            detail={"day": day.isoformat(), "created": report.created, "gates": report.gates},
        )
    return report


# a roster is generated for at most ROSTER_MAX_DAYS days at once, none later than ROSTER_HORIZON_DAYS
# days from today: a roster of 2099, or of 2000 days, is a typo, and a month ahead is as far as a
# containment operation plans its guards (new-user trial 16)
ROSTER_MAX_DAYS = 31
ROSTER_HORIZON_DAYS = 31


def duty_roster_period_check(*, first_day: dt.date, days: int = 1, today: dt.date | None = None) -> None:
    """Raise ValidationError naming the field and the value when the roster period of ``days`` days
    from ``first_day`` is not 1 to :data:`ROSTER_MAX_DAYS` days (``{"days": …}``) or ends later than
    :data:`ROSTER_HORIZON_DAYS` days after ``today`` (``{"day": …}``, naming the horizon and the
    period's last day). A past day is allowed (a roster filled in afterwards)."""
    today = today or timezone.localdate()
    if not isinstance(days, int) or not 1 <= days <= ROSTER_MAX_DAYS:
        raise ValidationError(
            {"days": _("a roster covers 1 to %(n)d days, not %(v)s") % {"n": ROSTER_MAX_DAYS, "v": days}}
        )
    horizon = today + dt.timedelta(days=ROSTER_HORIZON_DAYS)
    last = first_day + dt.timedelta(days=days - 1)
    if last > horizon:
        raise ValidationError(
            {
                "day": _("a roster reaches at most %(n)d days ahead (to %(horizon)s), not to %(last)s")
                % {"n": ROSTER_HORIZON_DAYS, "horizon": horizon, "last": last}
            }
        )


def duty_roster_generate_period(*, actor, code: str, first_day: dt.date, days: int = 1) -> RosterReport:
    """:func:`duty_roster_generate` for ``days`` consecutive days from ``first_day``, after
    :func:`duty_roster_period_check` (ValidationError naming ``days`` or ``day``). One transaction:
    nothing is created when a day fails. The report's ``day`` is the first day, ``created`` the sum,
    ``gates``/``skipped``/``tiers`` those of the last day."""
    duty_roster_period_check(first_day=first_day, days=days)
    total = RosterReport(day=first_day)
    with transaction.atomic():
        for offset in range(days):
            report = duty_roster_generate(actor=actor, code=code, day=first_day + dt.timedelta(days=offset))
            total.created += report.created
            total.gates, total.skipped, total.tiers = report.gates, report.skipped, report.tiers
    return total


def duty_shift_assign(*, actor, shift: DutyShift, worker) -> DutyShift:
    """Put ``worker`` (workforce Worker, or None to free the slot) on a planned ``shift``.

    Refused (ValidationError ``{"worker": …}``) when the worker's place does not cover the gate
    (selectors.gate_cover_q: based or deployed at, above or inside the gate's division; new-user
    trial 16), when the shift is no longer planned, or the worker already has a shift overlapping
    it. PermissionDenied without MANAGE_WORKFORCE at the gate.
    """
    _require(actor, SETUP, shift.path, what="shift")
    if (
        worker is not None
        and not type(worker).objects.filter(selectors.gate_cover_q(shift.path, on=shift.day), pk=worker.pk).exists()
    ):
        raise ValidationError(
            {
                "worker": _(
                    "%(w)s (%(w_place)s) may not guard %(gate)s in %(place)s: a guard is based or deployed at "
                    "the gate's place, above it or inside it"
                )
                % {
                    "w": worker.name,
                    "w_place": place_name(worker.path, below=Level.DISTRICT),
                    "gate": shift.gate.name,
                    "place": place_name(shift.path, below=Level.DISTRICT),
                }
            }
        )
    if worker is not None:
        clash = (
            DutyShift.objects.filter(worker=worker, starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at)
            .exclude(pk=shift.pk)
            .exclude(status=DutyStatus.CANCELLED)
            .select_related("gate")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "worker": _("%(w)s is already on duty at %(gate)s from %(t)s")
                    % {
                        "w": worker,
                        "gate": clash.gate.name,
                        "t": timezone.localtime(clash.starts_at).strftime("%m-%d %H:%M"),
                    }
                }
            )
    with transaction.atomic():
        _set_status(DutyShift, shift.pk, DutyStatus.PLANNED, worker=worker, status_reason="assigned")
        audit.record(
            actor=actor, action="fieldops.shift_assign", obj=shift, detail={"worker": worker.pk if worker else None}
        )
    shift.worker = worker
    return shift


def _may_act_for_shift(actor, shift: DutyShift) -> None:
    if actor is None:
        return
    worker_user = shift.worker.user_id if shift.worker_id and shift.worker else None
    if worker_user == actor.pk and can(actor, FIELD, shift.path):
        return
    _require(actor, SETUP, shift.path, what="shift")


def duty_shift_check_in(*, actor, shift: DutyShift, at: dt.datetime | None = None) -> DutyShift:
    """The guard checks in from the phone (planned → on duty; a missed shift may still be taken up
    late, reason ``late_check_in``). Accepted from ``early_check_in_minutes`` before the start until
    the end. The guard themself (FIELD_WORK) or a manager (MANAGE_WORKFORCE) may do it."""
    at = _now(at)
    _may_act_for_shift(actor, shift)
    rules = field_rules.in_force(timezone.localdate(at))
    if not shift.worker_id:
        raise ValidationError({"shift": _("nobody is assigned to this shift")})
    if at < shift.starts_at - dt.timedelta(minutes=rules.early_check_in_minutes) or at >= shift.ends_at:
        raise ValidationError(
            {
                "at": _("check-in is open from %(a)s to %(b)s, not at %(t)s")
                % {
                    "a": timezone.localtime(
                        shift.starts_at - dt.timedelta(minutes=rules.early_check_in_minutes)
                    ).strftime("%H:%M"),
                    "b": timezone.localtime(shift.ends_at).strftime("%H:%M"),
                    "t": timezone.localtime(at).strftime("%H:%M"),
                }
            }
        )
    old = shift.status
    if old not in (DutyStatus.PLANNED, DutyStatus.MISSED):
        raise StatusConflict(_("this shift is %(s)s") % {"s": shift.get_status_display()}, code="status_conflict")
    reason = "checked_in" if old == DutyStatus.PLANNED else "late_check_in"
    with transaction.atomic():
        _set_status(DutyShift, shift.pk, old, status=DutyStatus.ON_DUTY, checked_in_at=at, status_reason=reason)
        audit.record(
            actor=actor, action="fieldops.shift_check_in", obj=shift, reason=reason, detail={"at": at.isoformat()}
        )
    shift.status, shift.checked_in_at, shift.status_reason = DutyStatus.ON_DUTY, at, reason
    return shift


def duty_shift_check_out(*, actor, shift: DutyShift, at: dt.datetime | None = None) -> DutyShift:
    """The guard checks out (on duty → completed)."""
    at = _now(at)
    _may_act_for_shift(actor, shift)
    if shift.checked_in_at and at < shift.checked_in_at:
        raise ValidationError({"at": _("check-out before check-in")})
    with transaction.atomic():
        _set_status(
            DutyShift,
            shift.pk,
            DutyStatus.ON_DUTY,
            status=DutyStatus.COMPLETED,
            checked_out_at=at,
            status_reason="checked_out",
        )
        audit.record(actor=actor, action="fieldops.shift_check_out", obj=shift, detail={"at": at.isoformat()})
    shift.status, shift.checked_out_at = DutyStatus.COMPLETED, at
    return shift


def duty_missed_flag(*, now: dt.datetime | None = None) -> dict[str, int]:
    """System work (tick): mark assigned shifts not checked in ``check_in_grace_minutes`` after their
    start as missed and alert the gate's responsible person (L3, responsible_worker); alert too for
    unassigned slots whose start has passed. Idempotent. Returns ``{"missed": n, "uncovered": n}``."""
    now = _now(now)
    rules = field_rules.in_force(timezone.localdate(now))
    cutoff = now - dt.timedelta(minutes=rules.check_in_grace_minutes)
    counts = {"missed": 0, "uncovered": 0}
    late = DutyShift.objects.filter(status=DutyStatus.PLANNED, worker__isnull=False, starts_at__lte=cutoff)
    for shift in late.select_related("gate", "worker"):
        with transaction.atomic():
            if (
                DutyShift.objects.filter(pk=shift.pk, status=DutyStatus.PLANNED).update(
                    status=DutyStatus.MISSED, status_reason="no_check_in"
                )
                != 1
            ):
                continue
            audit.record(actor=None, action="fieldops.shift_missed", obj=shift, reason="no_check_in")
            alert_raise(
                kind=AlertKind.MISSED_CHECK_IN,
                path=shift.path,
                district_id=shift.district_id,
                dedupe_key=f"missed_check_in:{shift.pk}",
                message=shift.gate.name,
                recipient=selectors.responsible_worker(shift.path, on=timezone.localdate(shift.starts_at)),
                gate=shift.gate,
                detail={
                    "shift": shift.pk,
                    "guard": shift.worker.name,
                    "starts_at": timezone.localtime(shift.starts_at).isoformat(),
                },
                at=now,
            )
            counts["missed"] += 1
    empty = DutyShift.objects.filter(
        status=DutyStatus.PLANNED, worker__isnull=True, starts_at__lte=now, ends_at__gt=now
    )
    for shift in empty.select_related("gate"):
        _alert, created = alert_raise(
            kind=AlertKind.UNCOVERED_DUTY,
            path=shift.path,
            district_id=shift.district_id,
            dedupe_key=f"uncovered:{shift.pk}",
            message=shift.gate.name,
            recipient=selectors.responsible_worker(shift.path, on=timezone.localdate(shift.starts_at)),
            gate=shift.gate,
            detail={
                "shift": shift.pk,
                "starts_at": timezone.localtime(shift.starts_at).isoformat(),
                "ends_at": timezone.localtime(shift.ends_at).isoformat(),
            },
            at=now,
        )
        counts["uncovered"] += int(created)
    return counts


def emergency_at_gates(*, household, reference: str, reason: str = "intake", at: dt.datetime | None = None) -> int:
    """Tell the guards of ``household``'s compound (and of its community's own gates, for villages)
    that an emergency crew is coming for ticket ``reference``: one alert per open gate, so nobody at
    the gate delays it (domain.md §7: "emergencies delayed by test-status checks and by hand-offs").
    ``reason`` is the assistance hook's (``intake``, ``linked``, ``escalation``). Idempotent per
    gate, ticket and reason. Returns the number of alerts raised."""
    codes = {household.path[:COMMUNITY_CODE_LEN]}
    if household.compound_id:
        codes.add(household.path[:COMPOUND_CODE_LEN])
    raised = 0
    for gate in Gate.objects.filter(is_active=True, path__in=codes):
        _alert, created = alert_raise(
            kind=AlertKind.EMERGENCY,
            path=gate.path,
            district_id=gate.district_id,
            dedupe_key=f"emergency:{reference}:{reason}:{gate.pk}",
            message=household.address,
            household=household,
            gate=gate,
            detail={"reference": reference, "reason": reason},
            at=at,
        )
        raised += int(created)
    return raised


def on_emergency(ticket, *, reason: str = "intake") -> None:
    """Emergency listener for assistance.hooks (``fn(ticket, *, reason)``, called after the commit):
    the guards of the ticket's compound are alerted (:func:`emergency_at_gates`). Never raises: a
    listener must not block an emergency."""
    household = getattr(ticket, "household", None)
    if household is None:
        return
    reference = str(getattr(ticket, "reference", "") or getattr(ticket, "pk", "") or "")
    try:
        emergency_at_gates(household=household, reference=reference, reason=reason)
    except Exception:  # noqa: BLE001 (never block an emergency)
        adapters.logger.exception("emergency listener failed for household %s", getattr(household, "pk", None))
