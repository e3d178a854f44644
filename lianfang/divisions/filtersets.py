"""Division filters shared by the browser and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import CODE_VALIDATOR, FilterSet, GivesFieldTheUser, ScopedWithinField, ScopedWithinFilter
from lianfang.divisions.models import Division, Kind, Level


class ParentFilter(GivesFieldTheUser, django_filters.CharFilter):
    """``parent``: the code of a division the user may see (core.filters.ScopedWithinField): a
    malformed code (``abc``) or one unknown or out of scope is a 400 naming the value."""

    field_class = ScopedWithinField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [CODE_VALIDATOR])
        super().__init__(*args, **kwargs)


class DivisionFilterSet(FilterSet):
    """``parent`` (code), ``level`` (1-8), ``kind``, ``within`` (any ancestor code, inclusive).
    ``parent`` and ``within`` must be the code of a division the user may see: anything else is a
    400 naming the value (never an empty list)."""

    parent = ParentFilter(field_name="parent__code", label=_("parent code"))
    level = django_filters.ChoiceFilter(choices=Level.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    within = ScopedWithinFilter()

    class Meta:
        model = Division
        fields = ["parent", "level", "kind", "within"]
