"""One FilterSet per model, shared by pages and API. Filters narrow a queryset that already went
through ``visible_to``: they can never widen the caller's scope."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import DayFilter, FilterSet, MomentFilter, ScopedWithinFilter, SearchFilter
from lianfang.fieldops import models as m


class WithinFilterSet(FilterSet):
    """Base: ``within`` (a division code: rows in its subtree)."""

    within = ScopedWithinFilter()


class GateFilterSet(WithinFilterSet):
    """Filters of gates: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.Gate
        fields = ["within", "is_active", "kind"]


class DutyShiftFilterSet(WithinFilterSet):
    """Filters of duty shifts: ``within`` (division code), ``day`` (YYYY-MM-DD) and exact fields."""

    day = DayFilter(label=_("day"))

    class Meta:
        model = m.DutyShift
        fields = ["within", "gate", "day", "status", "worker"]


class CheckpointFilterSet(WithinFilterSet):
    """Filters of checkpoints: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.Checkpoint
        fields = ["within", "is_active"]


class PatrolRoundFilterSet(WithinFilterSet):
    """Filters of patrol rounds: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.PatrolRound
        fields = ["within", "status"]


class PassageFilterSet(WithinFilterSet):
    """Filters of entry/exit records (``since``: an ISO datetime): ``within`` (division code) and exact fields."""

    since = MomentFilter(field_name="at", lookup_expr="gte", label=_("since"))

    class Meta:
        model = m.PassageRecord
        fields = ["within", "gate", "direction", "decision", "purpose", "since"]


class ScreenedPersonFilterSet(WithinFilterSet):
    """Filters of screened people (``q``: name contains, at most core.filters.SEARCH_MAX_LENGTH
    characters — a longer text is a 400, new-user trial 14): ``within`` (division code) and exact fields."""

    q = SearchFilter(field_name="name", lookup_expr="contains", label=_("name contains"))

    class Meta:
        model = m.ScreenedPerson
        fields = ["within", "category", "status", "needs_verification", "infection", "q"]


class QuarantineTestFilterSet(WithinFilterSet):
    """Filters of quarantine tests: ``within`` (division code), ``due_on`` (YYYY-MM-DD) and exact fields."""

    due_on = DayFilter(label=_("due on"))

    class Meta:
        model = m.QuarantineTest
        fields = ["within", "person", "due_on", "result"]


class BulkStatusChangeFilterSet(WithinFilterSet):
    """Filters of bulk status changes: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.BulkStatusChange
        fields = ["within", "status"]


class TransferOutFilterSet(WithinFilterSet):
    """Filters of transfers out: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.TransferOut
        fields = ["within", "status", "batch"]


class HomeMonitoringFilterSet(WithinFilterSet):
    """Filters of home monitoring: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.HomeMonitoring
        fields = ["within", "status", "household"]


class HealthCheckInFilterSet(WithinFilterSet):
    """Filters of health check-ins: ``within`` (division code), ``day`` (YYYY-MM-DD) and exact fields."""

    day = DayFilter(label=_("day"))

    class Meta:
        model = m.HealthCheckIn
        fields = ["within", "day", "abnormal", "monitoring"]


class DisinfectionScheduleFilterSet(WithinFilterSet):
    """Filters of disinfection schedules: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.DisinfectionSchedule
        fields = ["within", "is_active"]


class DisinfectionLogFilterSet(WithinFilterSet):
    """Filters of disinfection logs: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.DisinfectionLog
        fields = ["within", "schedule"]


class NoticeFilterSet(WithinFilterSet):
    """Filters of notices: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.Notice
        fields = ["within", "status"]


class AlertFilterSet(WithinFilterSet):
    """Filters of alerts: ``within`` (division code) and exact fields."""

    class Meta:
        model = m.Alert
        fields = ["within", "kind", "status", "recipient"]
