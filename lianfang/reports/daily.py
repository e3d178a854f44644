"""The daily report (日报) of a district, street/town or community/village as of a day.

One source of truth: every section calls the selectors of the app that owns the data (registry,
zones, workforce, screening, assistance, fieldops) and is cached until a write to that app
(lianfang.reports.cache). :func:`build` returns the whole report as a JSON-ready dict, which is also
what closing a day freezes (``DailyReport.snapshot``) and what every format (HTML, XLSX, PDF, text,
JSON) is rendered from (lianfang.reports.render).

"As of day D" means the end of D in Asia/Shanghai (now, when D is today). Sections whose app is not
installed yet carry ``"available": false`` and the page says "not available".

The paragraph follows the Qilihe district's report of 27 March 2022 (domain.md §6): the workforce
sentence of the workforce app, then control areas, infections, testing, requests and personnel
screening, in zh-Hans and in English.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.divisions.models import Division, Level
from lianfang.reports import cache, days, sources
from lianfang.reports.sources import optional

LANGUAGES = ("zh-hans", "en")
REPORT_VERSION = 1


def both(text) -> dict[str, str]:
    """A lazy translation in both report languages: ``{"zh-hans": ..., "en": ...}``."""
    result = {}
    for language in LANGUAGES:
        with translation.override(language):
            result[language] = str(text)
    return result


def check_division(division: Division) -> None:
    """Reports are for a district, a street/town or a community/village; ValueError otherwise."""
    if division.level < Level.DISTRICT or division.level > Level.COMMUNITY:
        raise ValueError(
            f"a report is for a district, street/town or community/village, not {division.short_name} ({division.code})"
        )


# ------------------------------------------------------------------------------------------ sections


def section_tiers(*, user, division: Division, day: dt.date) -> dict:
    """Households and residents by tier under ``division`` as of ``day`` (zones.selectors.counts_by_tier),
    per child division, with the number of areas in force per tier (the control_areas source):
    ``{"available", "tiers": [{key, rank, name, name_en, colour, areas, households, residents}],
    "outside": {households, residents}, "population": {households, residents}, "children": [{code,
    name, cells: {tier key or "": {households, residents}}}]}``."""

    def compute():
        counts_by_tier = optional("lianfang.zones.selectors", "counts_by_tier")
        if counts_by_tier is None:
            from lianfang.registry.selectors import counts_by_child  # noqa: PLC0415

            base = counts_by_child(user=user, parent_code=division.code, child_code_length=len(division.code))
            cell = base.get(division.code, {"households": 0, "residents": 0})
            population = {"households": cell["households"], "residents": cell["residents"]}
            return {"available": False, "tiers": [], "outside": population, "population": population, "children": []}
        table = sources.tier_table(user=user, division=division, day=day)
        by_id = {t["id"]: t for t in table["tiers"]}
        areas = sources.get("control_areas").rows(user=user, division=division, day=day)
        area_counts: dict[str, int] = {}
        for row in areas:
            area_counts[row["tier"]] = area_counts.get(row["tier"], 0) + 1
        tiers = []
        for tier in table["tiers"]:
            cell = table["totals"].get(tier["id"], {"households": 0, "residents": 0})
            tiers.append(
                {
                    **{k: tier[k] for k in ("key", "rank", "name", "name_en", "colour")},
                    "areas": area_counts.get(tier["key"], 0),
                    "households": cell["households"],
                    "residents": cell["residents"],
                }
            )
        known_keys = {t["key"] for t in tiers}
        for row in areas:  # an area in force whose population is entirely under a stricter tier
            if row["tier"] not in known_keys:
                known_keys.add(row["tier"])
                tiers.append(
                    {
                        "key": row["tier"],
                        "rank": row["rank"],
                        "name": row["tier_name"],
                        "name_en": row["tier_name_en"],
                        "colour": row["colour"],
                        "areas": area_counts[row["tier"]],
                        "households": 0,
                        "residents": 0,
                    }
                )
        tiers.sort(key=lambda t: t["rank"])
        totals = table["totals"]
        outside = totals.get(None, {"households": 0, "residents": 0})
        population = {
            "households": sum(c["households"] for c in totals.values()),
            "residents": sum(c["residents"] for c in totals.values()),
        }
        children = [
            {
                "code": row["code"],
                "name": row["name"],
                "cells": {
                    (by_id[tid]["key"] if tid in by_id else ""): {
                        "households": c["households"],
                        "residents": c["residents"],
                    }
                    for tid, c in row["cells"].items()
                },
            }
            for row in table["rows"]
        ]
        return {
            "available": True,
            "tiers": tiers,
            "outside": {"households": outside["households"], "residents": outside["residents"]},
            "population": population,
            "children": children,
        }

    return cache.cached(("zones", "registry", "divisions"), ["tiers", division.code, day], compute, user=user)


def section_areas(*, user, division: Division, day: dt.date) -> dict:
    """Control areas in force at the end of ``day`` (the control_areas source): ``{"available", "rows"}``."""
    source = sources.get("control_areas")
    if not source.available():
        return {"available": False, "rows": []}
    return {"available": True, "rows": source.rows(user=user, division=division, day=day)}


def section_infections(*, user, division: Division, day: dt.date) -> dict:
    """Infections recorded under ``division``: ``{"available", "on_day", "total", "last_7_days"}``
    (by ``detected_on``, zones.Infection, within ``user``'s scope)."""

    def compute():
        infection = optional("lianfang.zones.models", "Infection")
        if infection is None:
            return {"available": False, "on_day": 0, "total": 0, "last_7_days": 0}
        agg = (
            infection.objects.within(division.code)
            .visible_to(user)
            .filter(detected_on__lte=day)
            .aggregate(
                total=Count("id"),
                on_day=Count("id", filter=Q(detected_on=day)),
                last_7_days=Count("id", filter=Q(detected_on__gt=day - dt.timedelta(days=7))),
            )
        )
        return {"available": True, **{k: int(v or 0) for k, v in agg.items()}}

    return cache.cached(("zones",), ["infections", division.code, day], compute, user=user)


def section_workforce(*, user, division: Division, day: dt.date) -> dict:
    """The workforce app's daily sheet (``WorkforceSheet.as_dict()``) with ``"available"``; never recounted."""

    def compute():
        sheet_fn = optional("lianfang.workforce.sheet", "workforce_sheet")
        if sheet_fn is None:
            return {"available": False}
        sheet = sheet_fn(user=user, division=division, on=day)
        return {"available": True, **sheet.as_dict()}

    return cache.cached(("workforce", "divisions"), ["workforce", division.code, day], compute, user=user)


def section_testing(*, user, division: Division, day: dt.date) -> dict:
    """Testing rounds that ran on ``day`` with their coverage under ``division`` (screening.selectors.
    coverage: expected, sampled, exempt, missed, home visits open, pending, positive, negative,
    percent) and the positive pools (``pools``: on the day, in all, open, overdue, missing)."""

    def compute():
        try:
            rounds = sources.rounds_on(user=user, code=division.code, day=day, limit=3)
        except LookupError:
            rounds = None
        if optional("lianfang.screening.selectors", "coverage") is None or rounds is None:
            return {"available": False, "rounds": [], "pools": {}}
        out = []
        for rnd in rounds:
            totals = sources.round_totals(user=user, rnd=rnd, within=division.code)
            out.append(
                {
                    "id": rnd.pk,
                    "name": rnd.name,
                    "status": rnd.status,
                    "opened_at": timezone.localtime(rnd.opened_at).isoformat(),
                    "deadline": timezone.localtime(rnd.deadline).isoformat(),
                    "closed_at": timezone.localtime(rnd.closed_at).isoformat() if rnd.closed_at else None,
                    **{k: int(v) for k, v in totals["counts"].items()},
                    "percent": totals["percent"],
                }
            )
        try:
            pools = sources.pools_summary(user=user, code=division.code, day=day)
        except LookupError:
            pools = {}
        return {"available": True, "rounds": out, "pools": pools}

    return cache.cached(("screening", "registry"), ["testing", division.code, day], compute, user=user)


def section_requests(*, user, division: Division, day: dt.date) -> dict:
    """Service requests under ``division``: received, fulfilled and closed on ``day``; open and overdue
    as of then (sources.requests_state), and per category ``[{key, label, open, overdue, received}]``."""

    def compute():
        model = optional("lianfang.assistance.models", "ServiceRequest")
        categories = optional("lianfang.assistance.models", "Category")
        try:
            state = sources.requests_state(user=user, code=division.code, day=day)
        except LookupError:
            state = None
        if model is None or state is None or categories is None:
            return {"available": False}
        start, end = days.bounds(day)
        qs = model.objects.within(division.code).visible_to(user)
        in_day = {"received_at__gte": start, "received_at__lt": end}
        agg = qs.aggregate(
            received=Count("id", filter=Q(**in_day)),
            fulfilled=Count("id", filter=Q(fulfilled_at__gte=start, fulfilled_at__lt=end)),
            closed=Count("id", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        )
        received = dict(qs.filter(**in_day).values_list("category").annotate(n=Count("id")).order_by())
        by_category = []
        for key, label in categories.choices:
            n_open, n_late = state["by_category"].get(key, (0, 0))
            by_category.append(
                {"key": key, "label": both(label), "open": n_open, "overdue": n_late, "received": received.get(key, 0)}
            )
        return {
            "available": True,
            "open": state["open"],
            "overdue": state["overdue"],
            **{k: int(v or 0) for k, v in agg.items()},
            "by_category": by_category,
        }

    return cache.cached(("assistance",), ["requests", division.code, day], compute, user=user)


ISOLATION_STATUSES = ("centralized", "home_isolation")


def section_screening(*, user, division: Division, day: dt.date) -> dict:
    """Personnel screening (人员摸排) under ``division``: per category of the fieldops app, the people
    known by the end of ``day``, found on the day, in isolation (centralized or at home), under home
    monitoring, and awaiting verification of their location."""

    def compute():
        names = optional("lianfang.fieldops.models", "ScreenedPerson", "PersonCategory")
        if names is None:
            return {"available": False, "categories": []}
        model, categories = names
        start, end = days.bounds(day)
        rows = {
            r["category"]: r
            for r in model.objects.within(division.code)
            .visible_to(user)
            .filter(created_at__lt=end)
            .values("category")
            .annotate(
                total=Count("id"),
                new=Count("id", filter=Q(created_at__gte=start)),
                isolated=Count("id", filter=Q(status__in=ISOLATION_STATUSES)),
                monitoring=Count("id", filter=Q(status="home_monitoring")),
                unverified=Count("id", filter=Q(needs_verification=True)),
            )
            .order_by()
        }
        out = []
        for key, label in categories.choices:
            r = rows.get(key, {})
            out.append(
                {
                    "key": key,
                    "label": both(label),
                    **{k: int(r.get(k, 0)) for k in ("total", "new", "isolated", "monitoring", "unverified")},
                }
            )
        return {"available": True, "categories": out}

    return cache.cached(("fieldops",), ["screening", division.code, day], compute, user=user)


def section_gates(*, user, division: Division, day: dt.date) -> dict:
    """Gate duty on ``day`` (fieldops.selectors.roster_coverage through the gates source): open gates,
    those whose tier needs 24-hour duty, those with uncovered hours, and the hours uncovered."""
    source = sources.get("gates")
    if not source.available():
        return {"available": False}
    rows = source.rows(user=user, division=division, day=day)
    return {
        "available": True,
        "gates": len(rows),
        "needs_duty": sum(1 for r in rows if r["needs_duty"]),
        "uncovered": sum(1 for r in rows if r["uncovered"]),
        "uncovered_hours": round(sum(r["uncovered_hours"] for r in rows), 2),
    }


# ------------------------------------------------------------------------------------------ paragraph


def _sep(language: str) -> str:
    return "; " if language == "en" else "；"


def _n(value) -> str:
    return formats.number_format(value or 0, force_grouping=True)


def paragraph(report: dict, language: str) -> str:
    """The report's paragraph in ``language`` (``zh-hans`` or ``en``), in the style of the Qilihe
    district's report of 27 March 2022."""
    with translation.override(language):
        parts = []
        workforce = report.get("workforce") or {}
        if workforce.get("available") and workforce.get("sentence"):
            parts.append(workforce["sentence"][language])
        tiers = report.get("tiers") or {}
        in_force = [t for t in tiers.get("tiers", []) if t["areas"]]
        if in_force:
            items = [
                _("%(tier)s: %(areas)s (%(households)s households, %(residents)s residents)")
                % {
                    "tier": t["name_en"] if language == "en" else t["name"],
                    "areas": _n(t["areas"]),
                    "households": _n(t["households"]),
                    "residents": _n(t["residents"]),
                }
                for t in in_force
            ]
            parts.append(_("Control areas in force: %(list)s.") % {"list": _sep(language).join(items)})
        elif tiers.get("available"):
            parts.append(_("No control area is in force."))
        infections = report.get("infections") or {}
        if infections.get("available"):
            parts.append(
                _("Infections: %(day)s new on the day, %(week)s in the last 7 days, %(total)s in all.")
                % {
                    "day": _n(infections["on_day"]),
                    "week": _n(infections["last_7_days"]),
                    "total": _n(infections["total"]),
                }
            )
        testing = report.get("testing") or {}
        if testing.get("available"):
            for rnd in testing["rounds"][:1]:
                parts.append(
                    _(
                        "Testing round %(name)s: %(sampled)s of %(expected)s people sampled (%(percent)s%%), "
                        "%(missed)s missed, %(pending)s results pending."
                    )
                    % {
                        "name": rnd["name"],
                        "sampled": _n(rnd["sampled"]),
                        "expected": _n(rnd["expected"]),
                        "percent": rnd["percent"],
                        "missed": _n(rnd["missed"]),
                        "pending": _n(rnd["pending"]),
                    }
                )
            if not testing["rounds"]:
                parts.append(_("No testing round ran on the day."))
            pools = testing.get("pools") or {}
            if pools:
                parts.append(
                    _(
                        "Positive pools: %(day)s on the day, %(total)s in all; %(open)s under follow-up, "
                        "%(overdue)s overdue, %(missing)s without follow-up."
                    )
                    % {
                        "day": _n(pools["on_day"]),
                        "total": _n(pools["total"]),
                        "open": _n(pools["open"]),
                        "overdue": _n(pools["overdue"]),
                        "missing": _n(pools["missing"]),
                    }
                )
        else:
            parts.append(_("Testing figures are not available."))
        requests = report.get("requests") or {}
        if requests.get("available"):
            parts.append(
                _(
                    "Service requests: %(received)s received and %(fulfilled)s fulfilled on the day; "
                    "%(open)s open, of which %(overdue)s overdue."
                )
                % {
                    "received": _n(requests["received"]),
                    "fulfilled": _n(requests["fulfilled"]),
                    "open": _n(requests["open"]),
                    "overdue": _n(requests["overdue"]),
                }
            )
        else:
            parts.append(_("Service request figures are not available."))
        screening = report.get("screening") or {}
        if screening.get("available"):
            items = [
                _("%(category)s %(total)s (%(new)s new)")
                % {"category": c["label"][language], "total": _n(c["total"]), "new": _n(c["new"])}
                for c in screening["categories"]
                if c["total"]
            ]
            if items:
                parts.append(_("Personnel screening: %(list)s.") % {"list": _sep(language).join(items)})
            else:
                parts.append(_("Personnel screening: nobody recorded."))
        else:
            parts.append(_("Personnel screening figures are not available."))
        return " ".join(parts) if language == "en" else "".join(parts)


# ------------------------------------------------------------------------------------------ the report


def build(*, user, division: Division, day: dt.date) -> dict:
    """The whole daily report of ``division`` as of ``day`` within ``user``'s scope, JSON-ready:

    ``{"version", "division": {code, name, name_en?, level}, "date", "generated_at", "population",
    "tiers", "areas", "infections", "workforce", "testing", "requests", "screening", "paragraph":
    {"zh-hans", "en"}}`` (see the section functions). Raises ValueError for a day in the future or a
    division below community level."""
    check_division(division)
    days.as_of(day)  # ValueError for a future day
    report = {
        "version": REPORT_VERSION,
        "division": {"code": division.code, "name": division.short_name, "level": division.level},
        "date": day.isoformat(),
        "generated_at": timezone.localtime().isoformat(),
    }
    tiers = section_tiers(user=user, division=division, day=day)
    report["population"] = tiers["population"]
    report["tiers"] = tiers
    report["areas"] = section_areas(user=user, division=division, day=day)
    report["infections"] = section_infections(user=user, division=division, day=day)
    report["workforce"] = section_workforce(user=user, division=division, day=day)
    report["testing"] = section_testing(user=user, division=division, day=day)
    report["requests"] = section_requests(user=user, division=division, day=day)
    report["screening"] = section_screening(user=user, division=division, day=day)
    report["paragraph"] = {language: paragraph(report, language) for language in LANGUAGES}
    return json_ready(report)


class LocalTimeEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder writing an aware datetime in local time (settings.TIME_ZONE, Asia/Shanghai)
    with its offset and microseconds (``2026-11-30T09:00:00.123456+08:00``), as the API's serializers
    do — never in UTC."""

    def default(self, o):
        if isinstance(o, dt.datetime) and timezone.is_aware(o):
            return timezone.localtime(o).isoformat()
        return super().default(o)


def json_ready(data):
    """``data`` with dates and times as ISO strings, times in local time with their offset
    (:class:`LocalTimeEncoder`): what JSON, the API and a frozen snapshot hold, so a live report and a
    closed one look the same."""
    return json.loads(json.dumps(data, cls=LocalTimeEncoder))


def report_for(*, user, division: Division, day: dt.date) -> tuple[dict, object]:
    """``(report dict, DailyReport row or None)``: the frozen snapshot when the day is closed, else
    the live report. The row is looked up within ``user``'s scope. A day's report is read under the
    report rule set in force on it: ValidationError ``{"date": [...]}`` naming the day and the first
    day one was in force when there is none (ReportRuleSet.in_force; a 400 on the pages, the exports
    and the API), before anything is computed (a day as early as 0001-01-01 has no instant to count to)."""
    from lianfang.reports.models import DailyReport, ReportRuleSet  # noqa: PLC0415

    ReportRuleSet.in_force(day)
    row = DailyReport.objects.visible_to(user).filter(division=division, day=day).first()
    if row is not None and row.is_closed and row.snapshot:
        return row.snapshot, row
    return build(user=user, division=division, day=day), row


SECTION_TITLES = {
    "summary": gettext_lazy("Key figures"),
    "workforce": gettext_lazy("Workforce"),
    "areas": gettext_lazy("Control areas"),
    "testing": gettext_lazy("Testing"),
    "requests": gettext_lazy("Service requests"),
    "screening": gettext_lazy("Personnel screening"),
}


def system_reader():
    """An unsaved superuser standing for the system (management commands, benchmarks): it sees every
    row and is never written anywhere (audit entries record it as no actor)."""
    from lianfang.accounts.models import User  # noqa: PLC0415

    return User(username="system", display_name="system", is_superuser=True, is_active=True)
