"""Medical exit passes (就医出行证) of medical-trip tickets: issue, revoke, and the audit of a gate
check."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.assistance.models import (
    Category,
    EventKind,
    ExitPass,
    ExitPassWindow,
    PassStatus,
    ServiceRequest,
    Status,
)
from lianfang.assistance.services.base import (
    StatusConflict,
    _event,
    _fresh,
    _new_token,
    _now,
    _require_handler,
)
from lianfang.core import audit, fielderrors, pii
from lianfang.registry.models import Resident
from lianfang.registry.services import text_problem

# how far ahead a pass's first day may be (days): a medical trip is approved when it is known and
# near; a pass for a day months ahead is a typo (2099) or outlives the control area (new-user trial 16)
EXIT_PASS_HORIZON_DAYS = 30


def exit_pass_issue(
    *,
    actor,
    ticket: ServiceRequest,
    resident: Resident,
    destination: str,
    purpose: str,
    vehicle: str,
    first_day: dt.date,
    days: int,
    window_start: dt.time,
    window_end: dt.time,
    every_days: int = 1,
    companion: str = "",
    at=None,
) -> ExitPass:
    """Approve a medical exit pass (就医出行证) for a medical-trip ticket: one approval, ``days``
    windows from ``first_day``, one every ``every_days`` days, each from ``window_start`` to
    ``window_end`` (Asia/Shanghai wall-clock times, same day). E.g. a daily injection for six days:
    ``days=6, every_days=1``.

    The ticket must be a medical trip that has been accepted (not new, not final), ``resident`` a
    member of its household. The approver needs HANDLE_REQUESTS at community level or above (a
    community's staff, a street officer, the commander). Raises ValidationError naming each bad field.
    """
    now = _now(at)
    _require_handler(actor, ticket)
    ticket = _fresh(ticket)
    if not can(actor, Capability.HANDLE_REQUESTS, ticket.community.code):
        raise PermissionDenied(_("Exit passes are approved by community staff or above."))
    errors: dict[str, str] = {}
    if ticket.category != Category.MEDICAL_TRIP:
        errors["ticket"] = _("an exit pass is issued for a medical trip, not for %s") % ticket.get_category_display()
    if ticket.status not in (Status.ACCEPTED, Status.IN_PROGRESS):
        errors["ticket"] = _("accept the request first (it is %s)") % ticket.get_status_display()
    if resident is None or resident.household_id != ticket.household_id:
        errors["resident"] = _("%(name)s is not a member of household %(household)s") % {
            "name": resident,
            "household": ticket.household_id,
        }
    texts = (
        ("destination", destination, 120, True),
        ("purpose", purpose, 120, True),
        ("vehicle", vehicle, 60, True),
        ("companion", companion, 60, False),
    )
    for name, value, limit, required in texts:
        # blank-looking (only zero-width characters) is missing; any other control or invisible format
        # character is refused as in every other one-line text (registry.services.text_problem; trial 16)
        if required and fielderrors.is_blank(value):
            errors[name] = _("this field is required")
        elif problem := text_problem(value or ""):
            errors[name] = problem
        elif len(value or "") > limit:
            errors[name] = _("at most %(n)d characters, got %(got)d") % {"n": limit, "got": len(value)}
    if not isinstance(days, int) or not 1 <= days <= 31:
        errors["days"] = _("between 1 and 31 windows, got “%s”") % (days,)
    if not isinstance(every_days, int) or not 1 <= every_days <= 14:
        errors["every_days"] = _("every 1 to 14 days, got “%s”") % (every_days,)
    if window_start is None or window_end is None or window_end <= window_start:
        errors["window_end"] = _("the window must end after it starts on the same day (%(start)s–%(end)s)") % {
            "start": window_start,
            "end": window_end,
        }
    today = timezone.localdate(now)
    if isinstance(first_day, dt.date) and first_day < today:
        errors["first_day"] = _("the first day “%s” is in the past") % first_day
    elif isinstance(first_day, dt.date) and first_day > today + dt.timedelta(days=EXIT_PASS_HORIZON_DAYS):
        errors["first_day"] = _(
            "the first day “%(day)s” is more than %(n)d days ahead (at the latest %(last)s): approve the pass "
            "nearer the trip, when the need is known"
        ) % {"day": first_day, "n": EXIT_PASS_HORIZON_DAYS, "last": today + dt.timedelta(days=EXIT_PASS_HORIZON_DAYS)}
    if errors:
        raise ValidationError(errors)
    _refuse_overlapping_pass(resident, first_day, days, every_days, window_start, window_end)
    plain = _new_token()
    with transaction.atomic():
        exit_pass = ExitPass.objects.create(
            ticket=ticket,
            household_id=ticket.household_id,
            resident=resident,
            path=ticket.path,
            destination=destination.strip(),
            purpose=purpose.strip(),
            vehicle=vehicle.strip(),
            companion=companion.strip(),
            approved_by=actor,
            approved_at=now,
            token_hash=pii.lookup_hash("exit_pass", plain),
            token_enc=pii.encrypt(plain),
        )
        exit_pass.number = f"P{timezone.localdate(now):%Y%m%d}-{exit_pass.pk:06d}"
        ExitPass.objects.filter(pk=exit_pass.pk).update(number=exit_pass.number)
        windows = []
        for i in range(days):
            day = first_day + dt.timedelta(days=i * every_days)
            windows.append(
                ExitPassWindow(
                    exit_pass=exit_pass,
                    starts_at=timezone.make_aware(dt.datetime.combine(day, window_start)),
                    ends_at=timezone.make_aware(dt.datetime.combine(day, window_end)),
                )
            )
        ExitPassWindow.objects.bulk_create(windows)
        _event(
            ticket,
            EventKind.PASS_ISSUED,
            actor=actor,
            at=now,
            reason_code=EventKind.PASS_ISSUED,
            public=True,
            detail={"pass": exit_pass.pk, "number": exit_pass.number, "windows": days},
            note=f"{exit_pass.destination} · {first_day:%Y-%m-%d} ×{days}",
        )
        audit.record(
            actor=actor,
            action="create",
            obj=exit_pass,
            detail={
                "ticket": ticket.pk,
                "resident": resident.pk,
                "windows": days,
                "destination": exit_pass.destination,
            },
        )
    return exit_pass


def _refuse_overlapping_pass(resident, first_day, days, every_days, window_start, window_end) -> None:
    """Raise ValidationError ``{"resident": …}`` naming the active pass of ``resident`` (its number and
    its first and last day) that has a window overlapping the period of the new pass (its first window's
    start to its last window's end): two active passes of one person for one period would be two
    approvals of the same trips (new-user trial 16). Revoke the old one first to replace it."""
    start = timezone.make_aware(dt.datetime.combine(first_day, window_start))
    last_day = first_day + dt.timedelta(days=(days - 1) * every_days)
    end = timezone.make_aware(dt.datetime.combine(last_day, window_end))
    clash = (
        ExitPass.objects.filter(
            resident=resident,
            status=PassStatus.ACTIVE,
            windows__starts_at__lt=end,
            windows__ends_at__gt=start,
        )
        .order_by("-approved_at", "-id")
        .first()
    )
    if clash is None:
        return
    span = clash.windows.aggregate(first=Min("starts_at"), last=Max("ends_at"))
    raise ValidationError(
        {
            "resident": _(
                "%(name)s already has the active exit pass %(number)s for %(first)s to %(last)s, which overlaps "
                "this one: revoke it first to replace it"
            )
            % {
                "name": resident.name,
                "number": clash.number,
                "first": f"{timezone.localtime(span['first']):%Y-%m-%d}",
                "last": f"{timezone.localtime(span['last']):%Y-%m-%d}",
            }
        }
    )


def exit_pass_revoke(*, actor, exit_pass: ExitPass, reason: str, at=None) -> ExitPass:
    """Revoke a pass (the gate then refuses it); ``reason`` required. StatusConflict when already revoked."""
    now = _now(at)
    _require_handler(actor, exit_pass.ticket)
    if fielderrors.is_blank(reason):
        raise ValidationError({"reason": _("a reason is required")})
    with transaction.atomic():
        if (
            ExitPass.objects.filter(pk=exit_pass.pk, status=PassStatus.ACTIVE).update(
                status=PassStatus.REVOKED, revoked_at=now, revoke_reason=reason.strip()[:200]
            )
            != 1
        ):
            raise StatusConflict(_("The pass is already revoked."))
        audit.record(actor=actor, action="status", obj=exit_pass, reason="revoked", detail={"note": reason})
    exit_pass.refresh_from_db()
    return exit_pass


def exit_pass_check_record(*, actor, exit_pass: ExitPass, valid: bool, at=None) -> None:
    """Audit one gate check of a pass (who checked it, when, and whether it let the person through)."""
    audit.record(
        actor=actor,
        action="pass_check",
        obj=exit_pass,
        detail={"valid": valid, "at": _now(at).isoformat()},
    )
