"""Division filters shared by the browser and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from lianfang.divisions.models import Division, Kind, Level
from lianfang.registry.filtersets import _within


class DivisionFilterSet(django_filters.FilterSet):
    """``parent`` (code), ``level`` (1-8), ``kind``, ``within`` (any ancestor code, inclusive)."""

    parent = django_filters.CharFilter(field_name="parent__code", label=_("parent code"))
    level = django_filters.ChoiceFilter(choices=Level.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    within = django_filters.CharFilter(method=_within, label=_("within division (code)"))

    class Meta:
        model = Division
        fields = ["parent", "level", "kind", "within"]
