"""One FilterSet per model, shared by pages, API and exports."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianfang.core import idnumber, pii
from lianfang.core.filters import FilterSet, IdFilter, WithinFilter
from lianfang.registry.models import VULNERABILITY_FLAGS, Household, ResidenceStatus, Resident


def _valid_id_number(value: str) -> None:
    """Form validator: ``value`` is a resident ID number (GB 11643-1999); ValidationError naming why."""
    try:
        idnumber.parse(value)
    except idnumber.IdNumberError as exc:
        raise ValidationError(str(exc)) from exc


def _valid_phone(value: str) -> None:
    """Form validator: ``value`` is a Chinese phone number (pii.normalize_phone); ValidationError naming why."""
    try:
        pii.normalize_phone(value)
    except pii.PhoneError as exc:
        raise ValidationError(str(exc)) from exc


class HouseholdFilterSet(FilterSet):
    """``within`` (any ancestor division code), ``community``, ``compound`` (codes)."""

    within = WithinFilter()
    community = django_filters.CharFilter(field_name="community__code", label=_("community code"))
    compound = django_filters.CharFilter(field_name="compound__code", label=_("compound code"))

    class Meta:
        model = Household
        fields = ["within", "community", "compound"]


class ResidentFilterSet(FilterSet):
    """``within``, ``household``, ``flag`` (one vulnerability flag), ``residence_status``, ``q`` or ``search``
    (search_residents), ``id_number`` and ``phone`` (whole numbers, exact, by keyed hash; a malformed
    one is a form error: 400 in the API)."""

    within = WithinFilter()
    flag = django_filters.ChoiceFilter(
        choices=[(n, label) for n, label in VULNERABILITY_FLAGS], method="filter_flag", label=_("vulnerability flag")
    )
    residence_status = django_filters.ChoiceFilter(choices=ResidenceStatus.choices, label=_("residence status"))
    # A number, not a choice list: a choice list would enumerate every household in the district.
    household = IdFilter(field_name="household_id", label=_("household (number)"))
    q = django_filters.CharFilter(method="filter_q", label=_("search: name, pinyin initials, ID/phone last 4"))
    search = django_filters.CharFilter(
        method="filter_q", label=_("search: name, pinyin initials, ID/phone last 4 (same as q)")
    )
    id_number = django_filters.CharFilter(
        method="filter_id_number",
        validators=[_valid_id_number],
        label=_("full resident ID number (exact, matched by its keyed hash)"),
    )
    phone = django_filters.CharFilter(
        method="filter_phone",
        validators=[_valid_phone],
        label=_("full mobile or landline number (exact, matched by its keyed hash)"),
    )

    class Meta:
        model = Resident
        fields = ["within", "household", "flag", "residence_status", "q", "search", "id_number", "phone"]

    def filter_id_number(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(id_hash=pii.lookup_hash("id", idnumber.parse(value).number))

    def filter_phone(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(phone_hash=pii.lookup_hash("phone", pii.normalize_phone(value)))

    def filter_flag(self, queryset, name, value):
        return queryset.filter(**{value: True}) if value else queryset

    def filter_q(self, queryset, name, value):
        from lianfang.registry.selectors import search_residents  # noqa: PLC0415

        if not value:
            return queryset
        return queryset.filter(pk__in=search_residents(user=self.request.user, query=value).values("pk"))
