"""Field alerts: raised once per dedupe key (system work), acknowledged by their recipient or
whoever directs the workers of the place."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.selectors import can
from lianfang.core import audit
from lianfang.fieldops.models import Alert, AlertStatus
from lianfang.fieldops.services.base import FIELD, SETUP, _now, _require, _set_status, _user


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
