"""One FilterSet per model, shared by pages, API and exports."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianfang.core.scoping import subtree_q
from lianfang.registry.models import VULNERABILITY_FLAGS, Household, ResidenceStatus, Resident


def _within(queryset, name, value):
    if not value:
        return queryset
    if not value.isdigit():
        raise ValidationError(_("within must be a division code (digits)"))
    return queryset.filter(subtree_q(queryset.model.SCOPE_PATH_FIELD, value))


class HouseholdFilterSet(django_filters.FilterSet):
    """``within`` (any ancestor division code), ``community``, ``compound`` (codes)."""

    within = django_filters.CharFilter(method=_within, label=_("within division (code)"))
    community = django_filters.CharFilter(field_name="community__code", label=_("community code"))
    compound = django_filters.CharFilter(field_name="compound__code", label=_("compound code"))

    class Meta:
        model = Household
        fields = ["within", "community", "compound"]


class ResidentFilterSet(django_filters.FilterSet):
    """``within``, ``household``, ``flag`` (one vulnerability flag), ``residence_status``, ``q`` (search)."""

    within = django_filters.CharFilter(method=_within, label=_("within division (code)"))
    flag = django_filters.ChoiceFilter(
        choices=[(n, label) for n, label in VULNERABILITY_FLAGS], method="filter_flag", label=_("vulnerability flag")
    )
    residence_status = django_filters.ChoiceFilter(choices=ResidenceStatus.choices, label=_("residence status"))
    # A number, not a choice list: a choice list would enumerate every household in the district.
    household = django_filters.NumberFilter(field_name="household_id", label=_("household (number)"))
    q = django_filters.CharFilter(method="filter_q", label=_("search: name, pinyin initials, ID/phone last 4"))

    class Meta:
        model = Resident
        fields = ["within", "household", "flag", "residence_status", "q"]

    def filter_flag(self, queryset, name, value):
        return queryset.filter(**{value: True}) if value else queryset

    def filter_q(self, queryset, name, value):
        from lianfang.registry.selectors import search_residents  # noqa: PLC0415

        if not value:
            return queryset
        return queryset.filter(pk__in=search_residents(user=self.request.user, query=value).values("pk"))
