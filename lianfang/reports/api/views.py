"""API: /api/v1/reports/… — the overview numbers, the daily report, trends, layouts (all scoped).

A ``code`` naming a division out of the caller's scope is a 400 ``{"code": [...]}`` naming it, as
on the pages (reports.views.report_division).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message
from lianfang.core.api import BadQueryMixin, ScopedReadOnlyViewSet
from lianfang.core.filters import future_day_error, refuse_unknown_parameters
from lianfang.divisions.models import Division
from lianfang.reports import daily, days, layouts, overview, services, trends
from lianfang.reports.api.serializers import (
    DailyCloseSerializer,
    DailyReportDetailSerializer,
    DailyReportSerializer,
    DivisionDaySerializer,
    DivisionSerializer,
    LayoutRowsSerializer,
    ReportLayoutSerializer,
    TrendQuerySerializer,
)
from lianfang.reports.links import Links
from lianfang.reports.models import DailyReport, ReportLayout
from lianfang.reports.render import cell_text
from lianfang.reports.shipped import ensure_shipped
from lianfang.reports.views import layouts_refusal, report_division

CODE = OpenApiParameter("code", str, description="division code (district, street/town, community); default: yours")
DATE = OpenApiParameter("date", OpenApiTypes.DATE, description="YYYY-MM-DD (default: today, Asia/Shanghai)")


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


def _division_day(request, serializer_class=DivisionDaySerializer):
    """``(division, day, validated query)`` of a read endpoint whose query parameters are the fields
    of ``serializer_class`` (any other is a 400, :func:`refuse_unknown_parameters`): ``code``
    (core.serializers.CodeField: full-width digits read as digits; default: the caller's own, 404
    when they have none) — a malformed code, or one naming a division the caller may not see or not
    at district, street/town or community level, is a 400 ``{"code": [...]}`` naming the value
    (reports.views.report_division, the pages' rule) — and ``date`` (default today; a 400 naming a
    future one). ``day`` is today when the serializer has no ``date``."""
    query = serializer_class(data=request.query_params)
    refuse_unknown_parameters(request, query.fields)
    query.is_valid(raise_exception=True)
    division = report_division(request.user, query.validated_data.get("code") or "")
    day = query.validated_data.get("date") or days.today()
    if error := future_day_error(day):
        raise ValidationError({"date": error.messages})
    return division, day, query.validated_data


def overview_links(data: dict, links: Links) -> dict:
    """Drill-down URLs of the overview's numbers (None where the page does not exist)."""
    result = {
        "population": links.population(),
        "tiers": {t["key"]: links.tier(t["key"]) for t in data["tiers"].get("tiers", [])},
        "tier_population": links.tier_population(),
        "infections_today": links.infections(on_day=True),
        "workforce": links.workforce(),
        "pools_awaiting": links.pools(),
        "pools_overdue": links.pools(overdue=True),
        "requests_open": links.requests(),
        "requests_overdue": links.requests(overdue=True),
        "gates_uncovered": links.gates(),
    }
    rnd = (data.get("round") or {}).get("round")
    if rnd:
        result["round"] = links.round(rnd["id"])
        result["round_missed"] = links.round_coverage(rnd["id"])
    return result


class OverviewView(BadQueryMixin, APIView):
    """The command overview now: areas by tier with households and residents, the current round,
    positive pools awaiting follow-up (overdue first), requests open and overdue, gates uncovered,
    workforce deployed today; ``links`` gives the drill-down of each number. Figures may be up to
    LIANFANG_REPORTS_STALE_SECONDS (15 s) behind the last write; ``figures_at`` is the oldest one's time.
    Always of now: ``code`` is its only query parameter (``?date=`` is a 400 naming it; the daily
    report is the figures as of a day). Times in local time with their offset."""

    @extend_schema(operation_id="reports_overview", parameters=[CODE], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        division, day, _data = _division_day(request, DivisionSerializer)
        data, figures_at = overview.build_tolerant(user=request.user, division=division)
        links = overview_links(data, Links(division.code, day, today=True))
        return Response(daily.json_ready({**data, "figures_at": figures_at, "links": links}))


class DailyView(BadQueryMixin, APIView):
    """The daily report as of ``date``: every section and the paragraph (zh-Hans and English);
    ``status`` open or closed (closed: the frozen figures) and, while open, the positive pools that keep
    the day from closing (``blockers``). 400 ``{"date": [...]}`` for a future day or one before any
    report rule set (ReportRuleSet.in_force); times in local time with their offset."""

    @extend_schema(operation_id="reports_daily", parameters=[CODE, DATE], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        division, day, _data = _division_day(request)
        report, row = daily.report_for(user=request.user, division=division, day=day)
        closed = bool(row and row.is_closed)
        blockers = [] if closed else services.close_blockers(user=request.user, division=division, day=day)
        return Response(
            daily.json_ready(
                {
                    "status": "closed" if closed else "open",
                    "closed_at": row.closed_at if closed else None,
                    "blockers": [
                        {
                            "tube": b.barcode,
                            "path": b.path,
                            "reason": b.reason,
                            "follow_up": b.follow_up_id,
                            "due": b.due,
                        }
                        for b in blockers
                    ],
                    "report": report,
                }
            )
        )


class DailyCloseView(APIView):
    """Close a day's report (freeze its figures). 400 ``{"date": [...]}`` naming the positive pools that
    lack follow-up, a future day, a day before any report rule set or a day already closed; 403 without
    the command capability over the division; 404 out of scope."""

    @extend_schema(operation_id="reports_daily_close", request=DailyCloseSerializer, responses=DailyReportSerializer)
    def post(self, request):
        body = DailyCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        division = get_object_or_404(Division.objects.visible_to(request.user), code=body.validated_data["code"])
        try:
            row = services.daily_report_close(
                actor=request.user,
                division=division,
                day=body.validated_data["date"],
                note=body.validated_data.get("note", ""),
            )
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return Response(DailyReportSerializer(row).data)


class TrendsView(BadQueryMixin, APIView):
    """Series over the ``days`` days ending ``date``: infections, areas by tier, round coverage, requests
    open and overdue, workforce deployed. 400 naming a parameter other than ``code``, ``date`` and
    ``days``, a future date, or (without ``days``) a date before any report rule set."""

    @extend_schema(
        operation_id="reports_trends",
        parameters=[CODE, DATE, OpenApiParameter("days", int, description="2-120 (default: the rule set's)")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        division, day, data = _division_day(request, TrendQuerySerializer)
        n = trends.days_param(data.get("days"), day)
        return Response(trends.build(user=request.user, division=division, last=day, n_days=n))


class ReportLayoutViewSet(ScopedReadOnlyViewSet):
    """Report layouts the caller may use (shipped, and their district's own), by key; ``rows`` runs one.
    403 naming the reason for a role that files no form (a grid worker, volunteer or household
    representative: reports.views.layouts_refusal), as on the pages."""

    queryset = ReportLayout.objects.select_related("district").order_by("-is_builtin", "key")
    serializer_class = ReportLayoutSerializer
    lookup_field = "key"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        reason = layouts_refusal(request.user)
        if reason:
            raise exceptions.PermissionDenied(reason)

    def get_queryset(self):
        ensure_shipped()
        return super().get_queryset()

    @extend_schema(operation_id="reports_layout_rows", parameters=[CODE, DATE], responses=LayoutRowsSerializer)
    @action(detail=True, methods=["get"])
    def rows(self, request, key=None):
        layout = self.get_object()
        division, day, _data = _division_day(request)
        try:
            result = layouts.run(layout, user=request.user, division=division, day=day)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        except LookupError:
            raise NotFound("the layout's data source is not available") from None
        if result.source.personal and not can(request.user, Capability.EXPORT, division.code):
            raise PermissionDenied(denied_message(Capability.EXPORT, division.code))
        services.export_record(
            actor=request.user,
            layout_key=layout.key,
            source=layout.source,
            division=division,
            day=day,
            fmt="api",
            rows=len(result.rows),
            personal=result.source.personal,
        )
        return Response(
            {
                "layout": layout.key,
                "code": division.code,
                "date": day,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in result.columns],
                "rows": [[_plain(v) for v in row] for row in result.rows],
                "totals": [_plain(v) for v in result.totals] if result.totals else None,
            }
        )


def _plain(value):
    if isinstance(value, dt.datetime):
        return cell_text(value, "datetime")
    return value


class DailyReportViewSet(ScopedReadOnlyViewSet):
    """Days closed (or reopened) in the caller's scope, latest first; the detail has the frozen figures."""

    queryset = DailyReport.objects.select_related("closed_by").order_by("-day", "path")
    serializer_class = DailyReportSerializer

    def get_serializer_class(self):
        return DailyReportDetailSerializer if self.action == "retrieve" else DailyReportSerializer
