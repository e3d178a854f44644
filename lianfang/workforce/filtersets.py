"""One FilterSet per model, shared by the pages and the API (django-filter).

Common filters: ``within`` (a division code: rows in its subtree) and ``on`` (a date: rows whose period
contains it, or for workers: deployed on that day together with ``deployed_within``).
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import DayFilter, FilterSet, ScopedIdFilter, ScopedWithinFilter, SearchFilter
from lianfang.core.scoping import subtree_q
from lianfang.registry.models import Household
from lianfang.workforce.models import (
    Category,
    Deployment,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    Team,
    Worker,
    WorkerCategory,
    active_on_q,
)


def filter_active_on(queryset, name, value):
    """Rows whose inclusive period contains the date ``value``."""
    return queryset.filter(active_on_q(value)) if value else queryset


class WorkerFilterSet(FilterSet):
    """``within`` (base division), ``category`` (any of several), ``q`` (name or pinyin initials),
    ``deployed_within`` with ``on`` (workers with a deployment under that code active on that day — the
    list behind a figure of the workforce sheet), ``has_account``."""

    within = ScopedWithinFilter(label=_("based within division code"))
    category = django_filters.MultipleChoiceFilter(
        choices=Category.choices, method="filter_category", label=_("category")
    )
    q = SearchFilter(method="filter_q", label=_("name or pinyin initials"))
    # an unknown or out-of-scope code is a 400 naming it, as ``within`` (new-user trial 8: an empty list)
    deployed_within = ScopedWithinFilter(method="filter_deployed", label=_("deployed within division code"))
    on = DayFilter(method="filter_on", label=_("deployed on (date)"))
    has_account = django_filters.BooleanFilter(field_name="user", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Worker
        fields = ["within", "category", "q", "deployed_within", "on", "has_account"]

    def filter_category(self, queryset, name, value):
        if not value:
            return queryset
        held = WorkerCategory.objects.filter(worker=OuterRef("pk"), category__in=value)
        return queryset.filter(Exists(held))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isascii() and value.isalpha():
            return queryset.filter(name_initials__startswith=value.lower())
        return queryset.filter(name__contains=value)

    def filter_deployed(self, queryset, name, value):
        # Applied together with ``on`` in filter_queryset below.
        return queryset

    def filter_on(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        code, day = self.form.cleaned_data.get("deployed_within"), self.form.cleaned_data.get("on")
        if code or day:
            deployments = Deployment.objects.filter(worker=OuterRef("pk"))
            if code:
                deployments = deployments.filter(subtree_q("path", code))  # validated by CODE_VALIDATOR
            if day:
                deployments = deployments.filter(active_on_q(day))
            queryset = queryset.filter(Exists(deployments))
        return queryset


class DeploymentFilterSet(FilterSet):
    """``within`` (deployed under a division code), ``worker`` (id of a worker the user may see: any
    other id is a 400 naming it), ``on`` (active on a date)."""

    within = ScopedWithinFilter()
    worker = ScopedIdFilter(queryset=Worker.objects.all(), label=_("worker (id)"))
    on = DayFilter(method=filter_active_on, label=_("active on (date)"))

    class Meta:
        model = Deployment
        fields = ["within", "worker", "on"]


class TeamFilterSet(FilterSet):
    """``within`` (based under a division code), ``member`` (id of a worker the user may see: any other
    id is a 400 naming it)."""

    within = ScopedWithinFilter()
    member = ScopedIdFilter(field_name="members", queryset=Worker.objects.all(), label=_("member (worker id)"))

    class Meta:
        model = Team
        fields = ["within", "member"]


class AssignmentFilterSet(FilterSet):
    """``level`` (1-4), ``within`` (unit under a division code), ``worker`` (id), ``household`` (id),
    ``on`` (active on a date), ``current`` (open-ended: no end date). A worker or household id the user
    may not see (or that does not exist) is a 400 naming it."""

    level = django_filters.ChoiceFilter(choices=ResponsibilityLevel.choices, label=_("level"))
    within = ScopedWithinFilter()
    worker = ScopedIdFilter(queryset=Worker.objects.all(), label=_("worker (id)"))
    household = ScopedIdFilter(queryset=Household.objects.all(), label=_("household (id)"))
    on = DayFilter(method=filter_active_on, label=_("active on (date)"))
    current = django_filters.BooleanFilter(field_name="ends_on", lookup_expr="isnull", label=_("open-ended"))

    class Meta:
        model = ResponsibilityAssignment
        fields = ["level", "within", "worker", "household", "on", "current"]
