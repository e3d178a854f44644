"""Drill-down links: every number of the overview and the daily report leads to its records.

Where the owning app has a list page it is used (zones, workforce, screening, assistance); otherwise
the records page of this app lists the rows of the named data source with the same filters
(``reports:records``). A link whose page does not exist (an app still being built) is None and the
number is shown without a link.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


def url(name: str, *args, **query) -> str | None:
    """``reverse(name, args)`` plus the query string of ``query`` (lists repeat the key); None when the
    name does not resolve."""
    try:
        base = reverse(name, args=args)
    except NoReverseMatch:
        return None
    pairs = [(k, v) for k, v in query.items() if v not in (None, "", [])]
    return f"{base}?{urlencode(pairs, doseq=True)}" if pairs else base


def records(source: str, code: str, day: dt.date, **filters) -> str | None:
    """The records page of data source ``source`` for ``code`` as of ``day`` with ``filters``."""
    return url("reports:records", source, code=code, date=day.isoformat(), **filters)


class Links:
    """The drill-down URLs for division ``code`` as of ``day`` (``today``: whether ``day`` is today,
    when the owning apps' live lists are right)."""

    def __init__(self, code: str, day: dt.date, *, today: bool, population_code: str | None = ""):
        self.code, self.day, self.today = code, day, today
        # the division page behind the population figure: ``code`` unless the reader sees only part of
        # it (their own compound's page), None when they see no division page in it at all
        self.population_code = code if population_code == "" else population_code

    # registry, zones
    def population(self):
        return url("divisions:detail", self.population_code) if self.population_code else None

    def tier(self, key: str):
        return url("zones:index", tier=key, within=self.code, active_on=self.day.isoformat())

    def tier_population(self):
        return url("zones:tiers", within=self.code, day=self.day.isoformat())

    def areas(self):
        return records("control_areas", self.code, self.day)

    def area(self, pk: int):
        return url("zones:area", pk)

    def infections(self, *, on_day: bool = False, since: dt.date | None = None):
        after = self.day.isoformat() if on_day else (since.isoformat() if since else None)
        return url("zones:infections", within=self.code, detected_after=after, detected_before=self.day.isoformat())

    def map_data(self):
        return url("zones:map_data", day=self.day.isoformat())

    # workforce
    def workforce(self):
        return url("workforce:sheet", code=self.code, on=self.day.isoformat())

    # screening
    def round(self, pk: int):
        return url("screening:round", pk, within=self.code)

    def round_coverage(self, pk: int, within: str | None = None):
        return url("screening:coverage", pk, within=within or self.code)

    def pools(self, *, overdue: bool = False):
        if overdue:
            return records("positive_pools", self.code, self.day, overdue="true")
        return records("positive_pools", self.code, self.day, state=["missing", "open"])

    def pools_all(self):
        return records("positive_pools", self.code, self.day)

    def follow_up(self, pk: int | None):
        return url("screening:follow_up", pk) if pk else None

    # assistance
    def requests(self, *, overdue: bool = False, category: str = ""):
        if self.today:
            return url(
                "assistance:tickets",
                within=self.code,
                open="true",
                overdue="true" if overdue else None,
                category=category,
            )
        return records(
            "service_requests", self.code, self.day, open="true", overdue="true" if overdue else None, category=category
        )

    def requests_received(self):
        return records("service_requests", self.code, self.day, received_on_day="true")

    # fieldops
    def gates(self, *, uncovered: bool = True):
        return records("gates", self.code, self.day, uncovered="true" if uncovered else None)

    def screened(self, category: str = ""):
        return records("screened_people", self.code, self.day, category=category)
