"""The command overview (指挥总览): the true state of a district, street/town or community on one page.

It is the daily report's sections for today (lianfang.reports.daily, cached until a write) plus the
lists the command centre acts on: positive pools awaiting follow-up (overdue ones first), the
current round's missed people by community, and gate duty. Every number carries the drill-down
to its records (lianfang.reports.links, added by the page and the API).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lianfang.divisions.models import Division
from lianfang.reports import cache, daily, days, sources

POOL_LIST_LIMIT = 10


def section_round(*, user, division: Division, day) -> dict:
    """The current round (the latest that ran on ``day``) with its coverage under ``division`` and the
    communities (or compounds) with the most missed people: ``{"available", "round": {...} | None,
    "places": [{code, name, expected, sampled, missed, percent, counts}]}`` (screening.selectors.coverage;
    ``counts`` has every key of its COVERAGE_COUNTS, the round too)."""

    def compute():
        coverage = sources.optional("lianfang.screening.selectors", "coverage")
        child_level = sources.optional("lianfang.screening.selectors", "child_level")
        try:
            rnd = sources.current_round(user=user, code=division.code, day=day)
        except LookupError:
            return {"available": False, "round": None, "places": []}
        if coverage is None or child_level is None:
            return {"available": False, "round": None, "places": []}
        if rnd is None:
            return {"available": True, "round": None, "places": []}
        rows, totals = sources.round_coverage(user=user, rnd=rnd, within=division.code, by=child_level(division.code))
        places = sorted(rows, key=lambda r: (-r["counts"]["missed"], r["code"]))
        return {
            "available": True,
            "round": {
                "id": rnd.pk,
                "name": rnd.name,
                "status": rnd.status,
                "deadline": timezone.localtime(rnd.deadline).isoformat(),
                **{k: int(v) for k, v in totals["counts"].items()},
                "percent": totals["percent"],
            },
            "places": [
                {
                    "code": r["code"],
                    "name": r["label"],
                    "expected": r["counts"]["expected"],
                    "sampled": r["counts"]["sampled"],
                    "missed": r["counts"]["missed"],
                    "percent": r["percent"],
                    "counts": {k: int(v) for k, v in r["counts"].items()},
                }
                for r in places
            ],
        }

    return cache.cached(("screening", "registry"), ["round", division.code, day], compute, user=user)


def section_pools(*, user, division: Division, day) -> dict:
    """Positive pools awaiting follow-up: the counts (sources.pools_summary) and the first
    ``POOL_LIST_LIMIT`` pools whose follow-up is missing or open, overdue ones first."""
    source = sources.get("positive_pools")
    if not source.available():
        return {"available": False, "counts": {}, "rows": []}
    rows = source.rows(user=user, division=division, day=day, filters={"state": ["missing", "open"]})
    counts = cache.cached(
        ("screening",),
        ["pools", division.code, day],
        lambda: sources.pools_summary(user=user, code=division.code, day=day),
        user=user,
    )
    return {"available": True, "counts": counts, "rows": rows[:POOL_LIST_LIMIT], "awaiting": len(rows)}


def build(*, user, division: Division) -> dict:
    """The overview of ``division`` now (today in Asia/Shanghai), within ``user``'s scope:

    ``{"division", "date", "population", "tiers", "areas", "infections", "round", "pools",
    "requests", "gates", "workforce": {available, totals, streets count}}``. Raises ValueError for a
    division below community level."""
    daily.check_division(division)
    day = days.today()
    tiers = daily.section_tiers(user=user, division=division, day=day)
    workforce = daily.section_workforce(user=user, division=division, day=day)
    return {
        "division": {"code": division.code, "name": division.short_name, "level": division.level},
        "date": day.isoformat(),
        "population": tiers["population"],
        "tiers": tiers,
        "areas": daily.section_areas(user=user, division=division, day=day),
        "infections": daily.section_infections(user=user, division=division, day=day),
        "round": section_round(user=user, division=division, day=day),
        "pools": section_pools(user=user, division=division, day=day),
        "requests": daily.section_requests(user=user, division=division, day=day),
        "gates": daily.section_gates(user=user, division=division, day=day),
        "workforce": {
            "available": workforce.get("available", False),
            "totals": workforce.get("totals", {}),
            "columns": workforce.get("columns", []),
        },
    }


def build_tolerant(*, user, division: Division) -> tuple[dict, dt.datetime]:
    """:func:`build` allowing sections up to ``cache.stale_seconds()`` old after a write (the command
    centre's page under a stream of writes); returns ``(overview, time of its oldest figure)``."""
    with cache.tolerate(cache.stale_seconds()) as seen:
        data = build(user=user, division=division)
    oldest = dt.datetime.fromtimestamp(min(seen), tz=dt.UTC) if seen else timezone.now()
    return data, oldest
