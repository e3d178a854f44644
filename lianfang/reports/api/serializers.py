"""API serializers of the reports app."""

from __future__ import annotations

from rest_framework import serializers

from lianfang.core.serializers import CodeField, UsableDateField
from lianfang.reports.models import DailyReport, ReportLayout


class ReportLayoutSerializer(serializers.ModelSerializer):
    """A report layout: a data source, its columns, filters and order (configuration, not data)."""

    district = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReportLayout
        fields = [
            "key",
            "name",
            "name_en",
            "form_title",
            "form_title_en",
            "issuer",
            "issuer_en",
            "source",
            "columns",
            "filters",
            "order_by",
            "totals",
            "district",
            "is_builtin",
        ]


class DailyReportSerializer(serializers.ModelSerializer):
    """A day's report state (open, closed) without its figures."""

    code = serializers.CharField(source="path", read_only=True)
    status = serializers.CharField(read_only=True, help_text="open or closed")
    status_reason = serializers.CharField(read_only=True, help_text="closed, late_data or correction")
    closed_by = serializers.StringRelatedField()

    class Meta:
        model = DailyReport
        fields = ["id", "code", "day", "status", "status_reason", "note", "closed_at", "closed_by"]


class DailyReportDetailSerializer(DailyReportSerializer):
    """A day's report state with the figures frozen when it closed (``snapshot``)."""

    class Meta(DailyReportSerializer.Meta):
        fields = [*DailyReportSerializer.Meta.fields, "snapshot"]


class DivisionSerializer(serializers.Serializer):
    """``code`` (a division code; default: the caller's own): the query of the overview, which is always
    of now. Its fields are the only query parameters the endpoint accepts (reports.api.views)."""

    code = CodeField(required=False)


class DivisionDaySerializer(DivisionSerializer):
    """``code`` (a division code; default: the caller's own) and ``date`` (YYYY-MM-DD; default today;
    0002-01-01 … 9998-12-31, core.filters.validate_usable_day)."""

    date = UsableDateField(required=False)


class TrendQuerySerializer(DivisionDaySerializer):
    """``code`` and ``date`` as :class:`DivisionDaySerializer`, and ``days`` (2-120; default: the
    report rule set's ``trend_days``)."""

    days = serializers.IntegerField(required=False, min_value=2, max_value=120)


class DailyCloseSerializer(serializers.Serializer):
    """Close ``code``'s report of ``date`` (0002-01-01 … 9998-12-31, core.filters.validate_usable_day)
    with an optional ``note``."""

    code = CodeField()
    date = UsableDateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class LayoutRowsSerializer(serializers.Serializer):
    """The rows of a layout: ``columns`` (key, label, kind), ``rows`` (values in column order),
    ``totals`` (or null)."""

    layout = serializers.CharField()
    code = serializers.CharField()
    date = UsableDateField()
    columns = serializers.ListField(child=serializers.DictField())
    rows = serializers.ListField(child=serializers.ListField())
    totals = serializers.ListField(allow_null=True)
