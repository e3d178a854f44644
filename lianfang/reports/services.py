"""Writes of the reports app: closing and reopening a day's report, saving report layouts.

Every function is keyword-only, validates first, runs in one transaction and records an audit entry.
Status changes are conditional updates carrying a reason code (reports.models.ReasonCode).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import require
from lianfang.core import audit
from lianfang.core.fielderrors import control_character_problem
from lianfang.core.filters import future_day_error
from lianfang.core.forms import bracketed, listing
from lianfang.divisions.models import Division, Level
from lianfang.reports import daily, layouts, sources
from lianfang.reports.models import DailyReport, ReasonCode, ReportLayout, ReportRuleSet, ReportStatus

CLOSE_CAPABILITY = Capability.MANAGE_ZONES
"""Closing a day is a command decision: the capability of the command roles (district commander,
street/town officer), the same that declares and lifts control areas."""


@dataclass(frozen=True)
class Blocker:
    """A positive pool that keeps a day from closing: tube ``barcode`` at ``path``; ``reason`` is
    ``missing`` (no follow-up) or ``overdue`` (a follow-up step past its deadline ``due``)."""

    tube_id: int
    barcode: str
    path: str
    reason: str
    follow_up_id: int | None
    due: dt.datetime | None


def close_blockers(*, user, division: Division, day: dt.date, at: dt.datetime | None = None) -> list[Blocker]:
    """The positive pools under ``division`` resulted by the end of ``day`` that lack follow-up at
    ``at`` (default now), per the report rule set in force on ``day``: without a follow-up
    (``close_requires_follow_up``) or with an open follow-up whose next step is past its deadline
    (``close_blocks_on_overdue_steps``). Empty when the screening app is not installed. Raises
    ValidationError ``{"date": [...]}`` naming ``day`` when no report rule set was in force on it
    (ReportRuleSet.in_force)."""
    rules = ReportRuleSet.in_force(day)
    at = at or timezone.now()
    try:
        pools = sources.positive_pools(user=user, code=division.code, day=day)
    except LookupError:
        return []
    q = Q(pk__in=[])
    if rules.close_requires_follow_up:
        q |= Q(has_follow_up=False)
    if rules.close_blocks_on_overdue_steps:
        q |= Q(fu_status="open", next_due__lt=at)
    blockers = []
    for tube in pools.filter(q).order_by("result_at", "id"):
        blockers.append(
            Blocker(
                tube_id=tube.pk,
                barcode=tube.barcode,
                path=tube.path,
                reason="missing" if not tube.has_follow_up else "overdue",
                follow_up_id=tube.fu_id,
                due=tube.next_due,
            )
        )
    return blockers


def _require_close(actor, division: Division) -> None:
    require(actor, CLOSE_CAPABILITY, division.code, what=_("close or reopen daily reports"))


def check_day(division: Division, day: dt.date) -> ReportRuleSet:
    """The report rule set under which ``division``'s report of ``day`` may be closed or reopened.
    Raises ValidationError ``{"division": [...]}`` for a division below community level, ``{"date":
    [...]}`` naming the day when it is in the future or no report rule set was in force on it
    (ReportRuleSet.in_force). ``date`` is the field of the API and of the forms; the pages answer
    these errors with a 400 before any change (reports.views._status_change)."""
    if division.level < Level.DISTRICT or division.level > Level.COMMUNITY:
        raise ValidationError(
            {
                "division": _("%(code)s: a daily report is for a district, street/town or community")
                % {"code": division.code}
            }
        )
    if error := future_day_error(day):  # a day can be closed once it has begun
        raise ValidationError({"date": error})
    return ReportRuleSet.in_force(day)


def daily_report_close(*, actor, division: Division, day: dt.date, note: str = "") -> DailyReport:
    """Close ``division``'s report for ``day``: freeze every figure (reports.daily.build, as ``actor``
    sees them) in ``DailyReport.snapshot``.

    Refused (ValidationError naming the tubes) while a positive pool lacks follow-up
    (:func:`close_blockers`; the report rule set, Lianfang issue 9: "a day's report can only be closed
    when no positive pool lacks follow-up"); PermissionDenied without the command capability over the
    division; ValidationError (``{"division": …}`` or ``{"date": …}``, :func:`check_day`) for a day in
    the future or before any report rule set, a division below community level, or a day already
    closed. Conditional update open → closed with reason ``closed``; audited.
    """
    _require_close(actor, division)
    rules = check_day(division, day)
    blockers = close_blockers(user=actor, division=division, day=day)
    if blockers:
        listed = listing(
            bracketed(b.barcode or b.tube_id, _("no follow-up") if b.reason == "missing" else _("step overdue"))
            for b in blockers[:10]
        )
        raise ValidationError(
            {
                "date": ngettext(
                    "%(n)d positive pool lacks follow-up: %(tubes)s%(more)s",
                    "%(n)d positive pools lack follow-up: %(tubes)s%(more)s",
                    len(blockers),
                )
                % {"n": len(blockers), "tubes": listed, "more": "…" if len(blockers) > 10 else ""}
            }
        )
    snapshot = daily.build(user=actor, division=division, day=day)
    now = timezone.now()
    with transaction.atomic():
        report, _created = DailyReport.objects.get_or_create(
            division=division, day=day, defaults={"path": division.code}
        )
        changed = DailyReport.objects.filter(pk=report.pk, status=ReportStatus.OPEN).update(
            status=ReportStatus.CLOSED,
            status_reason=ReasonCode.CLOSED,
            snapshot=snapshot,
            rule_set=rules,
            closed_at=now,
            closed_by=actor if getattr(actor, "pk", None) else None,
            note=note[:2000],
        )
        if changed != 1:
            raise ValidationError({"date": _("the report of %(day)s is already closed") % {"day": day.isoformat()}})
        report.refresh_from_db()
        audit.record(
            actor=actor,
            action="reports.close",
            obj=report,
            reason=ReasonCode.CLOSED,
            detail={
                "day": day.isoformat(),
                "rule_set": rules.key,
                "population": snapshot["population"],
                "note": note[:200],
            },
        )
    return report


def daily_report_reopen(*, actor, report: DailyReport, reason: str, note: str) -> DailyReport:
    """Reopen a closed day (late data, a correction): the figures become live again until it is closed
    anew. ``reason`` is ReasonCode ``late_data`` or ``correction``; ``note`` (required) says why.
    PermissionDenied without the command capability; ValidationError for an unknown reason, an empty
    note or a report that is not closed. The frozen figures are kept in the audit entry."""
    division = report.division
    _require_close(actor, division)
    if reason not in (ReasonCode.REOPENED_LATE_DATA, ReasonCode.REOPENED_CORRECTION):
        raise ValidationError({"reason": _("unknown reason %(reason)s") % {"reason": reason}})
    if not (note or "").strip():
        raise ValidationError({"note": _("say why the report is reopened")})
    with transaction.atomic():
        old = DailyReport.objects.filter(pk=report.pk).values("snapshot").first() or {}
        changed = DailyReport.objects.filter(pk=report.pk, status=ReportStatus.CLOSED).update(
            status=ReportStatus.OPEN, status_reason=reason, note=note.strip()[:2000]
        )
        if changed != 1:
            raise ValidationError({"date": _("the report of %(day)s is not closed") % {"day": report.day.isoformat()}})
        report.refresh_from_db()
        audit.record(
            actor=actor,
            action="reports.reopen",
            obj=report,
            reason=reason,
            detail={
                "day": report.day.isoformat(),
                "note": note.strip()[:200],
                "closed_figures": old.get("snapshot", {}),
            },
        )
    return report


# ------------------------------------------------------------------------------------------ layouts


LAYOUT_CAPABILITY = Capability.EXPORT


def report_layout_save(
    *,
    actor,
    key: str,
    name: str,
    name_en: str,
    form_title: str,
    form_title_en: str,
    source: str,
    columns,
    filters=None,
    order_by: str = "",
    totals: bool = False,
    issuer: str = "",
    issuer_en: str = "",
    district: Division,
) -> ReportLayout:
    """Create or change the local layout ``key`` of ``district`` (a set of columns and filters over a
    named data source: reports.layouts.clean). Shipped layouts are never changed (copy one under a
    new key). PermissionDenied without the EXPORT capability over the district; ValidationError naming
    the field (key, name, source, column n, filter, order) otherwise — names, titles and issuers hold
    no control character (BEL, an RLO: core.fielderrors.control_character_problem, one-line
    texts; new-user trial 14). Audited."""
    require(actor, LAYOUT_CAPABILITY, district.code, what=_("change report layouts"))
    errors = {}
    key = (key or "").strip()
    if not key or not key.replace("-", "").replace("_", "").isalnum() or not key.isascii() or len(key) > 60:
        errors["key"] = _("key %(key)s: use 1-60 letters, digits, - or _") % {"key": key}
    if district.level != Level.DISTRICT:
        errors["district"] = _("%(code)s is not a district") % {"code": district.code}
    for field_name, value, limit in (
        ("name", name, 120),
        ("name_en", name_en, 120),
        ("form_title", form_title, 200),
        ("form_title_en", form_title_en, 200),
    ):
        if not (value or "").strip():
            errors[field_name] = _("%(field)s is required") % {"field": field_name}
        elif len(value) > limit:
            errors[field_name] = _("%(field)s: at most %(n)d characters") % {"field": field_name, "n": limit}
    for field_name, value in (
        ("name", name),
        ("name_en", name_en),
        ("form_title", form_title),
        ("form_title_en", form_title_en),
        ("issuer", issuer),
        ("issuer_en", issuer_en),
    ):
        if field_name not in errors and (problem := control_character_problem(value or "", multiline=False)):
            errors[field_name] = problem
    try:
        src, cleaned_columns, cleaned_filters, cleaned_order = layouts.clean(
            source=source, columns=columns, filters=filters, order_by=order_by
        )
    except ValidationError as exc:
        errors["columns"] = exc.messages
        src = None
    if errors:
        raise ValidationError(errors)
    existing = ReportLayout.objects.filter(key=key).first()
    if existing is not None and (existing.is_builtin or existing.district_id != district.pk):
        raise ValidationError({"key": _("%(key)s belongs to another layout: choose a new key") % {"key": key}})
    values = {
        "name": name.strip(),
        "name_en": name_en.strip(),
        "form_title": form_title.strip(),
        "form_title_en": form_title_en.strip(),
        "issuer": (issuer or "").strip()[:120],
        "issuer_en": (issuer_en or "").strip()[:120],
        "source": src.key,
        "columns": cleaned_columns,
        "filters": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in cleaned_filters.items()},
        "order_by": cleaned_order,
        "totals": bool(totals),
        "district": district,
    }
    try:
        with transaction.atomic():
            if existing is None:
                layout = ReportLayout.objects.create(
                    key=key, created_by=actor if getattr(actor, "pk", None) else None, **values
                )
            else:
                for attr, value in values.items():
                    setattr(layout := existing, attr, value)
                layout.save()
            audit.record(
                actor=actor,
                action="reports.layout_save",
                obj=layout,
                division_code=district.code,
                detail={
                    "key": key,
                    "source": src.key,
                    "columns": [c["field"] for c in cleaned_columns],
                    "created": existing is None,
                },
            )
    except IntegrityError as exc:
        raise ValidationError({"key": _("%(key)s is taken") % {"key": key}}) from exc
    return layout


def export_record(
    *,
    actor,
    layout_key: str,
    source: str,
    division: Division,
    day: dt.date,
    fmt: str,
    rows: int,
    personal: bool = True,
) -> None:
    """Audit an export of a layout or a records list (who, what, which division and day, how many rows).

    ``personal``: whether the rows hold (masked) personal data — action ``export`` (exported personal
    data) when they do, ``reports.export`` (a report of counts, e.g. the daily report) when not."""
    audit.record(
        actor=actor,
        action="export" if personal else "reports.export",
        object_type="reports.reportlayout",
        object_id=layout_key,
        division_code=division.code,
        detail={"source": source, "day": day.isoformat(), "format": fmt, "rows": rows},
    )
