"""Patrols: checkpoints with their QR tokens, rounds, scans, finishing a round (missed checkpoints
alerted) and closing stale rounds (tick)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import audit
from lianfang.divisions.models import Division
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops import selectors
from lianfang.fieldops.models import AlertKind, Checkpoint, PatrolRound, PatrolScan, PatrolStatus
from lianfang.fieldops.services.alerts import alert_raise
from lianfang.fieldops.services.base import (
    FIELD,
    SETUP,
    StatusConflict,
    _create_audited,
    _now,
    _place,
    _require,
    _set_status,
    _text,
    _user,
)


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


def checkpoint_tokens_require(*, actor, code: str) -> None:
    """Raise PermissionDenied (naming what and where: "You may not set up patrol checkpoints in …")
    unless ``actor`` may see the QR tokens of the checkpoints under ``code``: MANAGE_WORKFORCE there,
    the right that sets them up. The patrol walking the route never sees them (they scan the printed
    code); the API gives them a null ``token``."""
    _require(actor, SETUP, code, what="checkpoint")


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
    on the first scan). Scanning the same checkpoint again in a round keeps the first time.

    Plausibility (new-user trial 16: a whole round "completed" in 7 seconds): a scan less than the
    rule set's ``patrol_min_scan_seconds`` (default 30 s; 0: no check) after the round's latest scan
    is refused with a ValidationError ``{"checkpoint": …}`` naming both checkpoints, the seconds
    between them and the minimum — nothing is recorded, the patrol scans again once there."""
    at = _now(at)
    if not checkpoint.is_active:
        raise ValidationError({"checkpoint": _("checkpoint %(c)s is no longer in use") % {"c": checkpoint.name}})
    patrol = patrol_round_start(actor=actor, division=checkpoint.division, at=at)
    existing = PatrolScan.objects.filter(round=patrol, checkpoint=checkpoint).first()
    if existing is not None:
        return existing
    _refuse_implausible_scan(patrol, checkpoint, at)
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


def _refuse_implausible_scan(patrol: PatrolRound, checkpoint: Checkpoint, at: dt.datetime) -> None:
    """Raise ValidationError when ``at`` is closer than ``patrol_min_scan_seconds`` (rule set in force
    on the day of ``at``) to the latest scan of ``patrol``; nothing when the round has no scan yet."""
    minimum = field_rules.in_force(timezone.localdate(at)).patrol_min_scan_seconds
    previous = patrol.scans.select_related("checkpoint").order_by("-scanned_at", "-id").first()
    if not minimum or previous is None:
        return
    seconds = abs((at - previous.scanned_at).total_seconds())
    if seconds >= minimum:
        return
    raise ValidationError(
        {
            "checkpoint": _(
                "%(c)s was not recorded: it was scanned %(n)d seconds after %(prev)s (at %(t)s), but two "
                "checkpoints of a round are at least %(min)d seconds' walk apart. Scan it again when you are there."
            )
            % {
                "c": checkpoint.name,
                "n": int(seconds),
                "prev": previous.checkpoint.name,
                "t": timezone.localtime(previous.scanned_at).strftime("%H:%M:%S"),
                "min": minimum,
            }
        }
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
