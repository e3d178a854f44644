"""One FilterSet per model, shared by pages, API and exports."""

from __future__ import annotations

import django_filters
import django_filters.fields
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lianfang.core import idnumber, pii
from lianfang.core.filters import (
    CODE_VALIDATOR,
    FilterSet,
    GivesFieldTheUser,
    ScopedIdFilter,
    ScopedWithinFilter,
    SearchFilter,
    normalize_code,
)
from lianfang.core.scoping import reaches
from lianfang.divisions.models import Division, Level
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


class DivisionCodeField(django_filters.fields.ModelChoiceField):
    """A division code (1-20 digits) naming a division of the field's queryset (every division of one
    level) that holds something ``user`` may see (core.scoping.reaches); anything else is the form
    error “<value>” is not the code of a <level> you may see. ``user`` is set per request by
    :class:`DivisionCodeFilter`."""

    widget = forms.TextInput
    user = None

    def __init__(self, *args, level_name="", **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages["invalid_choice"] = gettext("“%(value)s” is not the code of a %(level)s you may see") % {
            "value": "%(value)s",
            "level": level_name,
        }

    def to_python(self, value):
        text = normalize_code(str(value or ""))  # full-width digits read as digits
        if text:
            CODE_VALIDATOR(text)
        division = super().to_python(text)
        if division is not None and not reaches(self.user, division.code):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text})
        return division


class DivisionCodeFilter(GivesFieldTheUser, django_filters.ModelChoiceFilter):
    """``<field>=<division code>`` on households (``community`` or ``compound``), accepting only a
    division of ``level`` that holds something the user may see (core.scoping.reaches: in their
    scope, above it, or holding one of a representative's households); another community's code or
    an unknown one is a 400 naming the parameter and the code. Results for a code in scope are those
    of ``<field>__code=<code>``, still ``visible_to`` the user."""

    field_class = DivisionCodeField

    def __init__(self, *args, level: int, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("level_name", Level(level).label)  # what the error message calls it
        super().__init__(*args, queryset=Division.objects.filter(level=level), **kwargs)
        self.level = level

    def get_queryset(self, request):
        # Not the FilterSet base's Division.visible_to: the community of a representative's households
        # is not a division they see, yet naming it keeps those households (the field checks reaches).
        return Division.objects.filter(level=self.level)


class HouseholdFilterSet(FilterSet):
    """``within`` (any ancestor division code), ``community``, ``compound``: codes of a division that
    holds something the user may see (core.scoping.reaches); any other code is a 400 naming it."""

    within = ScopedWithinFilter()
    community = DivisionCodeFilter(level=Level.COMMUNITY, level_name=_("community"), label=_("community code"))
    compound = DivisionCodeFilter(level=Level.COMPOUND, level_name=_("compound"), label=_("compound code"))

    class Meta:
        model = Household
        fields = ["within", "community", "compound"]


class ResidentFilterSet(FilterSet):
    """``within`` (a division the user reaches, else a 400 naming it), ``household``, ``flag`` (one
    vulnerability flag), ``residence_status``, ``q`` or ``search`` (search_residents; at most
    core.filters.SEARCH_MAX_LENGTH characters, else a 400 naming it), ``id_number``
    and ``phone`` (whole numbers, exact, by keyed hash; a malformed
    one is a form error: 400 in the API).

    Each filter's ``label`` is what the resident list page shows; its ``help_text`` is the API
    parameter's description in the schema (drf-spectacular prefers it to the label). The page uses
    :class:`ResidentPageFilterSet`, which has user-facing help instead and no ``search`` alias."""

    within = ScopedWithinFilter(
        label=_("Area code"),
        help_text=_("division code (district, street, community, compound, building or unit): residents inside it"),
    )
    flag = django_filters.ChoiceFilter(
        choices=[(n, label) for n, label in VULNERABILITY_FLAGS],
        method="filter_flag",
        label=_("Vulnerable group"),
        help_text=_("vulnerability flag"),
    )
    residence_status = django_filters.ChoiceFilter(
        choices=ResidenceStatus.choices, label=_("Residence status"), help_text=_("residence status")
    )
    # A number, not a choice list: a choice list would enumerate every household in the district.
    household = ScopedIdFilter(
        queryset=Household.objects.all(), label=_("Household number"), help_text=_("household (number)")
    )
    # core.filters.SearchFilter: a text over 100 characters is a 400 naming the parameter and the limit
    # (new-user trial 14: 60,000 characters made SQLite's LIKE a 500, "LIKE or GLOB pattern too complex")
    q = SearchFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("search: name, pinyin initials, ID/phone last 4"),
    )
    search = SearchFilter(
        method="filter_q", label=_("Search"), help_text=_("search: name, pinyin initials, ID/phone last 4 (same as q)")
    )
    id_number = django_filters.CharFilter(
        method="filter_id_number",
        validators=[_valid_id_number],
        label=_("ID number"),
        help_text=_("full resident ID number (exact, matched by its keyed hash)"),
    )
    phone = django_filters.CharFilter(
        method="filter_phone",
        validators=[_valid_phone],
        label=_("Phone number"),
        help_text=_("full mobile or landline number (exact, matched by its keyed hash)"),
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


# What the resident list page says under each filter (the API's descriptions are for developers).
PAGE_HELP = {
    "within": _("The code of a street, community or compound, e.g. 620103001001: only the people living there."),
    "household": _("The number at the end of a household page's address (…/households/123/)."),
    "q": _("A name, its pinyin initials (wjg for 王建国) or the last 4 digits of an ID or phone number."),
    "id_number": _("The whole 18-character ID number: finds exactly that person."),
    "phone": _("The whole mobile or landline number: finds exactly the people with that number."),
}


class ResidentPageFilterSet(ResidentFilterSet):
    """The resident list page's filters: :class:`ResidentFilterSet` with :data:`PAGE_HELP` under the
    fields and without ``search`` (the API keeps that alias of ``q``; the page shows one search box, and
    a ``search`` parameter on the page is ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.filters["search"]
        for name, item in self.filters.items():
            item.extra["help_text"] = PAGE_HELP.get(name, "")
