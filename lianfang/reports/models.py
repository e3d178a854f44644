"""Reports (报表): the daily report of a division and the layouts that turn the same data into forms.

Nothing here is counted twice: every figure comes from the other apps' selectors (lianfang.reports.
sources and lianfang.reports.daily). What this app stores is:

- :class:`ReportRuleSet` (报表规则) — the rules of the daily report as data: when a day may be closed
  (no positive pool without follow-up, domain.md §4 "positive pool follow-up"), how many days the
  trends show.
- :class:`DailyReport` (日报) — the state of one division's report for one day: open, or closed with
  a frozen ``snapshot`` of every figure (so a closed day never changes when later data arrives).
- :class:`ReportLayout` (报表样式) — a report layout as configuration: a named data source, a list of
  columns, filters and an order. A health commission's daily form and a police returnee list are two
  rows of this table, not two forms to fill.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from lianfang.core.scoping import ScopedManager, ScopedQuerySet, scope_for, subtree_q


class ReportRuleSet(models.Model):
    """The rules of the daily report (报表规则), versioned like every other rule set.

    ``close_requires_follow_up``: a day may be closed only when every positive pool (a positive tube
    that is not an individual retest) resulted by the end of the day has a follow-up (混管阳性复核,
    domain.md §4). ``close_blocks_on_overdue_steps``: in addition, no open follow-up may have a step
    (isolate, retest...) past its deadline. ``trend_days``: days shown by the trends page by default.
    The rule set in force on a day is the one with the latest ``effective_from`` on or before it
    (:meth:`in_force`). Shipped: ``command-2022`` (migration 0002).
    """

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    source = models.TextField(_("source"))
    effective_from = models.DateField(_("effective from"))
    close_requires_follow_up = models.BooleanField(_("closing needs every positive pool followed up"), default=True)
    close_blocks_on_overdue_steps = models.BooleanField(_("an overdue follow-up step blocks closing"), default=True)
    trend_days = models.PositiveSmallIntegerField(_("days shown by the trends"), default=30)

    class Meta:
        verbose_name = _("report rule set")
        verbose_name_plural = _("report rule sets")
        ordering = ["-effective_from", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trend_days__gte=2, trend_days__lte=366), name="reportruleset_trend_days"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def in_force(cls, day: dt.date, param: str = "date") -> ReportRuleSet:
        """The rule set in force on ``day``; installs the shipped set when the table is empty (a
        flushed test database). Raises ValidationError ``{param: [message]}`` naming the day and that
        no report rule set was in force then (with the first day one was, when there is one) — a 400
        on the pages and in the API (reports.views, reports.api.views), never a DoesNotExist (a 500).
        Same rule as workforce.selectors.rules_on and fieldops.rules.rules_on."""
        found = cls.objects.filter(effective_from__lte=day).order_by("-effective_from", "key").first()
        if found is None and not cls.objects.exists():
            from lianfang.reports.shipped import ensure_shipped  # noqa: PLC0415

            ensure_shipped()
            found = cls.objects.filter(effective_from__lte=day).order_by("-effective_from", "key").first()
        if found is None:
            first = cls.objects.order_by("effective_from").values_list("effective_from", flat=True).first()
            if first is None:
                message = gettext("No report rule set was in force on “%(day)s”.") % {"day": day.isoformat()}
            else:
                message = gettext(
                    "No report rule set was in force on “%(day)s” (the first took effect on %(first)s)."
                ) % {"day": day.isoformat(), "first": first.isoformat()}
            raise ValidationError({param: [message]})
        return found


class ReportStatus(models.TextChoices):
    """open → closed (→ open again by a reopening with a reason)."""

    OPEN = "open", _("Open (live figures)")
    CLOSED = "closed", _("Closed (figures frozen)")


class ReasonCode(models.TextChoices):
    """Why a daily report changed status (carried by the status change and its audit entry)."""

    CLOSED = "closed", _("Figures checked and closed")
    REOPENED_LATE_DATA = "late_data", _("Reopened: late data")
    REOPENED_CORRECTION = "correction", _("Reopened: correction")


class DailyReport(models.Model):
    """One division's daily report for one day (日报), keyed by (division, day).

    ``path`` repeats the division's code (scoping: a street officer sees the reports of their street
    and the communities in it). While ``status`` is open the report is computed live; closing stores
    every figure in ``snapshot`` (the JSON of :func:`lianfang.reports.daily.build`), which is what the
    report shows from then on. Status changes go through ``lianfang.reports.services``.
    """

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    day = models.DateField(_("day"), db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.OPEN, db_index=True
    )
    status_reason = models.CharField(_("reason code"), max_length=16, choices=ReasonCode.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    snapshot = models.JSONField(_("figures as closed"), default=dict, blank=True)
    rule_set = models.ForeignKey(
        ReportRuleSet, verbose_name=_("report rule set"), null=True, blank=True, on_delete=models.PROTECT
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day", "path"]
        constraints = [
            models.UniqueConstraint(fields=["division", "day"], name="dailyreport_unique_day"),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(closed_at__isnull=False) & ~Q(snapshot={})),
                name="dailyreport_closed_has_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.day}"

    @property
    def audit_division_code(self) -> str:
        return self.path

    @property
    def is_closed(self) -> bool:
        return self.status == ReportStatus.CLOSED


class LayoutQuerySet(ScopedQuerySet):
    """Shipped layouts (no district) are visible to every user with a division scope; a district's
    own layouts to users whose scope overlaps that district (deny by default)."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.everything:
            return self
        if scope.is_empty or not scope.codes:
            return self.none()
        q = Q(district__isnull=True)
        for code in scope.codes:
            q |= subtree_q("district__code", code) | Q(district__code=code[:6])
        return self.filter(q)


class ReportLayout(models.Model):
    """A report layout (报表样式): rows of a named data source, with chosen columns, filters and order.

    ``source`` names a data source of :mod:`lianfang.reports.sources` (``communities``,
    ``control_areas``, ``infections``, ``screened_people``, ``service_requests``, ``positive_pools``,
    ``workforce``). ``columns`` is a list of ``{"field": key, "label": str?, "label_en": str?}``
    (a source field, with an optional heading in each language); ``filters`` maps filter keys of the
    source to values (``{"category": ["inflow", "risk_traveller"]}``); ``order_by`` is a field key,
    ``-key`` for descending. ``totals`` adds a line summing the numeric columns. ``form_title`` is
    the title printed on the form (zh-Hans; ``form_title_en`` in English), ``issuer`` the body the
    form goes to (卫健委, 公安分局...; ``issuer_en`` in English, blank: as ``issuer``). Shipped
    layouts (``district`` NULL, ``is_builtin``) are never edited; a district copies one and changes it.
    Validation: ``reports.services.report_layout_save``.
    """

    SCOPE_PATH_FIELD = "district__code"

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name (zh-Hans)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    form_title = models.CharField(_("form title (zh-Hans)"), max_length=200)
    form_title_en = models.CharField(_("form title (English)"), max_length=200)
    issuer = models.CharField(_("submitted to"), max_length=120, blank=True)
    issuer_en = models.CharField(_("submitted to (English)"), max_length=120, blank=True)
    source = models.CharField(_("data source"), max_length=40)
    columns = models.JSONField(_("columns"), default=list)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    order_by = models.CharField(_("order by"), max_length=60, blank=True)
    totals = models.BooleanField(_("totals line"), default=False)
    district = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("district (local layout)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_builtin = models.BooleanField(_("shipped"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = LayoutQuerySet.as_manager()

    class Meta:
        verbose_name = _("report layout")
        verbose_name_plural = _("report layouts")
        ordering = ["-is_builtin", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_builtin=False) | Q(district__isnull=True), name="reportlayout_builtin_is_national"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def display_title(self) -> str:
        return self.form_title_en if (get_language() or "").startswith("en") else self.form_title

    @property
    def display_issuer(self) -> str:
        """The body the form goes to in the active language: ``issuer_en`` in English when given, else
        ``issuer`` as entered; ``""`` when none."""
        return (self.issuer_en if (get_language() or "").startswith("en") else "") or self.issuer

    @property
    def audit_division_code(self) -> str:
        return self.district.code if self.district_id else ""
