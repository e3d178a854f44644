"""Disinfection of public places: schedules (by hand, and generated from the tiers' rules), logs
of work done, and overdue alerts (tick)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import audit
from lianfang.core.forms import moment_text
from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import Division, Level
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops import selectors
from lianfang.fieldops.models import AlertKind, DisinfectionLog, DisinfectionSchedule
from lianfang.fieldops.services.alerts import alert_raise
from lianfang.fieldops.services.base import (
    COMMUNITY_CODE_LEN,
    COMPOUND_CODE_LEN,
    FIELD,
    PLACE_LEVELS,
    SETUP,
    _create_audited,
    _now,
    _place,
    _require,
    _text,
    _user,
)


def disinfection_schedule_create(
    *, actor, division: Division, place: str, interval_hours: int, tier_key: str = ""
) -> DisinfectionSchedule:
    """Schedule the disinfection of a public ``place`` of a compound or village every
    ``interval_hours`` (1-168). Raises ValidationError (duplicate place, bad interval); PermissionDenied."""
    _place(division)
    place = _text(place, "place", max_length=80)
    if not isinstance(interval_hours, int) or not 1 <= interval_hours <= 168:
        raise ValidationError({"interval_hours": _("1 to 168 hours, got “%(v)s”") % {"v": interval_hours}})
    if DisinfectionSchedule.objects.filter(division=division, place=place).exists():
        raise ValidationError(
            {"place": _("%(p)s of %(d)s is already scheduled") % {"p": place, "d": division.short_name}}
        )
    _require(actor, SETUP, division.code, what="disinfection")
    return _create_audited(
        DisinfectionSchedule,
        actor=actor,
        action="fieldops.schedule_create",
        district_id=division.district_id,
        division=division,
        path=division.code,
        place=place,
        interval_hours=interval_hours,
        tier_key=tier_key,
    )


def disinfection_schedules_generate(*, actor, code: str, on=None) -> dict[str, int]:
    """Schedule the public areas of every compound (or village without groups) under ``code`` that
    lies in an area whose tier has disinfection rules (field rule set ``disinfection``: sealed twice
    a day, controlled once). A building or stairwell area schedules its compound; a community area
    schedules each of its compounds. Idempotent; an existing generated schedule is tightened to a
    stricter tier's interval. Returns ``{"created": n, "tightened": n, "places": n}``."""
    from lianfang.zones.selectors import tier_index  # noqa: PLC0415

    _require(actor, SETUP, code, what="disinfection")
    rules = field_rules.in_force()
    per_tier = rules.disinfection or {}
    nodes = [
        (c, tier.key)
        for c, tier in tier_index(on).items()
        if tier.key in per_tier and (c.startswith(code) or code.startswith(c))
    ]
    wanted: dict[str, str] = {}  # place code → tier key with the shortest interval

    def want(place_code: str, tier_key: str) -> None:
        if not place_code.startswith(code):
            return
        current = wanted.get(place_code)
        if current is None or int(per_tier[tier_key]["interval_hours"]) < int(per_tier[current]["interval_hours"]):
            wanted[place_code] = tier_key

    wide = [(c, k) for c, k in nodes if len(c) < COMPOUND_CODE_LEN]
    if wide:
        q = Q()
        for c, _k in wide:
            q |= subtree_q("code", c)
        places = list(Division.objects.filter(q, level__in=PLACE_LEVELS).values_list("code", "level"))
        with_compounds = {c[:COMMUNITY_CODE_LEN] for c, level in places if level == Level.COMPOUND}
        for c, k in wide:
            for place_code, level in places:
                if place_code.startswith(c) and (level == Level.COMPOUND or place_code not in with_compounds):
                    want(place_code, k)
    for c, k in nodes:
        if len(c) >= COMPOUND_CODE_LEN:
            want(c[:COMPOUND_CODE_LEN], k)
    divisions = {d.code: d for d in Division.objects.filter(code__in=wanted)}
    existing = {(s.path, s.place): s for s in DisinfectionSchedule.objects.filter(path__in=list(wanted))}
    counts = {"created": 0, "tightened": 0, "places": len(wanted)}
    with transaction.atomic():
        for place_code, tier_key in sorted(wanted.items()):
            rule = per_tier[tier_key]
            interval = int(rule["interval_hours"])
            for place in rule["places"]:
                found = existing.get((place_code, place))
                if found is None:
                    division = divisions[place_code]
                    DisinfectionSchedule.objects.create(
                        district_id=division.district_id,
                        division=division,
                        path=place_code,
                        place=place,
                        interval_hours=interval,
                        tier_key=tier_key,
                    )
                    counts["created"] += 1
                elif found.tier_key and found.interval_hours > interval:
                    DisinfectionSchedule.objects.filter(pk=found.pk).update(
                        interval_hours=interval, tier_key=tier_key, is_active=True
                    )
                    counts["tightened"] += 1
        audit.record(actor=actor, action="fieldops.schedules_generate", division_code=code, detail=counts)
    return counts


def disinfection_log_record(
    *,
    actor,
    schedule: DisinfectionSchedule,
    performed_by: str,
    agent: str,
    concentration_mg_l,
    done_at: dt.datetime | None = None,
    note: str = "",
) -> DisinfectionLog:
    """Record one disinfection done: who, the schedule's place, when, the agent and its
    concentration in mg/L (0 < c ≤ 10000). Raises ValidationError naming the field; PermissionDenied
    without FIELD_WORK there."""
    done_at = _now(done_at)
    errors = {}
    performed_by = _text(performed_by, "performed_by", max_length=60)
    agent = _text(agent, "agent", max_length=80)
    try:
        concentration = Decimal(str(concentration_mg_l).strip()).quantize(Decimal("0.1"))
        if not Decimal("0") < concentration <= Decimal("10000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["concentration_mg_l"] = _("a concentration above 0 and up to 10000 mg/L is required, got “%(v)s”") % {
            "v": concentration_mg_l
        }
    if done_at > timezone.now() + dt.timedelta(minutes=5):
        errors["done_at"] = _("“%(t)s” is in the future") % {"t": moment_text(done_at)}
    if errors:
        raise ValidationError(errors)
    _require(actor, FIELD, schedule.path)
    return _create_audited(
        DisinfectionLog,
        actor=actor,
        action="fieldops.disinfection",
        district_id=schedule.district_id,
        path=schedule.path,
        schedule=schedule,
        done_at=done_at,
        performed_by=performed_by,
        agent=agent,
        concentration_mg_l=concentration,
        note=_text(note, "note", required=False),
        recorded_by=_user(actor),
    )


def disinfection_overdue_flag(*, now: dt.datetime | None = None) -> int:
    """System work (tick): one alert per overdue schedule and due time, to the place's responsible
    person. Idempotent. Returns the number of alerts raised."""
    now = _now(now)
    raised = 0
    for schedule in selectors.schedules_with_due(DisinfectionSchedule.objects.filter(is_active=True), now=now):
        if not schedule.overdue:
            continue
        _alert, created = alert_raise(
            kind=AlertKind.DISINFECTION_OVERDUE,
            path=schedule.path,
            district_id=schedule.district_id,
            dedupe_key=f"disinfection:{schedule.pk}:{schedule.due_at:%Y%m%d%H%M}",
            message=f"{schedule.division.short_name} {schedule.place}",
            recipient=selectors.responsible_worker(schedule.path, on=timezone.localdate(now)),
            detail={"schedule": schedule.pk, "due_at": timezone.localtime(schedule.due_at).isoformat()},
            at=now,
        )
        raised += int(created)
    return raised
