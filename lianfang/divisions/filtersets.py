"""Division filters shared by the browser and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import FilterSet, WithinFilter
from lianfang.divisions.models import Division, Kind, Level


class DivisionFilterSet(FilterSet):
    """``parent`` (code), ``level`` (1-8), ``kind``, ``within`` (any ancestor code, inclusive)."""

    parent = django_filters.CharFilter(field_name="parent__code", label=_("parent code"))
    level = django_filters.ChoiceFilter(choices=Level.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    within = WithinFilter()

    class Meta:
        model = Division
        fields = ["parent", "level", "kind", "within"]
