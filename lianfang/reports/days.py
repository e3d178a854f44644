"""Days of the report: a day is a calendar day in the district's time zone (settings.TIME_ZONE,
Asia/Shanghai); instants are aware datetimes (stored in UTC)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.filters import future_day_error, normalize_text, validate_usable_day


def today() -> dt.date:
    """Today in the district's time zone."""
    return timezone.localdate()


def start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` (Asia/Shanghai), aware."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of ``day`` as aware datetimes (end = next midnight)."""
    return start_of(day), start_of(day + dt.timedelta(days=1))


def end_of(day: dt.date) -> dt.datetime:
    """The last microsecond of ``day``: the instant "as of ``day``" means (the same as zones.selectors.instant)."""
    return start_of(day + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def as_of(day: dt.date) -> dt.datetime:
    """The instant a report "as of ``day``" is computed at: now for today (the day is not over), the end
    of the day for a past day. A future day is refused (ValueError)."""
    now = timezone.now()
    current = timezone.localdate(now)
    if error := future_day_error(day, today=current):
        raise ValueError(" ".join(error.messages))
    return now if day == current else end_of(day)


def parse(value: str | None, *, default: dt.date | None = None) -> dt.date:
    """``YYYY-MM-DD`` (read after Unicode NFKC, core.filters.normalize_text: full-width digits and
    dashes, ``２０２６－１２－０１``, are read) → date; empty → ``default`` (today when None).
    Raises ValueError naming the value when it is not a date or lies outside core's usable range 0002-01-01 … 9998-12-31
    (core.filters.validate_usable_day: the report's day arithmetic would overflow)."""
    text = normalize_text(value)
    if not text:
        return default or today()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": value}) from exc
    try:
        validate_usable_day(day)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    return day


def span(last: dt.date, days: int) -> list[dt.date]:
    """The ``days`` days ending with ``last``, oldest first."""
    return [last - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
