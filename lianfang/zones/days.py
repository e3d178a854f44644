"""Days that the time arithmetic of zones and fieldops can compute with.

A day parameter or form/serializer field is turned into instants (``selectors.instant``: the last
microsecond of the day, i.e. midnight of the next day minus 1 µs, Asia/Shanghai) and shifted by
rule periods (a 14-day monitoring, a year of history), so a calendar-valid date at the very edge of
Python's range (``9999-12-31``, ``0001-01-01``) overflowed into a 500 ``OverflowError``. Every day
entered in these apps is checked against :data:`FIRST_DAY` … :data:`LAST_DAY` (a year of margin on
either side of Python's ``date.min``/``date.max``) and refused with a message naming the value:
“9999-12-31” 超出可用的日期范围（0002-01-01 至 9998-12-31）.

- :func:`validate_usable_day`: a Django validator (forms and DRF serializer fields).
- :class:`UsableDayField` / :class:`UsableDayFilter`: core.filters' DayField / DayFilter plus it.
- :func:`query_day`: core.filters.query_day plus it (raises BadQuery naming the parameter).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from lianfang.core import filters as core_filters

FIRST_DAY = dt.date(2, 1, 1)
"""The earliest day accepted (a year after ``date.min``, so that ``day − 1 year`` still computes)."""
LAST_DAY = dt.date(9998, 12, 31)
"""The latest day accepted (a year before ``date.max``, so that ``day + 1 year`` still computes)."""

OUT_OF_RANGE = gettext_lazy("“%(value)s” is outside the usable date range (%(first)s to %(last)s)")


def validate_usable_day(value: dt.date | None) -> None:
    """Raise ValidationError (code ``out_of_range``) naming ``value`` when it lies outside
    FIRST_DAY … LAST_DAY; None passes (the field's ``required`` decides)."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            OUT_OF_RANGE,
            code="out_of_range",
            params={"value": day.isoformat(), "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )


class UsableDayField(core_filters.DayField):
    """A DayField (error naming the value) that also refuses days outside FIRST_DAY … LAST_DAY."""

    default_validators = [validate_usable_day]


class UsableDayFilter(core_filters.DayFilter):
    """A DayFilter validated by :class:`UsableDayField` (an unusable day is a 400 naming it)."""

    field_class = UsableDayField


def query_day(params, name: str = "day", default: dt.date | None = None) -> dt.date | None:
    """core.filters.query_day (``default`` when absent; BadQuery naming ``name`` and the value when
    not a date) that also raises BadQuery when the day lies outside FIRST_DAY … LAST_DAY."""
    day = core_filters.query_day(params, name, default)
    try:
        validate_usable_day(day)
    except ValidationError as exc:
        raise core_filters.BadQuery({name: [str(m) for m in exc.messages]}) from None
    return day


__all__ = ["FIRST_DAY", "LAST_DAY", "UsableDayField", "UsableDayFilter", "query_day", "validate_usable_day"]
