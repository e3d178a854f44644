"""Every write of field operations (validated first, atomic, audited).

Errors are ``django.core.exceptions.ValidationError`` with a dict naming the field and the value,
or ``PermissionDenied`` when the actor lacks the capability at the place. Status changes are
conditional updates (``filter(pk=..., status=old).update(...) == 1``) carrying a reason code;
a lost race raises :class:`StatusConflict`. ``actor=None`` is system work (the tick command).

Capabilities (accounts.roles): setting up gates, checkpoints, rosters, schedules, notices and
channels needs MANAGE_WORKFORCE; field records (check-ins, scans, gate registration, health
check-ins, disinfection logs) need FIELD_WORK; screening and contact status needs EDIT_REGISTRY.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.accounts.roles import CAPABILITY_PHRASES, Capability
from lianfang.accounts.selectors import can, require
from lianfang.core import audit, fielderrors, idnumber, pii
from lianfang.core.filters import future_day_error
from lianfang.core.forms import items_line, moment_text
from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.divisions.selectors import place_name
from lianfang.fieldops import adapters, selectors
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.models import (
    CONTACT_CATEGORIES,
    NOTICE_BODY_MAX,
    Alert,
    AlertKind,
    AlertStatus,
    ApprovalStatus,
    BulkStatusChange,
    ChannelKind,
    CheckInSource,
    Checkpoint,
    DisinfectionLog,
    DisinfectionSchedule,
    DutyShift,
    DutyStatus,
    Gate,
    GateDecision,
    GateKind,
    GateReason,
    HealthCheckIn,
    HomeMonitoring,
    MonitoringStatus,
    Notice,
    NoticeStatus,
    NotificationChannel,
    PassageRecord,
    PatrolRound,
    PatrolScan,
    PatrolStatus,
    PersonCategory,
    PersonStatus,
    Precision,
    Purpose,
    QuarantineTest,
    ScreenedPerson,
    StatusChange,
    StatusReason,
    SubjectKind,
    Symptom,
    TestResult,
    TransferOut,
    TransferStatus,
)

SETUP = Capability.MANAGE_WORKFORCE
FIELD = Capability.FIELD_WORK
SCREENING = Capability.EDIT_REGISTRY

PLACE_LEVELS = (Level.COMMUNITY, Level.COMPOUND)
COMMUNITY_CODE_LEN = CODE_LENGTHS[Level.COMMUNITY]
COMPOUND_CODE_LEN = CODE_LENGTHS[Level.COMPOUND]


class StatusConflict(ValidationError):
    """The row's status changed between reading and writing (someone else acted first)."""


# What a set-up refusal is about, as a phrase inside "You may not … in <place>" (the capability they
# need, MANAGE_WORKFORCE, is named after it: its own phrase says "manage workers", not gates).
SETUP_WHAT = {
    "gate": gettext_lazy("set up gates and their duty rosters"),
    "shift": gettext_lazy("assign guards or check in or out someone else's shift"),
    "checkpoint": gettext_lazy("set up patrol checkpoints"),
    "patrol": gettext_lazy("finish someone else's patrol round"),
    "disinfection": gettext_lazy("schedule disinfection"),
    "notice": gettext_lazy("write, publish or withdraw notices"),
    "channel": gettext_lazy("set up group-robot channels"),
}


def _require(actor, capability: str, code: str, what: str | None = None) -> None:
    """Raise PermissionDenied (a sentence naming the capability and the division) unless ``actor`` may.
    With ``what`` (a key of :data:`SETUP_WHAT`) the sentence names what was refused and the
    capability it needs: "You may not set up patrol checkpoints in <place>: that needs the right to
    manage workers and responsibility assignments there." """
    if what is None or actor is None or can(actor, capability, code):
        require(actor, capability, code)
        return
    raise PermissionDenied(
        _("You may not %(what)s in %(place)s: that needs the right to %(capability)s there.")
        % {
            "what": SETUP_WHAT[what],
            "place": place_name(code, below=Level.DISTRICT),
            "capability": CAPABILITY_PHRASES[capability],
        }
    )


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("a time with a time zone is required, got %(v)s") % {"v": at}})
    return at


def _place(division: Division, field_name: str = "division") -> Division:
    if division.level not in PLACE_LEVELS:
        raise ValidationError(
            {field_name: _("a compound, village group, community or village is required, not %(d)s") % {"d": division}}
        )
    return division


def _text(value, field_name: str, *, required: bool = True, max_length: int = 200) -> str:
    text = " ".join(unicodedata.normalize("NFKC", str(value or "")).split())
    if required and not text:
        raise ValidationError({field_name: _("this field is required")})
    if len(text) > max_length:
        raise ValidationError(
            {field_name: _("at most %(n)d characters, got %(len)d") % {"n": max_length, "len": len(text)}}
        )
    return text


def _create_audited(model, *, actor, action: str, **fields):
    """Create one ``model`` row and its audit entry in one transaction; returns the row."""
    with transaction.atomic():
        row = model.objects.create(**fields)
        audit.record(actor=actor, action=action, obj=row)
    return row


def _set_status(model, pk: int, old: str, **fields) -> None:
    if model.objects.filter(pk=pk, status=old).update(**fields) != 1:
        raise StatusConflict(
            _("%(model)s #%(pk)s is no longer %(old)s") % {"model": model._meta.verbose_name, "pk": pk, "old": old},
            code="status_conflict",
        )


# ============================================================================================ alerts


def alert_raise(
    *,
    kind: str,
    path: str,
    district_id: int,
    dedupe_key: str,
    message: str,
    recipient=None,
    household=None,
    gate=None,
    detail: dict | None = None,
    at: dt.datetime | None = None,
) -> tuple[Alert, bool]:
    """Raise an alert once per ``dedupe_key``; returns ``(alert, created)``. System work: no actor,
    no capability check; audited as ``fieldops.alert`` when created."""
    at = _now(at)
    existing = Alert.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                path=path,
                district_id=district_id,
                dedupe_key=dedupe_key[:120],
                recipient=recipient,
                household=household,
                gate=gate,
                message=message[:300],
                detail=detail or {},
                raised_at=at,
            )
            audit.record(actor=None, action="fieldops.alert", obj=alert, detail={"kind": kind, "key": dedupe_key})
    except IntegrityError:
        return Alert.objects.get(dedupe_key=dedupe_key), False
    return alert, True


def alert_may_acknowledge(user, alert: Alert) -> bool:
    """True when ``user`` may acknowledge ``alert`` (the rule of :func:`alert_acknowledge`)."""
    if alert.recipient_id is None:
        return can(user, FIELD, alert.path)
    return alert.recipient.user_id == getattr(user, "pk", None) or can(user, SETUP, alert.path)


def alert_acknowledge(*, actor, alert: Alert) -> Alert:
    """Mark ``alert`` acknowledged (open → acknowledged).

    Who may: an alert addressed to a worker (``recipient``) is acknowledged by that worker, or by
    whoever directs the workers of its place (MANAGE_WORKFORCE there: community staff, street office,
    district — they take an alert over when the worker is unreachable); an alert addressed to the
    place (no recipient) by anyone doing field work there (FIELD_WORK). Anyone else — another
    volunteer, guard or representative — gets PermissionDenied (a 403): acknowledging tells the
    system someone is on it, so only the person asked or their supervisor may say so.
    """
    if actor is not None and not alert_may_acknowledge(actor, alert):
        if alert.recipient_id is None:
            _require(actor, FIELD, alert.path)
        raise PermissionDenied(
            _("This alert is addressed to %(worker)s: only they or their supervisor may acknowledge it")
            % {"worker": alert.recipient}
        )
    now = timezone.now()
    with transaction.atomic():
        _set_status(
            Alert,
            alert.pk,
            AlertStatus.OPEN,
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_by=_user(actor),
            acknowledged_at=now,
        )
        audit.record(actor=actor, action="fieldops.alert_ack", obj=alert, reason="acknowledged")
    alert.status, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, now
    return alert


# ============================================================================================ gate duty


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
    PermissionDenied without MANAGE_WORKFORCE at ``code``.
    """
    _require(actor, SETUP, code, what="gate")
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


def duty_shift_assign(*, actor, shift: DutyShift, worker) -> DutyShift:
    """Put ``worker`` (workforce Worker, or None to free the slot) on a planned ``shift``.

    Refused (ValidationError) when the shift is no longer planned, or the worker already has a
    shift overlapping it. PermissionDenied without MANAGE_WORKFORCE at the gate.
    """
    _require(actor, SETUP, shift.path, what="shift")
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


# ============================================================================================ patrols


def checkpoint_create(*, actor, division: Division, name: str, position: int | None = None) -> Checkpoint:
    """Add a patrol checkpoint (with a fresh QR token) to a compound or village; ``position`` orders
    the route (default: last). Raises ValidationError for a duplicate name; PermissionDenied."""
    _place(division)
    name = _text(name, "name", max_length=80)
    if Checkpoint.objects.filter(division=division, name=name).exists():
        raise ValidationError(
            {"name": _("%(d)s already has a checkpoint named %(v)s") % {"d": division.short_name, "v": name}}
        )
    _require(actor, SETUP, division.code, what="checkpoint")
    if position is None:
        position = (Checkpoint.objects.filter(division=division).count() or 0) + 1
    return _create_audited(
        Checkpoint,
        actor=actor,
        action="fieldops.checkpoint_create",
        district_id=division.district_id,
        division=division,
        path=division.code,
        name=name,
        position=position,
    )


def patrol_round_start(*, actor, division: Division, at: dt.datetime | None = None) -> PatrolRound:
    """Start a patrol round of ``division``'s checkpoints (the active ones now), or return the
    actor's round already in progress there. Raises ValidationError when the place has no
    checkpoint; PermissionDenied without FIELD_WORK there."""
    at = _now(at)
    _require(actor, FIELD, division.code)
    current = PatrolRound.objects.filter(
        division=division, started_by=_user(actor), status=PatrolStatus.IN_PROGRESS
    ).first()
    if current is not None:
        return current
    expected = list(
        Checkpoint.objects.filter(division=division, is_active=True)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    if not expected:
        raise ValidationError({"division": _("%(d)s has no patrol checkpoint") % {"d": division.short_name}})
    return _create_audited(
        PatrolRound,
        actor=actor,
        action="fieldops.patrol_start",
        district_id=division.district_id,
        division=division,
        path=division.code,
        worker=selectors.worker_of(actor),
        started_by=_user(actor),
        started_at=at,
        expected=expected,
    )


def patrol_scan(*, actor, checkpoint: Checkpoint, at: dt.datetime | None = None) -> PatrolScan:
    """Record the scan of ``checkpoint``'s QR code in the actor's round in progress there (started
    on the first scan). Scanning the same checkpoint again in a round keeps the first time."""
    at = _now(at)
    if not checkpoint.is_active:
        raise ValidationError({"checkpoint": _("checkpoint %(c)s is no longer in use") % {"c": checkpoint.name}})
    patrol = patrol_round_start(actor=actor, division=checkpoint.division, at=at)
    existing = PatrolScan.objects.filter(round=patrol, checkpoint=checkpoint).first()
    if existing is not None:
        return existing
    return _create_audited(
        PatrolScan,
        actor=actor,
        action="fieldops.patrol_scan",
        district_id=checkpoint.district_id,
        path=checkpoint.path,
        round=patrol,
        checkpoint=checkpoint,
        scanned_at=at,
    )


def patrol_round_finish(
    *, actor, patrol: PatrolRound, at: dt.datetime | None = None, reason: str = "finished"
) -> PatrolRound:
    """Finish ``patrol``: complete when every expected checkpoint was scanned, otherwise incomplete
    with the ``missed`` checkpoints flagged and an alert to the place's responsible person."""
    at = _now(at)
    if actor is not None and patrol.started_by_id != actor.pk:
        _require(actor, SETUP, patrol.path, what="patrol")
    scanned = set(patrol.scans.values_list("checkpoint_id", flat=True))
    missed = [pk for pk in patrol.expected if pk not in scanned]
    status = PatrolStatus.INCOMPLETE if missed else PatrolStatus.COMPLETE
    with transaction.atomic():
        _set_status(
            PatrolRound,
            patrol.pk,
            PatrolStatus.IN_PROGRESS,
            status=status,
            finished_at=at,
            missed=missed,
            status_reason=reason,
        )
        audit.record(actor=actor, action="fieldops.patrol_finish", obj=patrol, reason=reason, detail={"missed": missed})
        if missed:
            names = list(Checkpoint.objects.filter(pk__in=missed).order_by("position").values_list("name", flat=True))
            alert_raise(
                kind=AlertKind.MISSED_CHECKPOINT,
                path=patrol.path,
                district_id=patrol.district_id,
                dedupe_key=f"patrol:{patrol.pk}",
                message=", ".join(names)[:300],
                recipient=selectors.responsible_worker(patrol.path, on=timezone.localdate(at)),
                detail={
                    "round": patrol.pk,
                    "missed": missed,
                    "started_at": timezone.localtime(patrol.started_at).isoformat(),
                },
                at=at,
            )
    patrol.status, patrol.finished_at, patrol.missed = status, at, missed
    return patrol


def patrol_rounds_close_stale(*, now: dt.datetime | None = None) -> int:
    """System work (tick): finish rounds still open ``patrol_round_minutes`` after they started
    (reason ``timed_out``), flagging their missed checkpoints. Returns how many were closed."""
    now = _now(now)
    limit = field_rules.in_force(timezone.localdate(now)).patrol_round_minutes
    closed = 0
    for patrol in PatrolRound.objects.filter(
        status=PatrolStatus.IN_PROGRESS, started_at__lte=now - dt.timedelta(minutes=limit)
    ):
        try:
            patrol_round_finish(actor=None, patrol=patrol, at=now, reason="timed_out")
        except StatusConflict:
            continue
        closed += 1
    return closed


# ============================================================================================ entry/exit


def passage_register(
    *,
    actor,
    gate: Gate,
    direction: str,
    purpose: str,
    resident=None,
    visitor_name: str = "",
    visitor_id: str = "",
    visitor_phone: str = "",
    pass_ref: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> PassageRecord:
    """Register a person at ``gate`` and decide (出入登记): a ``resident`` (found by the guard by ID
    number, household QR code or name) or a visitor by name (ID and phone optional, sealed).

    The tier of the gate's area at ``at`` and the field rule set's ``gate_rules`` decide
    (rules.gate_decide): in a sealed area only valid passes, deliveries and emergencies go through.
    A medical exit pass (assistance app) is checked: ``pass_ref`` when presented, else the
    resident's own valid pass. A closed gate lets only emergencies through. Refusals are recorded
    with their reason code. Raises ValidationError naming the field; PermissionDenied without
    FIELD_WORK at the gate.
    """
    at = _now(at)
    errors = {}
    if direction not in ("in", "out"):
        errors["direction"] = _("in or out, got “%(v)s”") % {"v": direction}
    if purpose not in Purpose.values:
        errors["purpose"] = _("unknown purpose “%(v)s”") % {"v": purpose}
    visitor_name = _text(visitor_name, "visitor_name", required=False, max_length=60)
    if resident is None and not visitor_name:
        errors["visitor_name"] = _("choose a resident or give the visitor's name")
    sealed_id = ""
    if visitor_id and resident is None:
        try:
            sealed_id = idnumber.parse(visitor_id).number
        except idnumber.IdNumberError as exc:
            errors["visitor_id"] = fielderrors.reason_with_value(exc, visitor_id)
    sealed_phone = ""
    if visitor_phone and resident is None:
        try:
            sealed_phone = pii.normalize_phone(visitor_phone)
        except pii.PhoneError as exc:
            errors["visitor_phone"] = fielderrors.reason_with_value(exc, visitor_phone)
    if errors:
        raise ValidationError(errors)
    _require(actor, FIELD, gate.path)
    rules = field_rules.in_force(timezone.localdate(at))
    tier_key = selectors.tier_key_of_path(gate.path, on=at)
    household = resident.household if resident is not None else None
    pass_valid, pass_found = adapters.valid_exit_pass(
        resident=resident,
        household=household,
        pass_ref=_text(pass_ref, "pass_ref", required=False, max_length=60),
        at=at,
    )
    if not gate.is_active and purpose != Purpose.EMERGENCY:
        decision = field_rules.Decision(False, GateReason.GATE_CLOSED)
    else:
        decision = field_rules.gate_decide(
            rules=rules, tier_key=tier_key, direction=direction, purpose=purpose, pass_valid=pass_valid
        )
    record = PassageRecord(
        district_id=gate.district_id,
        path=gate.path,
        gate=gate,
        at=at,
        direction=direction,
        subject_kind=SubjectKind.RESIDENT if resident is not None else SubjectKind.VISITOR,
        resident=resident,
        household=household,
        visitor_name="" if resident is not None else visitor_name,
        purpose=purpose,
        pass_ref=pass_found,
        pass_valid=pass_valid,
        tier_key=tier_key,
        decision=GateDecision.ALLOWED if decision.allowed else GateDecision.REFUSED,
        reason_code=decision.reason,
        note=_text(note, "note", required=False),
        recorded_by=_user(actor),
    )
    if sealed_id:
        record.set_id_number(sealed_id)
    if sealed_phone:
        record.set_phone(sealed_phone)
    with transaction.atomic():
        record.save()
        audit.record(
            actor=actor,
            action="fieldops.passage",
            obj=record,
            reason=decision.reason,
            detail={"decision": record.decision, "tier": tier_key, "purpose": purpose, "direction": direction},
        )
    return record


# ============================================================================================ screening


TERMINAL_STATUSES = (PersonStatus.RELEASED, PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT)
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PersonStatus.PENDING: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_ISOLATION,
        PersonStatus.HOME_MONITORING,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
        PersonStatus.TRANSFERRED_OUT,
    ),
    PersonStatus.CENTRALIZED: (
        PersonStatus.HOME_ISOLATION,
        PersonStatus.HOME_MONITORING,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.HOME_ISOLATION: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_MONITORING,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.HOME_MONITORING: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_ISOLATION,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.RELEASED: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_ISOLATION,
        PersonStatus.HOME_MONITORING,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.IN_CARE: (PersonStatus.RELEASED,),
    PersonStatus.TRANSFERRED_OUT: (),
}
HOME_STATUSES = (PersonStatus.HOME_ISOLATION, PersonStatus.HOME_MONITORING)


@dataclass(frozen=True)
class Location:
    """Where a screened person stays: ``path``, ``household``/``resident`` when known, ``precision``."""

    path: str
    precision: str
    household: object = None
    resident: object = None

    @property
    def needs_verification(self) -> bool:
        return self.precision == Precision.CITY


def locate(*, district: Division, resident=None, household=None, division: Division | None = None) -> Location:
    """The location of a screened person from the most precise thing known: a resident, a household,
    a division node (community or below), else only the city (coarse: path = the district, needs
    verification). Raises ValidationError for a node outside ``district`` or above community level."""
    if resident is not None:
        return Location(resident.household.path, Precision.HOUSEHOLD, resident.household, resident)
    if household is not None:
        return Location(household.path, Precision.HOUSEHOLD, household)
    if division is not None:
        if not division.code.startswith(district.code) or division.level < Level.COMMUNITY:
            raise ValidationError(
                {
                    "division": _("a community or a place inside %(d)s is required, got %(v)s")
                    % {"d": district.short_name, "v": division}
                }
            )
        return Location(division.code, Precision.COMMUNITY)
    return Location(district.code, Precision.CITY)


def _seal_document(person, id_number: str, document_type: str, errors: dict, field_name: str = "id_number") -> None:
    if not id_number:
        return
    if document_type == "resident_id":
        try:
            person.set_id_number(idnumber.parse(id_number).number)
        except idnumber.IdNumberError as exc:
            errors[field_name] = fielderrors.reason_with_value(exc, id_number)
    else:
        person.set_id_number("".join(str(id_number).split()).upper(), document_type)


def _seal_phone(person, phone: str, errors: dict, field_name: str = "phone") -> None:
    if not phone:
        return
    try:
        person.set_phone(pii.normalize_phone(phone))
    except pii.PhoneError as exc:
        errors[field_name] = fielderrors.reason_with_value(exc, phone)


def _check_contact(category, infection, source_contact, last_exposure_on, today, errors) -> None:
    if category not in CONTACT_CATEGORIES:
        return
    if last_exposure_on is None:
        errors["last_exposure_on"] = _("the last exposure day is required for a contact")
    elif error := future_day_error(last_exposure_on, today=today):
        errors["last_exposure_on"] = error
    if category == PersonCategory.CLOSE_CONTACT and infection is None and source_contact is None:
        errors["infection"] = _("a close contact is linked to its index case")
    if category == PersonCategory.SECONDARY_CONTACT:
        if source_contact is None:
            errors["source_contact"] = _("a secondary contact is linked to the close contact it met")
        elif source_contact.category != PersonCategory.CLOSE_CONTACT:
            errors["source_contact"] = _("#%(pk)s is not a close contact") % {"pk": source_contact.pk}
    if infection is not None and last_exposure_on is not None and "last_exposure_on" not in errors:
        window = infection.window_starts_on
        if last_exposure_on < window:
            errors["last_exposure_on"] = _(
                "%(d)s is before the contact window of the index case, which starts on %(w)s"
            ) % {"d": last_exposure_on, "w": window}


def screened_person_create(
    *,
    actor,
    district: Division,
    category: str,
    name: str,
    id_number: str = "",
    document_type: str = "resident_id",
    phone: str = "",
    resident=None,
    household=None,
    division: Division | None = None,
    address: str = "",
    origin: str = "",
    arrived_on: dt.date | None = None,
    risk_area: str = "",
    infection=None,
    source_contact: ScreenedPerson | None = None,
    last_exposure_on: dt.date | None = None,
    today: dt.date | None = None,
) -> ScreenedPerson:
    """Add a person found by screening (人员摸排) and, for a contact whose location is known,
    classify them at once under the operation's rule set (:func:`contact_classify`).

    The location comes from :func:`locate`; a person known only to city level is marked "needs
    verification" and keeps status pending until :func:`screened_person_verify`. A contact needs
    ``last_exposure_on`` (not in the future, not before the index case's contact window) and its
    link: a close contact to its ``infection`` (index case), a secondary contact to the
    ``source_contact`` (a close contact; its infection is inherited). A person already listed in
    the district with the same document is refused (naming the record), and so is an
    ``arrived_on`` in the future. Raises ValidationError naming the field and value;
    PermissionDenied without EDIT_REGISTRY at the location.
    """
    person = build_person(
        district=district,
        category=category,
        name=name,
        id_number=id_number,
        document_type=document_type,
        phone=phone,
        resident=resident,
        household=household,
        division=division,
        address=address,
        origin=origin,
        arrived_on=arrived_on,
        risk_area=risk_area,
        infection=infection,
        source_contact=source_contact,
        last_exposure_on=last_exposure_on,
        created_by=_user(actor),
        today=today,
    )
    _require(actor, SCREENING, person.path)
    return save_person(actor=actor, person=person, today=today)


def build_person(
    *,
    district: Division,
    category: str,
    name: str,
    id_number: str = "",
    document_type: str = "resident_id",
    phone: str = "",
    resident=None,
    household=None,
    division: Division | None = None,
    address: str = "",
    origin: str = "",
    arrived_on: dt.date | None = None,
    risk_area: str = "",
    infection=None,
    source_contact: ScreenedPerson | None = None,
    last_exposure_on: dt.date | None = None,
    created_by=None,
    batch=None,
    check_duplicate: bool = True,
    today: dt.date | None = None,
) -> ScreenedPerson:
    """The validated, unsaved ScreenedPerson of :func:`screened_person_create` (no capability check:
    the caller checks; importers pass ``check_duplicate=False`` after de-duplicating the whole file
    with one query). Raises ValidationError naming every bad field."""
    today = today or timezone.localdate()
    errors: dict[str, str | ValidationError] = {}
    try:
        name = _text(name, "name", max_length=60) if name or resident is None else resident.name
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if category not in PersonCategory.values:
        errors["category"] = _("unknown category “%(v)s”") % {"v": category}
    if source_contact is not None and infection is None:
        infection = source_contact.infection
    _check_contact(category, infection, source_contact, last_exposure_on, today, errors)
    if error := future_day_error(arrived_on, today=today):
        errors["arrived_on"] = error
    location = locate(district=district, resident=resident, household=household, division=division)
    person = ScreenedPerson(
        district=district,
        path=location.path,
        household=location.household,
        resident=location.resident,
        name=name,
        category=category,
        origin=(origin or "")[:120],
        arrived_on=arrived_on,
        risk_area=(risk_area or "")[:200],
        address=(address or "")[:200],
        precision=location.precision,
        needs_verification=location.needs_verification,
        infection=infection,
        source_contact=source_contact,
        last_exposure_on=last_exposure_on,
        import_batch=batch,
        created_by=created_by,
    )
    if resident is not None:
        person.id_enc, person.id_hash, person.id_masked, person.id_last4 = (
            resident.id_enc,
            resident.id_hash,
            resident.id_masked,
            resident.id_last4,
        )
    else:
        _seal_document(person, id_number, document_type, errors)
    _seal_phone(person, phone, errors)
    if check_duplicate and person.id_hash and "id_number" not in errors:
        dup = active_duplicate(district=district, id_hash=person.id_hash, category=category)
        if dup is not None:
            errors["id_number"] = _("already listed as #%(pk)s (%(cat)s)") % {
                "pk": dup.pk,
                "cat": dup.get_category_display(),
            }
    if errors:
        raise ValidationError(errors)
    return person


def save_person(*, actor, person: ScreenedPerson, today: dt.date | None = None) -> ScreenedPerson:
    """Save a person from :func:`build_person`, audited, and classify a located contact."""
    with transaction.atomic():
        person.save()
        audit.record(
            actor=actor,
            action="fieldops.person_create",
            obj=person,
            detail={"category": person.category, "precision": person.precision},
        )
        if person.is_contact and not person.needs_verification:
            contact_classify(actor=actor, person=person, today=today)
    return person


def active_duplicate(*, district: Division, id_hash: str, category: str) -> ScreenedPerson | None:
    """A person already listed in ``district`` with the same document and category and not yet
    released or transferred (a close contact also counts as a duplicate of a secondary one)."""
    categories = list(CONTACT_CATEGORIES) if category in CONTACT_CATEGORIES else [category]
    return (
        ScreenedPerson.objects.filter(district=district, id_hash=id_hash, category__in=categories)
        .exclude(status__in=(PersonStatus.RELEASED, PersonStatus.TRANSFERRED_OUT))
        .order_by("id")
        .first()
    )


def _current_rule_set(person: ScreenedPerson):
    from lianfang.zones.selectors import current_rule_set  # noqa: PLC0415

    if person.infection_id:
        return person.infection.operation.rule_set
    return current_rule_set(person.district.code if person.district_id else person.path[:6])


def _record_change(actor, person, old_status, new_status, old_category, reason, evidence, *, at, bulk=None):
    StatusChange.objects.create(
        district_id=person.district_id,
        path=person.path,
        person=person,
        at=at,
        from_status=old_status,
        to_status=new_status,
        from_category=old_category,
        to_category=person.category,
        reason_code=reason,
        evidence=evidence,
        actor=_user(actor),
        bulk=bulk,
    )
    audit.record(
        actor=actor,
        action="fieldops.person_status",
        obj=person,
        reason=reason,
        detail={"from": old_status, "to": new_status, "category": person.category, "evidence": evidence[:300]},
    )


def _plan_tests(person: ScreenedPerson, plan: field_rules.QuarantinePlan) -> list[QuarantineTest]:
    return [
        QuarantineTest(
            district_id=person.district_id,
            path=person.path,
            person=person,
            phase=t.phase,
            day_number=t.day_number,
            ordinal=i,
            due_on=t.due_on,
        )
        for i, t in enumerate(plan.tests, start=1)
    ]


def contact_classify(
    *,
    actor,
    person: ScreenedPerson,
    today: dt.date | None = None,
    reason: str = StatusReason.CLASSIFIED,
    evidence: str = "",
    category: str | None = None,
) -> ScreenedPerson:
    """Classify a contact under the operation's rule set (zones.RuleSet.quarantine_for): compute its
    plan from the LAST exposure (rules.quarantine_plan), replace pending test tasks by the plan's
    (results already recorded are kept), and set the status the plan gives on ``today``
    (centralized, home isolation or monitoring, released). ``category`` changes the contact's
    category in the same step (a secondary contact becoming close).

    Refused (ValidationError) for a person whose location needs verification, who is not a
    contact, or whose rule set does not trace its kind; StatusConflict when the person is in care
    or transferred out. Records a StatusChange with ``reason`` and the plan as evidence.
    """
    today = today or timezone.localdate()
    if person.needs_verification:
        raise ValidationError({"status": _("the location is known to city level only: verify it first")})
    if category is not None:
        person.category = category
    if not person.is_contact:
        raise ValidationError({"category": _("only contacts are classified by the rule set")})
    rule_set = _current_rule_set(person)
    kind = "close" if person.category == PersonCategory.CLOSE_CONTACT else "secondary"
    plan = field_rules.quarantine_plan(rule_set, kind, person.last_exposure_on)
    new_status = plan.status_on(today)
    at = timezone.now()
    evidence = evidence or _(
        "%(rs)s (%(key)s): %(kind)s, last exposure %(day)s; centralized until %(c)s, home phase until %(h)s; %(source)s"
    ) % {
        "rs": rule_set.display_name,
        "key": rule_set.key,
        "kind": person.get_category_display(),
        "day": person.last_exposure_on,
        "c": plan.centralized_until or "—",
        "h": plan.home_until or "—",
        "source": plan.source[:200],
    }
    with transaction.atomic():
        locked = ScreenedPerson.objects.select_for_update().get(pk=person.pk)
        if locked.status in (PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT):
            raise StatusConflict(
                _("#%(pk)s is %(s)s") % {"pk": person.pk, "s": locked.get_status_display()}, code="status_conflict"
            )
        QuarantineTest.objects.filter(person=person, result=TestResult.PENDING).update(result=TestResult.CANCELLED)
        done = set(
            QuarantineTest.objects.filter(
                person=person, result__in=(TestResult.NEGATIVE, TestResult.POSITIVE)
            ).values_list("phase", "day_number", "due_on")
        )
        tests = [t for t in _plan_tests(person, plan) if (t.phase, t.day_number, t.due_on) not in done]
        QuarantineTest.objects.bulk_create(tests)
        ScreenedPerson.objects.filter(pk=person.pk).update(
            status=new_status,
            status_reason=reason,
            status_changed_at=at,
            rule_set=rule_set,
            centralized_until=plan.centralized_until,
            home_until=plan.home_until,
            category=person.category,
            last_exposure_on=person.last_exposure_on,
        )
        person.status, person.status_reason, person.status_changed_at = new_status, reason, at
        person.rule_set, person.centralized_until, person.home_until = rule_set, plan.centralized_until, plan.home_until
        _record_change(actor, person, locked.status, new_status, locked.category, reason, evidence, at=at)
        _sync_monitoring(actor, person, today)
    return person


def _sync_monitoring(actor, person: ScreenedPerson, today: dt.date) -> None:
    """Start home monitoring when a person enters a home phase at a known household; end it when
    they leave home phases."""
    active = HomeMonitoring.objects.filter(person=person, status=MonitoringStatus.ACTIVE)
    if person.status in HOME_STATUSES and person.household_id:
        ends_on = person.home_until or today
        if not active.exists() and ends_on >= today:
            HomeMonitoring.objects.create(
                district_id=person.district_id,
                path=person.path,
                household_id=person.household_id,
                resident_id=person.resident_id,
                person=person,
                name=person.name,
                starts_on=today,
                ends_on=ends_on,
                reason=person.get_status_display(),
                created_by=_user(actor),
            )
        else:
            active.update(ends_on=max(ends_on, today))
    elif person.status not in HOME_STATUSES:
        active.update(status=MonitoringStatus.ENDED, ends_on=today)


def screened_person_verify(
    *, actor, person: ScreenedPerson, evidence: str, resident=None, household=None, division: Division | None = None
) -> ScreenedPerson:
    """Pin the location of a person known only to city level (a resident, household or community
    in the district) and, for a contact, classify them. ``evidence`` (how it was verified) is
    required. Raises ValidationError; PermissionDenied without EDIT_REGISTRY at the new place."""
    evidence = _text(evidence, "evidence", max_length=500)
    if not person.needs_verification:
        raise ValidationError({"person": _("#%(pk)s does not need verification") % {"pk": person.pk}})
    location = locate(district=person.district, resident=resident, household=household, division=division)
    if location.needs_verification:
        raise ValidationError({"division": _("give the resident, household or community where the person stays")})
    _require(actor, SCREENING, location.path)
    with transaction.atomic():
        if (
            ScreenedPerson.objects.filter(pk=person.pk, needs_verification=True).update(
                path=location.path,
                household=location.household,
                resident=location.resident,
                precision=location.precision,
                needs_verification=False,
            )
            != 1
        ):
            raise StatusConflict(_("#%(pk)s was verified meanwhile") % {"pk": person.pk}, code="status_conflict")
        person.path, person.household, person.resident = location.path, location.household, location.resident
        person.precision, person.needs_verification = location.precision, False
        QuarantineTest.objects.filter(person=person).update(path=location.path)
        audit.record(
            actor=actor,
            action="fieldops.person_verify",
            obj=person,
            reason=StatusReason.VERIFIED,
            detail={"evidence": evidence},
        )
        if person.is_contact and person.status == PersonStatus.PENDING:
            contact_classify(actor=actor, person=person)
    return person


def _validate_status(person: ScreenedPerson, to_status: str, reason_code: str) -> None:
    errors = {}
    if to_status not in PersonStatus.values:
        errors["to_status"] = _("unknown status “%(v)s”") % {"v": to_status}
    elif to_status not in ALLOWED_TRANSITIONS.get(person.status, ()):
        errors["to_status"] = _("%(a)s cannot become %(b)s") % {
            "a": person.get_status_display(),
            "b": PersonStatus(to_status).label,
        }
    if reason_code not in StatusReason.values:
        errors["reason_code"] = _("unknown reason code “%(v)s”") % {"v": reason_code}
    if person.needs_verification and to_status != PersonStatus.TRANSFERRED_OUT:
        errors["to_status"] = _("the location is known to city level only: verify it before setting a status")
    if errors:
        raise ValidationError(errors)


def _apply_status(actor, person, to_status, reason_code, evidence, *, at, bulk=None) -> ScreenedPerson:
    """Validated, capability already checked: conditional update, status change record, monitoring."""
    _validate_status(person, to_status, reason_code)
    old = person.status
    with transaction.atomic():
        _set_status(ScreenedPerson, person.pk, old, status=to_status, status_reason=reason_code, status_changed_at=at)
        person.status, person.status_reason, person.status_changed_at = to_status, reason_code, at
        if to_status in TERMINAL_STATUSES:
            QuarantineTest.objects.filter(person=person, result=TestResult.PENDING).update(result=TestResult.CANCELLED)
        _record_change(actor, person, old, to_status, person.category, reason_code, evidence, at=at, bulk=bulk)
        _sync_monitoring(actor, person, timezone.localdate(at))
    return person


def screened_person_set_status(
    *,
    actor,
    person: ScreenedPerson,
    to_status: str,
    reason_code: str,
    evidence: str,
    at: dt.datetime | None = None,
) -> ScreenedPerson:
    """Change one person's status by hand, with a reason code and written evidence (both required).

    Conditional update from the status read (StatusConflict if it moved on); transitions are those
    of ALLOWED_TRANSITIONS; a person whose location needs verification can only be transferred out
    (coarse location never sets a status). Home statuses start home monitoring at the household;
    leaving them ends it. Many people at once go through :func:`bulk_status_change_request` (two
    people). Raises ValidationError naming the field; PermissionDenied without EDIT_REGISTRY there.
    """
    at = _now(at)
    evidence = _text(evidence, "evidence", max_length=2000)
    _validate_status(person, to_status, reason_code)
    _require(actor, SCREENING, person.path)
    return _apply_status(actor, person, to_status, reason_code, evidence, at=at)


def contact_exposure_record(*, actor, person: ScreenedPerson, exposure_on: dt.date, evidence: str) -> ScreenedPerson:
    """Record another exposure of a contact: when later than the last one, the period is counted
    again from it (domain.md §3: from the LAST exposure) and the plan rebuilt; an earlier day
    changes nothing. Returns the person."""
    evidence = _text(evidence, "evidence", max_length=500)
    if not person.is_contact:
        raise ValidationError({"category": _("only contacts have exposures")})
    if error := future_day_error(exposure_on):
        raise ValidationError({"exposure_on": error})
    if person.last_exposure_on and exposure_on <= person.last_exposure_on:
        return person
    _require(actor, SCREENING, person.path)
    with transaction.atomic():
        ScreenedPerson.objects.filter(pk=person.pk).update(last_exposure_on=exposure_on)
        person.last_exposure_on = exposure_on
        audit.record(actor=actor, action="fieldops.exposure", obj=person, detail={"day": exposure_on.isoformat()})
        if not person.needs_verification and person.status not in (PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT):
            contact_classify(actor=actor, person=person, reason=StatusReason.EXPOSURE_CHANGED, evidence=evidence)
    return person


def quarantine_test_record(
    *,
    actor,
    test: QuarantineTest,
    result: str,
    result_on: dt.date | None = None,
    sample_ref: str = "",
) -> QuarantineTest:
    """Record a test result (pending → negative/positive).

    A positive result hands the person to medical care (status in_care, reason tested_positive);
    when the person is a close contact and this is their first or second test, every secondary
    contact linked to them becomes a close contact (domain.md §3), re-planned from their own last
    exposure with reason ``linked_positive`` and the test as evidence.
    """
    result_on = result_on or timezone.localdate()
    if result not in (TestResult.NEGATIVE, TestResult.POSITIVE):
        raise ValidationError({"result": _("negative or positive, got “%(v)s”") % {"v": result}})
    if result_on < test.due_on - dt.timedelta(days=1):
        raise ValidationError(
            {"result_on": _("“%(d)s” is before the test was due (%(due)s)") % {"d": result_on, "due": test.due_on}}
        )
    _require(actor, SCREENING, test.path)
    with transaction.atomic():
        if (
            QuarantineTest.objects.filter(pk=test.pk, result=TestResult.PENDING).update(
                result=result,
                result_on=result_on,
                sample_ref=_text(sample_ref, "sample_ref", required=False, max_length=60),
                recorded_by=_user(actor),
            )
            != 1
        ):
            raise StatusConflict(_("this test already has a result"), code="status_conflict")
        test.result, test.result_on = result, result_on
        audit.record(
            actor=actor, action="fieldops.test_result", obj=test, reason=result, detail={"person": test.person_id}
        )
        if result == TestResult.POSITIVE:
            person = ScreenedPerson.objects.get(pk=test.person_id)
            evidence = _("test %(n)d (%(phase)s day %(d)d, due %(due)s) positive on %(on)s") % {
                "n": test.ordinal,
                "phase": test.get_phase_display(),
                "d": test.day_number,
                "due": test.due_on,
                "on": result_on,
            }
            if person.status != PersonStatus.IN_CARE and PersonStatus.IN_CARE in ALLOWED_TRANSITIONS.get(
                person.status, ()
            ):
                _apply_status(
                    actor, person, PersonStatus.IN_CARE, StatusReason.TESTED_POSITIVE, evidence, at=timezone.now()
                )
            if person.category == PersonCategory.CLOSE_CONTACT and test.ordinal <= 2:
                _promote_secondaries(actor, person, evidence)
    return test


def _promote_secondaries(actor, close_contact: ScreenedPerson, evidence: str) -> list[ScreenedPerson]:
    """Every secondary contact linked to ``close_contact`` becomes a close contact (domain.md §3),
    re-planned from its own last exposure; one whose location is unverified changes category only."""
    promoted = []
    text = _("linked close contact #%(pk)s: %(e)s") % {"pk": close_contact.pk, "e": evidence}
    for person in ScreenedPerson.objects.filter(
        source_contact=close_contact, category=PersonCategory.SECONDARY_CONTACT
    ).exclude(status__in=(PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT)):
        if not person.needs_verification:
            contact_classify(
                actor=actor,
                person=person,
                reason=StatusReason.LINKED_POSITIVE,
                evidence=text,
                category=PersonCategory.CLOSE_CONTACT,
            )
        else:
            with transaction.atomic():
                ScreenedPerson.objects.filter(pk=person.pk).update(category=PersonCategory.CLOSE_CONTACT)
                old_category, person.category = person.category, PersonCategory.CLOSE_CONTACT
                _record_change(
                    actor,
                    person,
                    person.status,
                    person.status,
                    old_category,
                    StatusReason.LINKED_POSITIVE,
                    text,
                    at=timezone.now(),
                )
        promoted.append(person)
    return promoted


def quarantine_progress(*, today: dt.date | None = None) -> dict[str, int]:
    """System work (tick): move classified contacts on as their periods end (centralized → home
    phase → released, reason phase_ended), only when every test due so far is negative; a person
    with a pending or missing result stays and is counted in ``held``. Idempotent."""
    today = today or timezone.localdate()
    counts = {"moved": 0, "held": 0}
    people = ScreenedPerson.objects.filter(
        category__in=CONTACT_CATEGORIES,
        needs_verification=False,
        rule_set__isnull=False,
        status__in=(PersonStatus.CENTRALIZED, PersonStatus.HOME_ISOLATION, PersonStatus.HOME_MONITORING),
    ).select_related("rule_set")
    for person in people:
        kind = "close" if person.category == PersonCategory.CLOSE_CONTACT else "secondary"
        plan = field_rules.quarantine_plan(person.rule_set, kind, person.last_exposure_on)
        target = plan.status_on(today)
        if target == person.status:
            continue
        open_tests = QuarantineTest.objects.filter(person=person, due_on__lt=today, result=TestResult.PENDING).exists()
        positive = QuarantineTest.objects.filter(person=person, result=TestResult.POSITIVE).exists()
        if open_tests or positive:
            counts["held"] += 1
            continue
        evidence = _("%(rs)s: period ended on %(day)s (last exposure %(exp)s); every test due was negative") % {
            "rs": person.rule_set.key,
            "day": today - dt.timedelta(days=1),
            "exp": person.last_exposure_on,
        }
        try:
            _apply_status(None, person, target, StatusReason.PHASE_ENDED, evidence, at=timezone.now())
        except (StatusConflict, ValidationError):
            counts["held"] += 1
            continue
        counts["moved"] += 1
    return counts


# -------------------------------------------------------------------------------------- bulk changes


def _common_path(codes: Iterable[str]) -> str:
    codes = list(codes)
    if not codes:
        return ""
    prefix = codes[0]
    for code in codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    lengths = sorted(n for n in (2, 4, 6, 9, 12, 15, 18, 20) if n <= len(prefix))
    return prefix[: lengths[-1]] if lengths else ""


def bulk_status_change_request(
    *, actor, people: Sequence[ScreenedPerson], to_status: str, reason_code: str, evidence: str
) -> BulkStatusChange:
    """Ask for one status change for many people; nothing changes until a second person approves
    (:func:`bulk_status_change_approve`). Validates every person now (transition allowed, location
    verified) and names the ones that fail. PermissionDenied without EDIT_REGISTRY at each place."""
    evidence = _text(evidence, "evidence", max_length=2000)
    people = list(people)
    errors = {}
    if not people:
        errors["people"] = _("choose at least one person")
    if to_status not in PersonStatus.values:
        errors["to_status"] = _("unknown status “%(v)s”") % {"v": to_status}
    if reason_code not in StatusReason.values:
        errors["reason_code"] = _("unknown reason code “%(v)s”") % {"v": reason_code}
    if not errors:
        bad = [
            f"#{p.pk} {p.get_status_display()}"
            for p in people
            if to_status not in ALLOWED_TRANSITIONS.get(p.status, ())
            or (p.needs_verification and to_status != PersonStatus.TRANSFERRED_OUT)
        ]
        if bad:
            errors["people"] = _("cannot become %(s)s: %(list)s") % {
                "s": PersonStatus(to_status).label,
                "list": ", ".join(bad[:20]),
            }
    if errors:
        raise ValidationError(errors)
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("a bulk change needs a signed-in requester"))
    for person in people:
        _require(actor, SCREENING, person.path)
    with transaction.atomic():
        change = BulkStatusChange.objects.create(
            district_id=people[0].district_id,
            path=_common_path(p.path for p in people),
            to_status=to_status,
            reason_code=reason_code,
            evidence=evidence,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        change.people.set(people)
        audit.record(
            actor=actor, action="fieldops.bulk_request", obj=change, reason=reason_code, detail={"people": len(people)}
        )
    return change


def bulk_status_change_approve(*, actor, change: BulkStatusChange, note: str = "") -> BulkStatusChange:
    """Approve and apply a bulk change: the approver must be a second person with EDIT_REGISTRY at
    every person's place. Each person changes by conditional update; one whose status moved on
    since the request is skipped and named in ``results``."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("approval needs a signed-in second person"))
    if actor.pk == change.requested_by_id:
        raise ValidationError(
            {"approver": _("a second person must approve: the requester cannot approve their own change")}
        )
    people = list(change.people.all())
    for person in people:
        _require(actor, SCREENING, person.path)
    now = timezone.now()
    results = {}
    with transaction.atomic():
        if (
            BulkStatusChange.objects.filter(pk=change.pk, status=ApprovalStatus.PENDING).update(
                status=ApprovalStatus.APPLIED, decided_by=actor, decided_at=now, decision_note=note[:300]
            )
            != 1
        ):
            raise StatusConflict(_("this bulk change was already decided"), code="status_conflict")
        change.status, change.decided_by, change.decided_at = ApprovalStatus.APPLIED, actor, now
        evidence = _("%(e)s (bulk change #%(pk)s requested by %(a)s, approved by %(b)s)") % {
            "e": change.evidence,
            "pk": change.pk,
            "a": change.requested_by,
            "b": actor,
        }
        for person in people:
            try:
                with transaction.atomic():
                    _apply_status(actor, person, change.to_status, change.reason_code, evidence, at=now, bulk=change)
                results[str(person.pk)] = "changed"
            except ValidationError as exc:
                results[str(person.pk)] = items_line(exc.messages)[:200]
        BulkStatusChange.objects.filter(pk=change.pk).update(results=results)
        change.results = results
        audit.record(actor=actor, action="fieldops.bulk_approve", obj=change, detail={"results": results})
    return change


def bulk_status_change_reject(*, actor, change: BulkStatusChange, note: str) -> BulkStatusChange:
    """Reject a pending bulk change (a second person, with a note); nothing changes."""
    note = _text(note, "note", max_length=300)
    if actor is None or actor.pk == change.requested_by_id:
        raise ValidationError({"approver": _("a second person must decide")})
    _require(actor, SCREENING, change.path)
    with transaction.atomic():
        if (
            BulkStatusChange.objects.filter(pk=change.pk, status=ApprovalStatus.PENDING).update(
                status=ApprovalStatus.REJECTED, decided_by=actor, decided_at=timezone.now(), decision_note=note
            )
            != 1
        ):
            raise StatusConflict(_("this bulk change was already decided"), code="status_conflict")
        change.status = ApprovalStatus.REJECTED
        audit.record(actor=actor, action="fieldops.bulk_reject", obj=change, reason=note)
    return change


def transfer_out_hand_over(*, actor, transfer: TransferOut, note: str = "") -> TransferOut:
    """Mark a transfer-out row handed over to the place where the person is."""
    _require(actor, SCREENING, transfer.path)
    now = timezone.now()
    with transaction.atomic():
        _set_status(
            TransferOut,
            transfer.pk,
            TransferStatus.PENDING,
            status=TransferStatus.HANDED_OVER,
            handed_over_at=now,
            handed_over_by=_user(actor),
        )
        audit.record(actor=actor, action="fieldops.transfer_hand_over", obj=transfer, reason=note[:300])
    transfer.status, transfer.handed_over_at = TransferStatus.HANDED_OVER, now
    return transfer


# ============================================================================================ home monitoring


MONITORING_MAX_DAYS = 14
"""The longest home health monitoring started by hand, in days (inclusive): twice the longest home
period of the shipped rules (/work/shared/docs/domain.md: 8th edition 7 d home monitoring after
centralized isolation, 9th edition 3 d, 7 d home isolation of secondary contacts)."""
MONITORING_START_WINDOW = dt.timedelta(days=365)
"""A monitoring starts at most a year before or after today (Asia/Shanghai)."""


def _monitoring_period_errors(starts_on: dt.date, ends_on: dt.date) -> dict[str, str]:
    """Field → message for a home monitoring period that is not plausible: a start more than a year
    from today, an end before the start, or longer than MONITORING_MAX_DAYS days. Each message names
    the value."""
    today = timezone.localdate()
    errors = {}
    if starts_on < today - MONITORING_START_WINDOW:
        errors["starts_on"] = _("“%(v)s” is more than a year before today (%(t)s)") % {"v": starts_on, "t": today}
    elif starts_on > today + MONITORING_START_WINDOW:
        errors["starts_on"] = _("“%(v)s” is more than a year after today (%(t)s)") % {"v": starts_on, "t": today}
    if ends_on < starts_on:
        errors["ends_on"] = _("ends on %(e)s, before it starts on %(s)s") % {"e": ends_on, "s": starts_on}
    elif (ends_on - starts_on).days + 1 > MONITORING_MAX_DAYS:
        errors["ends_on"] = _("“%(e)s” makes %(n)d days of home health monitoring from %(s)s; at most %(max)d days") % {
            "e": ends_on,
            "n": (ends_on - starts_on).days + 1,
            "s": starts_on,
            "max": MONITORING_MAX_DAYS,
        }
    return errors


def home_monitoring_start(
    *,
    actor,
    household,
    starts_on: dt.date,
    ends_on: dt.date,
    resident=None,
    name: str = "",
    reason: str = "",
) -> HomeMonitoring:
    """Put a resident (or a named person staying in ``household``) under home health monitoring
    from ``starts_on`` to ``ends_on`` (inclusive). Raises ValidationError (a period that is not
    plausible, see _monitoring_period_errors; a resident of another household or already
    monitored); PermissionDenied without FIELD_WORK at the household."""
    errors = _monitoring_period_errors(starts_on, ends_on)
    if resident is not None and resident.household_id != household.pk:
        errors["resident"] = _("%(r)s does not live in this household") % {"r": resident}
    name = resident.name if resident is not None else _text(name, "name", max_length=60)
    if (
        resident is not None
        and HomeMonitoring.objects.filter(
            resident=resident, status=MonitoringStatus.ACTIVE, ends_on__gte=starts_on
        ).exists()
    ):
        errors["resident"] = _("%(r)s is already monitored") % {"r": resident}
    if errors:
        raise ValidationError(errors)
    _require(actor, FIELD, household.path)
    return _create_audited(
        HomeMonitoring,
        actor=actor,
        action="fieldops.monitoring_start",
        district_id=household.district_id,
        path=household.path,
        household=household,
        resident=resident,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=_text(reason, "reason", required=False),
        created_by=_user(actor),
    )


def home_monitoring_end(*, actor, monitoring: HomeMonitoring, reason: str) -> HomeMonitoring:
    """End a monitoring early (active → ended) with a reason."""
    reason = _text(reason, "reason")
    _require(actor, FIELD, monitoring.path)
    today = timezone.localdate()
    with transaction.atomic():
        _set_status(
            HomeMonitoring,
            monitoring.pk,
            MonitoringStatus.ACTIVE,
            status=MonitoringStatus.ENDED,
            ends_on=max(today, monitoring.starts_on),
        )
        audit.record(actor=actor, action="fieldops.monitoring_end", obj=monitoring, reason=reason)
    monitoring.status = MonitoringStatus.ENDED
    return monitoring


TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
"""Plausible readings of a body temperature in °C: from below the 35.0 °C of hypothermia to above the
41.0 °C of hyperpyrexia (超高热, 《诊断学》第9版 发热分度), with a margin for a cold hand or a hot
forehead; anything outside is a typing error, not a reading."""


def _temperature(value) -> Decimal:
    """A reading in °C rounded to 0.1 (``"37,2"`` accepted); ValidationError on ``temperature`` for
    text, NaN, infinities or a value outside TEMPERATURE_RANGE."""
    low, high = TEMPERATURE_RANGE
    shown = str(value if value is not None else "").strip()
    if not shown:
        raise ValidationError(
            {"temperature": _("a temperature in °C is required (%(low)s–%(high)s)") % {"low": low, "high": high}}
        )
    try:
        number = Decimal(shown.replace(",", "."))
        if not number.is_finite():
            raise InvalidOperation
        number = number.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {
                "temperature": _("“%(v)s” is not a temperature in °C (%(low)s–%(high)s)")
                % {"v": shown, "low": low, "high": high}
            }
        ) from None
    if not low <= number <= high:
        raise ValidationError(
            {
                "temperature": _("%(v)s °C is not a plausible body temperature (%(low)s–%(high)s °C)")
                % {"v": number, "low": low, "high": high}
            }
        )
    return number


def health_check_in_record(
    *,
    actor,
    monitoring: HomeMonitoring,
    temperature,
    symptoms: Sequence[str] = (),
    source: str = CheckInSource.WORKER,
    at: dt.datetime | None = None,
) -> HealthCheckIn:
    """Record today's health check-in of a monitored person: by the resident through the household
    QR link (``source="resident"``, ``actor`` None: the token is the authority, checked by the view)
    or by a worker on their behalf (FIELD_WORK at the household).

    The field rule set decides abnormal (temperature ≥ fever threshold, or an abnormal symptom); an
    abnormal reading raises a medical service request (assistance) — or, if that app cannot take it,
    an alert — and alerts the household representative. One check-in a day (ValidationError for a
    second one, naming the time of the first).
    """
    at = _now(at)
    day = timezone.localdate(at)
    temperature = _temperature(temperature)
    symptoms = list(dict.fromkeys(symptoms or []))
    unknown = [s for s in symptoms if s not in Symptom.values]
    if unknown:
        raise ValidationError({"symptoms": _("unknown symptoms %(v)s") % {"v": unknown}})
    if source not in CheckInSource.values:
        raise ValidationError({"source": _("unknown source “%(v)s”") % {"v": source}})
    if monitoring.status != MonitoringStatus.ACTIVE or not monitoring.covers(day):
        raise ValidationError({"monitoring": _("%(n)s is not monitored on %(d)s") % {"n": monitoring.name, "d": day}})
    if source == CheckInSource.WORKER or actor is not None:
        _require(actor, FIELD, monitoring.path)
    first = HealthCheckIn.objects.filter(monitoring=monitoring, day=day).first()
    if first is not None:
        raise ValidationError(
            {"day": _("already checked in today at %(t)s") % {"t": timezone.localtime(first.at).strftime("%H:%M")}}
        )
    rules = field_rules.rules_on(day, "at")
    abnormal = temperature >= rules.fever_threshold or bool(set(symptoms) & set(rules.abnormal_symptoms or []))
    with transaction.atomic():
        try:
            with transaction.atomic():
                check_in = HealthCheckIn.objects.create(
                    district_id=monitoring.district_id,
                    path=monitoring.path,
                    monitoring=monitoring,
                    household_id=monitoring.household_id,
                    day=day,
                    at=at,
                    temperature=temperature,
                    symptoms=symptoms,
                    abnormal=abnormal,
                    source=source,
                    recorded_by=_user(actor),
                )
        except IntegrityError:
            raise ValidationError({"day": _("already checked in today")}) from None
        audit.record(
            actor=actor,
            action="fieldops.health_check_in",
            obj=check_in,
            detail={"abnormal": abnormal, "source": source},
        )
        if abnormal:
            _abnormal_reading(actor, monitoring, check_in, rules)
    return check_in


def _abnormal_reading(actor, monitoring: HomeMonitoring, check_in: HealthCheckIn, rules) -> None:
    summary = _("Home monitoring: %(t)s °C, symptoms: %(s)s") % {
        "t": check_in.temperature,
        "s": ", ".join(str(Symptom(s).label) for s in check_in.symptoms) or "—",
    }
    household = monitoring.household
    ref = adapters.raise_medical_request(household=household, resident=monitoring.resident, summary=summary)
    if ref:
        HealthCheckIn.objects.filter(pk=check_in.pk).update(service_request_ref=ref)
        check_in.service_request_ref = ref
    day = check_in.day
    representative = selectors.representatives_of([household.pk], on=day).get(household.pk)
    alert_raise(
        kind=AlertKind.ABNORMAL_READING,
        path=monitoring.path,
        district_id=monitoring.district_id,
        dedupe_key=f"abnormal:{check_in.pk}",
        message=household.address,
        recipient=representative or selectors.responsible_worker(household.path, on=day),
        household=household,
        detail={
            "check_in": check_in.pk,
            "temperature": str(check_in.temperature),
            "symptoms": check_in.symptoms,
            "request": ref,
            "threshold": str(rules.fever_threshold),
        },
    )


def monitoring_missed_flag(*, now: dt.datetime | None = None) -> int:
    """System work (tick): flag to each household representative (L4; the place's responsible
    person when there is none) the monitored people without a check-in: yesterday, and today once
    the field rule set's ``check_in_deadline_hour`` has passed. Idempotent (one alert per
    monitoring and day). Returns the number of alerts raised."""
    now = _now(now)
    today = timezone.localdate(now)
    rules = field_rules.in_force(today)
    days = [today - dt.timedelta(days=1)]
    if timezone.localtime(now).hour >= rules.check_in_deadline_hour:
        days.append(today)
    raised = 0
    for day in days:
        missing = list(
            selectors.monitorings_without_check_in(HomeMonitoring.objects.all(), day).select_related("household")
        )
        reps = selectors.representatives_of({m.household_id for m in missing}, on=day)
        for m in missing:
            _alert, created = alert_raise(
                kind=AlertKind.MONITORING_MISSED,
                path=m.path,
                district_id=m.district_id,
                dedupe_key=f"monitoring_missed:{m.pk}:{day.isoformat()}",
                message=m.household.address,
                recipient=reps.get(m.household_id) or selectors.responsible_worker(m.path, on=day),
                household=m.household,
                detail={"monitoring": m.pk, "day": day.isoformat()},
                at=now,
            )
            raised += int(created)
    return raised


# ============================================================================================ disinfection


def disinfection_schedule_create(
    *, actor, division: Division, place: str, interval_hours: int, tier_key: str = ""
) -> DisinfectionSchedule:
    """Schedule the disinfection of a public ``place`` of a compound or village every
    ``interval_hours`` (1-168). Raises ValidationError (duplicate place, bad interval); PermissionDenied."""
    _place(division)
    place = _text(place, "place", max_length=80)
    if not isinstance(interval_hours, int) or not 1 <= interval_hours <= 168:
        raise ValidationError({"interval_hours": _("1 to 168 hours, got “%(v)s”") % {"v": interval_hours}})
    if DisinfectionSchedule.objects.filter(division=division, place=place).exists():
        raise ValidationError(
            {"place": _("%(p)s of %(d)s is already scheduled") % {"p": place, "d": division.short_name}}
        )
    _require(actor, SETUP, division.code, what="disinfection")
    return _create_audited(
        DisinfectionSchedule,
        actor=actor,
        action="fieldops.schedule_create",
        district_id=division.district_id,
        division=division,
        path=division.code,
        place=place,
        interval_hours=interval_hours,
        tier_key=tier_key,
    )


def disinfection_schedules_generate(*, actor, code: str, on=None) -> dict[str, int]:
    """Schedule the public areas of every compound (or village without groups) under ``code`` that
    lies in an area whose tier has disinfection rules (field rule set ``disinfection``: sealed twice
    a day, controlled once). A building or stairwell area schedules its compound; a community area
    schedules each of its compounds. Idempotent; an existing generated schedule is tightened to a
    stricter tier's interval. Returns ``{"created": n, "tightened": n, "places": n}``."""
    from lianfang.zones.selectors import tier_index  # noqa: PLC0415

    _require(actor, SETUP, code, what="disinfection")
    rules = field_rules.in_force()
    per_tier = rules.disinfection or {}
    nodes = [
        (c, tier.key)
        for c, tier in tier_index(on).items()
        if tier.key in per_tier and (c.startswith(code) or code.startswith(c))
    ]
    wanted: dict[str, str] = {}  # place code → tier key with the shortest interval

    def want(place_code: str, tier_key: str) -> None:
        if not place_code.startswith(code):
            return
        current = wanted.get(place_code)
        if current is None or int(per_tier[tier_key]["interval_hours"]) < int(per_tier[current]["interval_hours"]):
            wanted[place_code] = tier_key

    wide = [(c, k) for c, k in nodes if len(c) < COMPOUND_CODE_LEN]
    if wide:
        q = Q()
        for c, _k in wide:
            q |= subtree_q("code", c)
        places = list(Division.objects.filter(q, level__in=PLACE_LEVELS).values_list("code", "level"))
        with_compounds = {c[:COMMUNITY_CODE_LEN] for c, level in places if level == Level.COMPOUND}
        for c, k in wide:
            for place_code, level in places:
                if place_code.startswith(c) and (level == Level.COMPOUND or place_code not in with_compounds):
                    want(place_code, k)
    for c, k in nodes:
        if len(c) >= COMPOUND_CODE_LEN:
            want(c[:COMPOUND_CODE_LEN], k)
    divisions = {d.code: d for d in Division.objects.filter(code__in=wanted)}
    existing = {(s.path, s.place): s for s in DisinfectionSchedule.objects.filter(path__in=list(wanted))}
    counts = {"created": 0, "tightened": 0, "places": len(wanted)}
    with transaction.atomic():
        for place_code, tier_key in sorted(wanted.items()):
            rule = per_tier[tier_key]
            interval = int(rule["interval_hours"])
            for place in rule["places"]:
                found = existing.get((place_code, place))
                if found is None:
                    division = divisions[place_code]
                    DisinfectionSchedule.objects.create(
                        district_id=division.district_id,
                        division=division,
                        path=place_code,
                        place=place,
                        interval_hours=interval,
                        tier_key=tier_key,
                    )
                    counts["created"] += 1
                elif found.tier_key and found.interval_hours > interval:
                    DisinfectionSchedule.objects.filter(pk=found.pk).update(
                        interval_hours=interval, tier_key=tier_key, is_active=True
                    )
                    counts["tightened"] += 1
        audit.record(actor=actor, action="fieldops.schedules_generate", division_code=code, detail=counts)
    return counts


def disinfection_log_record(
    *,
    actor,
    schedule: DisinfectionSchedule,
    performed_by: str,
    agent: str,
    concentration_mg_l,
    done_at: dt.datetime | None = None,
    note: str = "",
) -> DisinfectionLog:
    """Record one disinfection done: who, the schedule's place, when, the agent and its
    concentration in mg/L (0 < c ≤ 10000). Raises ValidationError naming the field; PermissionDenied
    without FIELD_WORK there."""
    done_at = _now(done_at)
    errors = {}
    performed_by = _text(performed_by, "performed_by", max_length=60)
    agent = _text(agent, "agent", max_length=80)
    try:
        concentration = Decimal(str(concentration_mg_l).strip()).quantize(Decimal("0.1"))
        if not Decimal("0") < concentration <= Decimal("10000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["concentration_mg_l"] = _("a concentration above 0 and up to 10000 mg/L is required, got “%(v)s”") % {
            "v": concentration_mg_l
        }
    if done_at > timezone.now() + dt.timedelta(minutes=5):
        errors["done_at"] = _("“%(t)s” is in the future") % {"t": moment_text(done_at)}
    if errors:
        raise ValidationError(errors)
    _require(actor, FIELD, schedule.path)
    return _create_audited(
        DisinfectionLog,
        actor=actor,
        action="fieldops.disinfection",
        district_id=schedule.district_id,
        path=schedule.path,
        schedule=schedule,
        done_at=done_at,
        performed_by=performed_by,
        agent=agent,
        concentration_mg_l=concentration,
        note=_text(note, "note", required=False),
        recorded_by=_user(actor),
    )


def disinfection_overdue_flag(*, now: dt.datetime | None = None) -> int:
    """System work (tick): one alert per overdue schedule and due time, to the place's responsible
    person. Idempotent. Returns the number of alerts raised."""
    now = _now(now)
    raised = 0
    for schedule in selectors.schedules_with_due(DisinfectionSchedule.objects.filter(is_active=True), now=now):
        if not schedule.overdue:
            continue
        _alert, created = alert_raise(
            kind=AlertKind.DISINFECTION_OVERDUE,
            path=schedule.path,
            district_id=schedule.district_id,
            dedupe_key=f"disinfection:{schedule.pk}:{schedule.due_at:%Y%m%d%H%M}",
            message=f"{schedule.division.short_name} {schedule.place}",
            recipient=selectors.responsible_worker(schedule.path, on=timezone.localdate(now)),
            detail={"schedule": schedule.pk, "due_at": timezone.localtime(schedule.due_at).isoformat()},
            at=now,
        )
        raised += int(created)
    return raised


# ============================================================================================ notices


_ID_LIKE = re.compile(r"(?<!\d)\d{15}(?:\d{2}[\dXx])?(?!\d)")
_PHONE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def names_in_text(text: str, path: str) -> list[str]:
    """Names of people living under ``path`` (residents, screened people, infections) that appear
    in ``text`` (two characters or more). Three queries."""
    from lianfang.registry.models import Resident  # noqa: PLC0415
    from lianfang.zones.models import Infection  # noqa: PLC0415

    names = set(Resident.objects.within(path).values_list("name", flat=True).distinct())
    names |= set(ScreenedPerson.objects.within(path).values_list("name", flat=True).distinct())
    names |= set(Infection.objects.within(path[:6] if len(path) >= 6 else path).values_list("person_name", flat=True))
    return sorted(n for n in names if n and len(n) >= 2 and n in text)


def check_no_people_named(text: str, path: str) -> None:
    """Raise ValidationError when ``text`` holds an ID number, a mobile number or the name of a
    person living under ``path`` (public notices never name people, design.md "Personal data")."""
    normalized = unicodedata.normalize("NFKC", text)
    problems = []
    if _ID_LIKE.search(normalized):
        problems.append(_("an ID number"))
    if _PHONE_LIKE.search(normalized.replace(" ", "").replace("-", "")):
        problems.append(_("a mobile phone number"))
    named = names_in_text(normalized, path)
    if named:
        problems.append(_("the name of %(names)s") % {"names": "、".join(named[:5])})
    if problems:
        raise ValidationError(
            {"body": _("a notice never names people; remove %(what)s") % {"what": items_line(problems)}}
        )


def notice_create(*, actor, title: str, body: str, division: Division | None = None, control_area=None) -> Notice:
    """Write a notice (draft) to a control area, a community or a compound. The title has at most
    120 characters, the body at most ``NOTICE_BODY_MAX`` (models, 5,000). The title and body are
    checked for people's names, ID and phone numbers (:func:`check_no_people_named`). Raises
    ValidationError; PermissionDenied without MANAGE_WORKFORCE at the target."""
    title = _text(title, "title", max_length=120)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("this field is required")})
    if len(body) > NOTICE_BODY_MAX:  # a notice is read on phones and sent to group robots
        raise ValidationError(
            {"body": _("at most %(n)d characters, got %(len)d") % {"n": NOTICE_BODY_MAX, "len": len(body)}}
        )
    if control_area is not None:
        division = Division.objects.get(code=control_area.path)
    if division is None:
        raise ValidationError({"division": _("choose a control area, a community or a compound")})
    if control_area is None:
        _place(division)
    check_no_people_named(f"{title}\n{body}", division.code)
    _require(actor, SETUP, division.code, what="notice")
    return _create_audited(
        Notice,
        actor=actor,
        action="fieldops.notice_create",
        district_id=division.district_id or division.pk,
        path=division.code,
        division=division,
        control_area=control_area,
        title=title,
        body=body,
        created_by=_user(actor),
    )


def notice_publish(*, actor, notice: Notice) -> Notice:
    """Publish a draft (draft → published). When webhooks are on (fieldops.notify.webhooks_enabled),
    one delivery per enabled channel at or above the notice's place is queued and posted by the
    ``deliver_notice`` task after the commit."""
    from lianfang.fieldops import notify  # noqa: PLC0415

    _require(actor, SETUP, notice.path, what="notice")
    now = timezone.now()
    with transaction.atomic():
        _set_status(
            Notice,
            notice.pk,
            NoticeStatus.DRAFT,
            status=NoticeStatus.PUBLISHED,
            published_at=now,
            published_by=_user(actor),
        )
        notice.status, notice.published_at = NoticeStatus.PUBLISHED, now
        queued = notify.queue_deliveries(notice)
        audit.record(actor=actor, action="fieldops.notice_publish", obj=notice, detail={"deliveries": queued})
    return notice


def notice_withdraw(*, actor, notice: Notice, reason: str) -> Notice:
    """Withdraw a published notice (its public page then says so)."""
    reason = _text(reason, "reason")
    _require(actor, SETUP, notice.path, what="notice")
    with transaction.atomic():
        _set_status(Notice, notice.pk, NoticeStatus.PUBLISHED, status=NoticeStatus.WITHDRAWN)
        audit.record(actor=actor, action="fieldops.notice_withdraw", obj=notice, reason=reason)
    notice.status = NoticeStatus.WITHDRAWN
    return notice


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path[:40]}…"[:120]


def channel_create(
    *, actor, division: Division, name: str, kind: str, url: str, secret: str = "", is_enabled: bool = False
) -> NotificationChannel:
    """Add a group-robot webhook for ``division`` (its notices and those below). The URL (http or
    https) and the DingTalk signing secret are encrypted at rest. Off unless ``is_enabled``."""
    name = _text(name, "name", max_length=80)
    errors = {}
    if kind not in ChannelKind.values:
        errors["kind"] = _("unknown channel kind “%(v)s”") % {"v": kind}
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["url"] = _("a webhook URL (http or https) is required, got “%(v)s”") % {"v": _mask_url(url or "")}
    if errors:
        raise ValidationError(errors)
    _require(actor, SETUP, division.code, what="channel")
    with transaction.atomic():
        channel = NotificationChannel.objects.create(
            district_id=division.district_id or division.pk,
            path=division.code,
            division=division,
            name=name,
            kind=kind,
            url_enc=pii.encrypt(url.strip()),
            url_masked=_mask_url(url.strip()),
            secret_enc=pii.encrypt(secret) if secret else b"",
            is_enabled=bool(is_enabled),
        )
        audit.record(
            actor=actor,
            action="fieldops.channel_create",
            obj=channel,
            detail={"kind": kind, "enabled": bool(is_enabled)},
        )
    return channel


def channel_set_enabled(*, actor, channel: NotificationChannel, enabled: bool) -> NotificationChannel:
    """Switch a channel on or off."""
    _require(actor, SETUP, channel.path, what="channel")
    with transaction.atomic():
        NotificationChannel.objects.filter(pk=channel.pk).update(is_enabled=bool(enabled))
        audit.record(
            actor=actor, action="fieldops.channel_enable" if enabled else "fieldops.channel_disable", obj=channel
        )
    channel.is_enabled = bool(enabled)
    return channel
