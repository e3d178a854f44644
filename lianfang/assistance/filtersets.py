"""One FilterSet per listed model, shared by the pages, the API and the exports; and
:class:`YesNoFilter`, a yes/no filter that refuses anything else (screening's API uses it too)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.assistance.models import OPEN_STATUSES, Category, Channel, Priority, ServiceRequest, Status
from lianfang.core.filters import FilterSet, WithinFilter

YES = frozenset({"true", "1", "yes", "on"})
NO = frozenset({"false", "0", "no", "off"})
ANY = frozenset({"", "unknown"})  # absent, or the select's "Unknown" option: no filter


class YesNoWidget(forms.NullBooleanSelect):
    """The yes/no select (Unknown / Yes / No) that hands the typed text to the field as it is
    (NullBooleanSelect and django-filter's BooleanWidget turn any text they do not know into "no
    filter", so ``?overdue=zz`` listed everything)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class YesNoField(forms.NullBooleanField):
    """A yes/no query value: ``true``/``1``/``yes``/``on`` → True, ``false``/``0``/``no``/``off`` →
    False (any case), absent, empty or ``unknown`` → None (no filter). Anything else is the error
    “<value>” is not yes or no (…), a 400 naming the parameter and the value."""

    widget = YesNoWidget
    default_error_messages = {"invalid": _("“%(value)s” is not yes or no (true, false, 1 or 0)")}

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ANY:
            return None
        if text in YES or text in NO:
            return text in YES
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"value": str(value)[:40]})

    def validate(self, value):
        """None (no filter) is allowed."""


class YesNoFilter(django_filters.BooleanFilter):
    """A BooleanFilter validated by :class:`YesNoField`: a value other than yes/no/empty makes the
    FilterSet invalid (pages: ``bad_query_response``; API: 400 ``{"<parameter>": ["…"]}``)."""

    field_class = YesNoField


class ServiceRequestFilterSet(FilterSet):
    """``within`` (division code), ``status``, ``open`` (new/accepted/in progress), ``overdue`` (open and
    past a deadline now), ``category``, ``priority``, ``channel`` (any intake through it), ``mine``
    (assigned to or offered to the caller), ``household`` (id), ``number`` (exact). ``open``,
    ``overdue`` and ``mine`` take yes/no (:class:`YesNoFilter`); a bad value of any filter makes the
    FilterSet invalid, naming the parameter and the value."""

    within = WithinFilter()
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("status"))
    open = YesNoFilter(method="filter_open", label=_("only open requests"))
    overdue = YesNoFilter(method="filter_overdue", label=_("overdue"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("category"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("priority"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, method="filter_channel", label=_("channel"))
    mine = YesNoFilter(method="filter_mine", label=_("mine"))
    number = django_filters.CharFilter(field_name="number", label=_("number"))

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
