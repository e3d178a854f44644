"""Proactive care: chronic-illness medicines on file, the daily :func:`care_tick` (check-in tasks and
refill requests, ``manage.py care_tick``) and recording a check-in (:func:`check_in_done`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.assistance import adapters, rules
from lianfang.assistance.models import (
    CareMedicine,
    Category,
    Channel,
    CheckInResult,
    CheckInTask,
    FiledBy,
    NotificationKind,
)
from lianfang.assistance.services.base import (
    StatusConflict,
    _notify,
    _now,
)
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.texts import auto_text
from lianfang.core import audit, fielderrors
from lianfang.core.filters import future_day_error
from lianfang.divisions.models import Division
from lianfang.registry.models import ResidenceStatus, Resident

REFILL_TEXT = gettext_noop("Refill: %(medicine)s for %(name)s runs out on %(day)s (%(dose)s %(unit)s a day).")
"""The text of a refill request (assistance.texts: shown in the reader's language)."""


def _decimal(value, name: str, errors: dict, *, positive: bool) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[name] = _("a number is required, got “%s”") % (value,)
        return None
    if not number.is_finite() or (number <= 0 if positive else number < 0):
        errors[name] = (_("must be above 0, got %s") if positive else _("cannot be negative, got %s")) % value
        return None
    return number.quantize(Decimal("0.01"))


def care_medicine_set(
    *,
    actor,
    resident: Resident,
    name: str,
    dose_per_day,
    stock,
    stock_counted_on: dt.date,
    unit: str = "片",
    note: str = "",
) -> CareMedicine:
    """Put a chronic-illness medicine on file for ``resident``, or update it (same name: a new stock
    count after a refill). ``dose_per_day`` and ``stock`` are in ``unit``s; the stock was on hand at the
    start of ``stock_counted_on``. The run-out day is projected from them (CareMedicine.runs_out_on).
    Requires HANDLE_REQUESTS or EDIT_REGISTRY over the resident's division. ValidationError names fields."""
    if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists() or not (
        can(actor, Capability.HANDLE_REQUESTS, resident.path) or can(actor, Capability.EDIT_REGISTRY, resident.path)
    ):
        raise PermissionDenied(_("You may not keep medicines for this resident."))
    errors: dict[str, str | ValidationError] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("this field is required")
    dose = _decimal(dose_per_day, "dose_per_day", errors, positive=True)
    amount = _decimal(stock, "stock", errors, positive=False)
    if not isinstance(stock_counted_on, dt.date):
        errors["stock_counted_on"] = _("a date is required, got “%s”") % (stock_counted_on,)
    elif error := future_day_error(stock_counted_on):
        errors["stock_counted_on"] = error
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        medicine, created = CareMedicine.objects.select_for_update().get_or_create(
            resident=resident,
            name=name,
            active=True,
            defaults={
                "household_id": resident.household_id,
                "path": resident.path,
                "unit": unit.strip() or "片",
                "dose_per_day": dose,
                "stock": amount,
                "stock_counted_on": stock_counted_on,
                "note": note.strip(),
            },
        )
        if not created:
            medicine.dose_per_day, medicine.stock, medicine.stock_counted_on = dose, amount, stock_counted_on
            medicine.unit, medicine.note = unit.strip() or medicine.unit, note.strip() or medicine.note
            medicine.save()
        audit.record(
            actor=actor,
            action="create" if created else "update",
            obj=medicine,
            detail={"dose_per_day": str(dose), "stock": str(amount), "counted_on": stock_counted_on.isoformat()},
        )
    return medicine


def care_medicine_end(*, actor, medicine: CareMedicine, reason: str) -> CareMedicine:
    """Take a medicine off file (no more refill projections); ``reason`` required."""
    if not CareMedicine.objects.visible_to(actor).filter(pk=medicine.pk).exists():
        raise PermissionDenied(_("You may not keep medicines for this resident."))
    if fielderrors.is_blank(reason):
        raise ValidationError({"reason": _("a reason is required")})
    with transaction.atomic():
        CareMedicine.objects.filter(pk=medicine.pk).update(active=False, note=reason.strip()[:200])
        audit.record(actor=actor, action="end", obj=medicine, reason=reason.strip())
    medicine.refresh_from_db()
    return medicine


@dataclass
class CareReport:
    """What one ``care_tick`` did on ``day``: check-in tasks ``tasks_created`` (``eligible`` residents in
    care tiers), refill requests ``refills_opened`` (``refills_linked`` joined an open medicine ticket)."""

    day: dt.date
    eligible: int = 0
    tasks_created: int = 0
    refills_opened: int = 0
    refills_linked: int = 0

    def __str__(self) -> str:
        return (
            f"{self.day}: {self.eligible} residents need a check-in, {self.tasks_created} tasks created; "
            f"refill requests opened {self.refills_opened}, linked {self.refills_linked}"
        )


def care_tick(*, on: dt.date | None = None, now: dt.datetime | None = None) -> CareReport:
    """Daily proactive care for ``on`` (default today, Asia/Shanghai); idempotent.

    1. Check-in tasks: every living resident of a household in a zone tier listed in the rule set's
       ``care_tiers`` (sealed / high) who has a vulnerability flag in ``check_in_flags`` (elderly living
       alone, chronic illness, no smartphone) or an active medicine on file gets one task for the day,
       for the household's representative (L4) on that day. One per resident and day.
    2. Refills: for every active medicine whose projected run-out day minus ``refill_lead_days`` is on or
       before the day, a medicine request is filed (channel proactive, by Lianfang) unless one was
       already filed since the stock was last counted; it joins an open medicine ticket of the household.
    """
    now = _now(now)
    day = on or timezone.localdate(now)
    district = Division.objects.filter(code=_district_code()).first()
    rule_set = rules.rule_set_in_force(district.pk if district else None, day)
    report = CareReport(day=day)
    _check_in_tasks(rule_set, day, now, report)
    _refills(rule_set, day, now, report)
    return report


def _district_code() -> str:
    from django.conf import settings  # noqa: PLC0415

    return settings.LIANFANG_DISTRICT_CODE


def _check_in_tasks(rule_set, day: dt.date, now, report: CareReport) -> None:
    from lianfang.core.scoping import subtree_q  # noqa: PLC0415

    tiers = adapters.TierLookup(now)
    roots = tiers.roots()
    if not roots:
        return
    in_areas = Q()
    for code in roots:
        in_areas |= subtree_q("path", code)
    flags = [f for f in rule_set.check_in_flags if f in {n for n, _l in _flag_names()}]
    wanted = Q(pk__in=CareMedicine.objects.filter(active=True).values("resident_id"))
    for flag in flags:
        wanted |= Q(**{flag: True})
    candidates = (
        Resident.objects.filter(in_areas)
        .filter(wanted, is_deceased=False)
        .exclude(residence_status=ResidenceStatus.AWAY)
        .values_list("pk", "household_id", "path", *flags)
    )
    medicated = set(CareMedicine.objects.filter(active=True).values_list("resident_id", flat=True))
    care = set(rule_set.care_tiers)
    rows = []
    for pk, household_id, path, *values in candidates:
        if tiers.tier_key(path) not in care:
            continue
        reasons = [flag for flag, on_ in zip(flags, values, strict=True) if on_]
        if pk in medicated and "chronic_illness" not in reasons:
            reasons.append("chronic_illness")
        rows.append((pk, household_id, path, reasons))
    report.eligible = len(rows)
    if not rows:
        return
    existing = set(
        CheckInTask.objects.filter(day=day, resident_id__in=[r[0] for r in rows]).values_list("resident_id", flat=True)
    )
    fresh = [r for r in rows if r[0] not in existing]
    if not fresh:
        return
    reps = adapters.representatives(sorted({r[1] for r in fresh}), day)
    with transaction.atomic():
        created = CheckInTask.objects.bulk_create(
            [
                CheckInTask(household_id=h, resident_id=pk, path=path, day=day, reasons=reasons, worker=reps.get(h))
                for pk, h, path, reasons in fresh
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        audit.record(
            actor=None,
            action="care_tasks",
            object_type="assistance.checkintask",
            division_code=_district_code(),
            detail={"day": day.isoformat(), "created": len(created)},
        )
    report.tasks_created = len(fresh)


def _flag_names():
    from lianfang.registry.models import VULNERABILITY_FLAGS  # noqa: PLC0415

    return VULNERABILITY_FLAGS


def _refills(rule_set, day: dt.date, now, report: CareReport) -> None:
    lead = dt.timedelta(days=rule_set.refill_lead_days)
    medicines = CareMedicine.objects.filter(active=True).select_related("household", "resident", "refill_ticket")
    for medicine in medicines.iterator(chunk_size=2000):
        if medicine.runs_out_on - lead > day:
            continue
        earlier = medicine.refill_ticket
        if earlier is not None and timezone.localdate(earlier.received_at) >= medicine.stock_counted_on:
            continue  # already filed since the stock was counted
        if medicine.resident.is_deceased:
            continue
        text = auto_text(
            REFILL_TEXT,
            medicine=medicine.name,
            name=medicine.resident.name,
            day=medicine.runs_out_on.isoformat(),
            dose=medicine.dose_per_day.normalize(),
            unit=medicine.unit,
        )
        ticket = service_request_create(
            actor=None,
            household=medicine.household,
            category=Category.MEDICINE,
            text=text,
            channel=Channel.PROACTIVE,
            filed_by=FiledBy.SYSTEM,
            resident=medicine.resident,
            at=now,
        )
        CareMedicine.objects.filter(pk=medicine.pk).update(refill_ticket=ticket)
        if ticket.linked:
            report.refills_linked += 1
        else:
            report.refills_opened += 1
            if ticket.routed_worker_id:
                _notify(ticket, NotificationKind.REFILL, at=now, worker=ticket.routed_worker, level=ticket.routed_level)


def check_in_done(
    *,
    actor,
    task: CheckInTask,
    result: str,
    note: str = "",
    category: str = Category.OTHER,
    at=None,
) -> CheckInTask:
    """Record a daily check-in (once). ``result`` is a CheckInResult; ``needs_help`` files a request of
    ``category`` for the household (channel proactive, by ``actor``) with ``note`` as its description.
    Needs FIELD_WORK or HANDLE_REQUESTS and the household in scope. StatusConflict when already done."""
    now = _now(at)
    if not CheckInTask.objects.visible_to(actor).filter(pk=task.pk).exists() or not (
        can(actor, Capability.FIELD_WORK, task.path) or can(actor, Capability.HANDLE_REQUESTS, task.path)
    ):
        raise PermissionDenied(_("You may not record this check-in."))
    errors = {}
    if result not in CheckInResult.values:
        errors["result"] = _("unknown result “%s”") % (result,)
    if result == CheckInResult.NEEDS_HELP and fielderrors.is_blank(note):
        errors["note"] = _("say what help is needed")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if (
            CheckInTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
                done_at=now, done_by=actor, result=result, note=(note or "").strip()[:300]
            )
            != 1
        ):
            raise StatusConflict(_("This check-in was already recorded."))
        task.refresh_from_db()
        if result == CheckInResult.NEEDS_HELP:
            ticket = service_request_create(
                actor=actor,
                household=task.household,
                category=category,
                description=note,
                channel=Channel.PROACTIVE,
                filed_by=FiledBy.STAFF,
                resident=task.resident,
                at=now,
            )
            CheckInTask.objects.filter(pk=task.pk).update(ticket=ticket)
            task.ticket = ticket
        audit.record(actor=actor, action="check_in", obj=task, detail={"result": result})
    return task
