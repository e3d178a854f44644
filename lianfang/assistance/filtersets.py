"""One FilterSet per listed model, shared by the pages, the API and the exports (yes/no filters are
core.filters.YesNoFilter: anything but yes/no/empty is a 400 naming parameter and value)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.assistance.models import OPEN_STATUSES, Category, Channel, Priority, ServiceRequest, Status
from lianfang.core.filters import FilterSet, ScopedWithinFilter, YesNoFilter


class ServiceRequestFilterSet(FilterSet):
    """``within`` (division code; one holding nothing the caller may see is a 400 naming it, as on the
    zones pages: core.filters.ScopedWithinFilter), ``status``, ``open`` (new/accepted/in progress),
    ``overdue`` (open and past a deadline now), ``category``, ``priority``, ``channel`` (any intake
    through it), ``mine`` (assigned to or offered to the caller), ``household`` (id), ``number``
    (exact). ``open``,
    ``overdue`` and ``mine`` take yes/no (:class:`YesNoFilter`); a bad value of any filter makes the
    FilterSet invalid, naming the parameter and the value."""

    within = ScopedWithinFilter()
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"))
    open = YesNoFilter(method="filter_open", label=_("Only open requests"))
    overdue = YesNoFilter(method="filter_overdue", label=_("Overdue"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("Category"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, method="filter_channel", label=_("Channel"))
    mine = YesNoFilter(method="filter_mine", label=_("Mine"))
    number = django_filters.CharFilter(field_name="number", label=_("Number"))

    class Meta:
        model = ServiceRequest
        fields = [
            "within",
            "status",
            "open",
            "overdue",
            "category",
            "priority",
            "channel",
            "mine",
            "household",
            "number",
        ]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        q = Q(status__in=list(OPEN_STATUSES))
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = Q(status__in=list(OPEN_STATUSES), due_at__lt=timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_channel(self, queryset, name, value):
        return queryset.filter(intakes__channel=value).distinct() if value else queryset

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(Q(assignee=user) | Q(offered_to=user))
