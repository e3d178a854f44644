"""One FilterSet per model, shared by the pages and the API (NetBox style)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import CodeFilter, DayFilter, FilterSet, ScopedWithinFilter
from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import CODE_LENGTHS
from lianfang.zones import selectors
from lianfang.zones.models import AreaStatus, ControlArea, Infection, RuleSet, TierKey


class ControlAreaFilterSet(FilterSet):
    """``tier`` (key), ``status``, ``within`` (a node inside the division's subtree), ``covers`` (a
    node at or above the division), ``active_on`` (in force at the end of that day, Asia/Shanghai),
    ``operation`` (id). Division codes are 1-20 digits (core.filters.CODE_VALIDATOR), full-width
    digits read as digits (core.filters.CodeField: ``６２０１０３`` = ``620103``); anything else is a
    400 naming the parameter."""

    tier = django_filters.ChoiceFilter(field_name="tier__key", choices=TierKey.choices, label=_("Tier"))
    status = django_filters.ChoiceFilter(choices=AreaStatus.choices, label=_("Status"))
    within = ScopedWithinFilter(method="filter_within")
    covers = CodeFilter(method="filter_covers", label=_("Covering division code"))
    active_on = DayFilter(method="filter_active_on", label=_("In force on"))

    class Meta:
        model = ControlArea
        fields = ["tier", "status", "within", "covers", "active_on", "operation"]

    def filter_within(self, queryset, name, value):
        if not value:
            return queryset
        inside = ControlArea.objects.filter(subtree_q("nodes__code", value)).values("pk")
        return queryset.filter(pk__in=inside)

    def filter_covers(self, queryset, name, value):
        if not value:
            return queryset
        code = value
        prefixes = [code[:n] for n in sorted(CODE_LENGTHS.values()) if n <= len(code)]
        return queryset.filter(pk__in=ControlArea.objects.filter(nodes__code__in=prefixes).values("pk"))

    def filter_active_on(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.in_force(selectors.instant(value))


class InfectionFilterSet(FilterSet):
    """``within`` (residence in the division's subtree), ``detected_after`` / ``detected_before``
    (inclusive days), ``operation`` (id)."""

    within = ScopedWithinFilter()
    detected_after = DayFilter(field_name="detected_on", lookup_expr="gte", label=_("Detected on or after"))
    detected_before = DayFilter(field_name="detected_on", lookup_expr="lte", label=_("Detected on or before"))

    class Meta:
        model = Infection
        fields = ["within", "detected_after", "detected_before", "operation"]


class RuleSetFilterSet(FilterSet):
    """``edition``, ``shipped`` (true: the national sets; false: local variants)."""

    shipped = django_filters.BooleanFilter(field_name="is_builtin", label=_("Shipped"))

    class Meta:
        model = RuleSet
        fields = ["edition", "shipped"]
