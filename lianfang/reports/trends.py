"""Trends over days (ECharts on the trends page): infections, areas by tier, round coverage, service
requests open and overdue, and the workforce deployed.

Each day's figure comes from the same selectors as the daily report (a day = Asia/Shanghai; the
state at its end, or now for today), so a point of a trend equals that day's report. The whole
series is cached until a write to the app it reads (lianfang.reports.cache).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import Division
from lianfang.reports import cache, days, sources
from lianfang.reports.models import ReportRuleSet
from lianfang.reports.sources import optional

MAX_DAYS = 120


def days_param(value: str | int | None, last: dt.date) -> int:
    """The number of days of the trends ending ``last``: ``value`` (a whole number from 2 to MAX_DAYS,
    as text from a page's query or a validated int from the API), or the report rule set's
    ``trend_days`` when empty. Raises ValidationError ``{"date": [...]}`` naming ``last`` when no
    report rule set was in force on it (ReportRuleSet.in_force: the trends of a day are read under its
    rule set, with or without ``days``), then ValueError naming a ``value`` that is not such a number."""
    rules = ReportRuleSet.in_force(last)
    if value is None or value == "":
        return rules.trend_days
    text = str(value)
    if not text.isdigit() or not 2 <= int(text) <= MAX_DAYS:
        raise ValueError(_("days %(value)s: a whole number from 2 to %(max)d") % {"value": text, "max": MAX_DAYS})
    return int(text)


def _infections(user, division: Division, dates: list[dt.date]) -> list[int] | None:
    infection = optional("lianfang.zones.models", "Infection")
    if infection is None:
        return None
    rows = dict(
        infection.objects.within(division.code)
        .visible_to(user)
        .filter(detected_on__gte=dates[0], detected_on__lte=dates[-1])
        .values_list("detected_on")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [rows.get(d, 0) for d in dates]


def _areas(user, division: Division, dates: list[dt.date]) -> dict | None:
    names = optional("lianfang.zones.models", "ControlArea", "RuleTier")
    if names is None:
        return None
    area, _tier = names
    inside = area.objects.filter(subtree_q("nodes__code", division.code)).values("pk")
    series: dict[str, list[int]] = {}
    tiers: dict[str, dict] = {}
    for index, day in enumerate(dates):
        rows = (
            area.objects.visible_to(user)
            .in_force(days.as_of(day))
            .filter(pk__in=inside)
            .values("tier__key", "tier__name", "tier__name_en", "tier__colour", "tier__rank")
            .annotate(n=Count("id"))
            .order_by()
        )
        for r in rows:
            key = r["tier__key"]
            tiers.setdefault(
                key,
                {
                    "name": r["tier__name"],
                    "name_en": r["tier__name_en"],
                    "colour": r["tier__colour"],
                    "rank": r["tier__rank"],
                },
            )
            series.setdefault(key, [0] * len(dates))[index] += r["n"]
    ordered = sorted(tiers, key=lambda k: tiers[k]["rank"])
    return {"tiers": [{"key": k, **tiers[k], "values": series[k]} for k in ordered]}


def _rounds(user, division: Division, dates: list[dt.date]) -> list[dict] | None:
    coverage = optional("lianfang.screening.selectors", "coverage")
    recent = optional("lianfang.screening.selectors", "recent_rounds")
    if coverage is None or recent is None:
        return None
    start, _end = days.bounds(dates[0])
    _s, end = days.bounds(dates[-1])
    rounds = [r for r in recent(user=user, code=division.code, n=50) if start <= r.opened_at < end]
    out = []
    for rnd in sorted(rounds, key=lambda r: r.opened_at):
        totals = sources.round_totals(user=user, rnd=rnd, within=division.code)
        out.append(
            {
                "id": rnd.pk,
                "name": rnd.name,
                "opened_on": timezone.localdate(rnd.opened_at).isoformat(),
                "expected": totals["counts"]["expected"],
                "sampled": totals["counts"]["sampled"],
                "missed": totals["counts"]["missed"],
                "percent": totals["percent"],
            }
        )
    return out


def _requests(user, division: Division, dates: list[dt.date]) -> dict | None:
    values = {"open": [], "overdue": []}
    for day in dates:
        try:
            state = sources.requests_state(user=user, code=division.code, day=day)
        except LookupError:
            return None
        values["open"].append(state["open"])
        values["overdue"].append(state["overdue"])
    return values


def _workforce(user, division: Division, dates: list[dt.date]) -> list[int] | None:
    sheet_fn = optional("lianfang.workforce.sheet", "workforce_sheet")
    if sheet_fn is None:
        return None
    return [sheet_fn(user=user, division=division, on=day).totals.counts["total"] for day in dates]


def build(*, user, division: Division, last: dt.date, n_days: int) -> dict:
    """The series of ``division`` for the ``n_days`` days ending ``last``, within ``user``'s scope:
    ``{"dates": [iso], "infections": [n] | None, "areas": {"tiers": [{key, name, name_en, colour,
    values}]} | None, "rounds": [{id, name, opened_on, expected, sampled, missed, percent}] | None,
    "requests": {"open": [n], "overdue": [n]} | None, "workforce": [n] | None}`` (None: the app is
    not available). Each series is cached on its own."""
    dates = days.span(last, n_days)
    code = division.code

    def part(name, sections, fn):
        return cache.cached(sections, ["trend", name, code, last, n_days], lambda: fn(user, division, dates), user=user)

    return {
        "dates": [d.isoformat() for d in dates],
        "infections": part("infections", ("zones",), _infections),
        "areas": part("areas", ("zones",), _areas),
        "rounds": part("rounds", ("screening", "registry"), _rounds),
        "requests": part("requests", ("assistance",), _requests),
        "workforce": part("workforce", ("workforce", "divisions"), _workforce),
    }


def chart_payload(data: dict, *, language: str) -> dict:
    """The trends as ECharts options (one per chart), labels in ``language``."""
    from django.utils import translation  # noqa: PLC0415

    with translation.override(language):
        dates = [d[5:] for d in data["dates"]]
        charts = {}
        if data["infections"] is not None:
            charts["infections"] = _line(dates, [(_("New infections"), data["infections"], "#c0392b")], bar=True)
        if data["areas"] is not None:
            charts["areas"] = _line(
                dates,
                [
                    (t["name_en"] if language == "en" else t["name"], t["values"], t["colour"])
                    for t in data["areas"]["tiers"]
                ],
                stack=True,
            )
        if data["rounds"] is not None:
            names = [r["name"] for r in data["rounds"]]
            charts["rounds"] = {
                "tooltip": {"trigger": "axis"},
                "legend": {},
                "grid": {"left": 50, "right": 50, "bottom": 30, "top": 40},
                "xAxis": {"type": "category", "data": names},
                "yAxis": [{"type": "value"}, {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}}],
                "series": [
                    {"name": _("Sampled"), "type": "bar", "stack": "p", "data": [r["sampled"] for r in data["rounds"]]},
                    {"name": _("Missed"), "type": "bar", "stack": "p", "data": [r["missed"] for r in data["rounds"]]},
                    {
                        "name": _("Coverage"),
                        "type": "line",
                        "yAxisIndex": 1,
                        "data": [r["percent"] for r in data["rounds"]],
                    },
                ],
            }
        if data["requests"] is not None:
            charts["requests"] = _line(
                dates,
                [
                    (_("Open requests"), data["requests"]["open"], "#2980b9"),
                    (_("Overdue requests"), data["requests"]["overdue"], "#e67e22"),
                ],
            )
        if data["workforce"] is not None:
            charts["workforce"] = _line(dates, [(_("People deployed"), data["workforce"], "#27ae60")])
        return charts


def _line(dates, series, *, bar: bool = False, stack: bool = False) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "grid": {"left": 50, "right": 20, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": dates},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": name,
                "type": "bar" if bar or stack else "line",
                "data": values,
                "itemStyle": {"color": colour} if colour else {},
                **({"stack": "total"} if stack else {}),
            }
            for name, values, colour in series
        ],
    }
