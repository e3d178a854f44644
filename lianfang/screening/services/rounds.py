"""Testing rounds (domain.md §4): open a round and snapshot its expected population, close it,
keep an open round in step with the registry, exempt a member, add sampling sites and desks, assign
sampling tasks to teams. Errors: ValidationError, PermissionDenied (RUN_ROUNDS).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import require
from lianfang.core import audit, bulk, fielderrors
from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.registry.models import Resident
from lianfang.screening import links
from lianfang.screening.models import (
    DOOR_TO_DOOR_MODES,
    MAX_CAPACITY_PER_HOUR,
    MAX_PLANNED_PEOPLE,
    MIN_CAPACITY_PER_HOUR,
    PoolingMode,
    ReasonCode,
    RoundMember,
    RoundNode,
    RoundStatus,
    SamplingDesk,
    SamplingSite,
    SamplingTask,
    TaskKind,
    TestingRound,
)
from lianfang.screening.services.base import _actor, _minimal, _now, out_of_reach, rules
from lianfang.zones.services import common_path

MAX_ROUND_DAYS = 7
"""How far after the round opens its deadline may lie (days): a regional round runs 24 h by the rule
set, a long one a few days; a deadline weeks or years ahead is a typo (new-user trial 15: 2099-12-03)."""


def _name_problem(name: str) -> tuple[str, str | None]:
    """``name`` with its whitespace runs collapsed, and why it cannot be stored (translated) or None: a
    control or invisible format character (core.fielderrors.control_character_problem, one line:
    new-user trial 15's name of a lone U+200B), or nothing left after stripping."""
    if problem := fielderrors.control_character_problem(str(name or ""), multiline=False):
        return str(name or ""), problem
    name = " ".join((name or "").split())
    return name, None if name else _("give a name")


def _node_q(codes: Sequence[str], field: str = "path") -> Q:
    q = Q()
    for code in codes:
        q |= subtree_q(field, code)
    return q


def round_open(
    *,
    actor,
    name: str,
    nodes: Sequence[Division] = (),
    control_area_id: int | None = None,
    deadline: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> TestingRound:
    """Open a testing round over division ``nodes`` (or the nodes of zones control area
    ``control_area_id``) and snapshot its expected population from the registry.

    Every living resident under the nodes becomes a :class:`RoundMember` with the pooling mode of
    their area (links.mode_index); people in door-to-door modes (sealed areas) get one task per
    building, bedridden or disabled residents elsewhere one home-visit task each (domain.md §4, §7).
    ``deadline`` defaults to ``at`` + the rule set's regional round deadline (24 h). Raises
    ValidationError (no name or one holding a control or format character, no nodes, nodes of
    several districts or above a district, deadline not after ``at`` or more than
    :data:`MAX_ROUND_DAYS` after it; ``{"control_area": …}`` for an area that does not exist or that ``actor`` may not
    read, the same words for both, checked before any permission so the error names no place) and
    PermissionDenied (RUN_ROUNDS at the nodes' common division).
    """
    at = _now(at)
    errors: dict[str, str] = {}
    name, problem = _name_problem(name)
    if problem:
        errors["name"] = problem
    nodes = list(nodes)
    if control_area_id is not None:
        try:
            _district, nodes = links.control_area_nodes(control_area_id, actor)
        except LookupError:
            errors["control_area"] = out_of_reach(control_area_id)
    if not nodes and "control_area" not in errors:
        errors["nodes"] = _("choose at least one division")
    districts = {n.code[:6] for n in nodes}
    if len(districts) > 1:
        errors["nodes"] = _("a round covers one district, got %(codes)s") % {"codes": ", ".join(sorted(districts))}
    if any(len(n.code) < CODE_LENGTHS[Level.DISTRICT] for n in nodes):
        errors["nodes"] = _("a round covers a district or places inside it")
    if deadline is not None and deadline <= at:
        errors["deadline"] = _("deadline %(value)s is not after the start") % {"value": deadline}
    elif deadline is not None and deadline > at + dt.timedelta(days=MAX_ROUND_DAYS):
        errors["deadline"] = _("deadline %(value)s is more than %(days)d days after the round opens") % {
            "value": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
            "days": MAX_ROUND_DAYS,
        }
    if errors:
        raise ValidationError(errors)
    codes = _minimal(n.code for n in nodes)
    path = common_path(codes)
    require(actor, Capability.RUN_ROUNDS, path)
    district_code = path[:6]
    district = Division.objects.get(code=district_code)
    screening_rules = rules()
    try:
        modes = links.mode_index(district_code, fallback=screening_rules.fallback_pooling_mode, at=at)
        deadline = deadline or at + dt.timedelta(hours=links.round_deadline_hours(district_code))
        rs_key = links.rule_set_key(district_code)
    except Exception as exc:  # zones rule sets missing: a deadline must then be given
        if deadline is None:
            raise ValidationError({"deadline": _("no zone rule set: give the deadline")}) from exc
        modes, rs_key = links.ModeIndex(None, screening_rules.fallback_pooling_mode), ""
    with transaction.atomic():
        rnd = TestingRound.objects.create(
            district=district,
            name=name,
            path=path,
            opened_at=at,
            deadline=deadline,
            rule_set_key=rs_key,
            control_area_ref=control_area_id,
            status_reason=ReasonCode.OPENED,
            created_by=_actor(actor),
        )
        by_code = {n.code: n for n in nodes}
        RoundNode.objects.bulk_create([RoundNode(round=rnd, division=by_code[c], code=c) for c in codes])
        count = _snapshot_members(rnd, codes, modes, at)
        audit.record(
            actor=actor,
            action="screening.round_open",
            obj=rnd,
            reason=ReasonCode.OPENED,
            detail={"nodes": codes, "expected": count, "deadline": deadline.isoformat()},
        )
    return rnd


def _snapshot_members(rnd: TestingRound, codes: Sequence[str], modes: links.ModeIndex, at: dt.datetime) -> int:
    """Insert the round's members (bulk) and its door-to-door tasks; returns the member count."""
    rows = list(
        Resident.objects.filter(_node_q(codes), is_deceased=False)
        .order_by("path", "household_id", "id")
        .values_list("id", "household_id", "path", "bedridden", "disabled")
    )
    ids = bulk.reserve_ids(RoundMember, len(rows))
    buildings: dict[str, list[int]] = defaultdict(list)
    home_visits: list[tuple[int, int, str, str]] = []
    out = []
    for pk, (rid, hid, path, bedridden, disabled) in zip(ids, rows, strict=True):
        mode = modes.mode_for(path)
        door = mode in DOOR_TO_DOOR_MODES
        home = door or bedridden or disabled
        if door:
            buildings[path[:18] if len(path) >= 18 else path].append(hid)
        elif bedridden or disabled:
            home_visits.append((rid, hid, path, mode))
        out.append((pk, rnd.pk, rid, hid, path, mode, home, home, "", "", "", False, False))
    fields = [
        "id",
        "round_id",
        "resident_id",
        "household_id",
        "path",
        "mode",
        "home_visit",
        "awaiting_home_visit",
        "exemption",
        "exemption_note",
        "result",
        "added_late",
        "removed",
    ]
    bulk.insert_rows(RoundMember, fields, out)
    TestingRound.objects.filter(pk=rnd.pk).update(expected_people=len(rows))
    rnd.expected_people = len(rows)
    nodes = {
        d.code: d for d in Division.objects.filter(code__in=list(buildings) + [p for _r, _h, p, _m in home_visits])
    }
    tasks = []
    for code, households in buildings.items():
        division = nodes.get(code) or nodes.get(code[:15])
        if division is None:
            division = Division.objects.get(code=common_path([code]))
        tasks.append(
            SamplingTask(
                round=rnd,
                kind=TaskKind.SEALED_BUILDING,
                division=division,
                path=code,
                mode=modes.mode_for(code),
                people=len(households),
                due_at=rnd.deadline,
            )
        )
    for rid, hid, path, mode in home_visits:
        division = nodes.get(path) or Division.objects.get(code=path)
        tasks.append(
            SamplingTask(
                round=rnd,
                kind=TaskKind.HOME_VISIT,
                division=division,
                household_id=hid,
                resident_id=rid,
                path=path,
                mode=PoolingMode.SINGLE if mode in DOOR_TO_DOOR_MODES else mode,
                people=1,
                due_at=rnd.deadline,
            )
        )
    SamplingTask.objects.bulk_create(tasks, batch_size=500)
    return len(rows)


def round_close(*, actor, round: TestingRound, reason: str = ReasonCode.CLOSED_BY_COMMANDER, at=None) -> TestingRound:
    """Close an open round (conditional update). Raises ValidationError when it is not open."""
    at = _now(at)
    require(actor, Capability.RUN_ROUNDS, round.path)
    with transaction.atomic():
        changed = TestingRound.objects.filter(pk=round.pk, status=RoundStatus.OPEN).update(
            status=RoundStatus.CLOSED, status_reason=reason, closed_at=at
        )
        if changed != 1:
            raise ValidationError({"status": _("round %(name)s is not open") % {"name": round.name}})
        round.status, round.status_reason, round.closed_at = RoundStatus.CLOSED, reason, at
        audit.record(actor=actor, action="screening.round_close", obj=round, reason=reason)
    return round


def round_members_sync(*, actor, round: TestingRound) -> dict[str, int]:
    """Bring an OPEN round's population in step with the registry (the current round only): residents
    who arrived since are added (``added_late``), those who left or died are marked ``removed``.
    Returns ``{"added": n, "removed": n}``. Closed rounds are never changed (ValidationError)."""
    if round.status != RoundStatus.OPEN:
        raise ValidationError({"round": _("only an open round follows registry changes")})
    codes = list(round.nodes.values_list("code", flat=True))
    with transaction.atomic():
        present = Resident.objects.filter(_node_q(codes), is_deceased=False)
        removed = (
            RoundMember.objects.filter(round=round, removed=False, result="")
            .exclude(resident_id__in=present.values("pk"))
            .update(removed=True)
        )
        restored = (
            RoundMember.objects.filter(round=round, removed=True)
            .filter(resident_id__in=present.values("pk"))
            .update(removed=False)
        )
        new = list(
            present.exclude(pk__in=RoundMember.objects.filter(round=round).values("resident_id")).values_list(
                "id", "household_id", "path", "bedridden", "disabled"
            )
        )
        modes = links.mode_index(round.path[:6], fallback=rules().fallback_pooling_mode)
        RoundMember.objects.bulk_create(
            [
                RoundMember(
                    round=round,
                    resident_id=rid,
                    household_id=hid,
                    path=path,
                    mode=modes.mode_for(path),
                    home_visit=bool(bedridden or disabled or modes.mode_for(path) in DOOR_TO_DOOR_MODES),
                    added_late=True,
                )
                for rid, hid, path, bedridden, disabled in new
            ],
            batch_size=500,
        )
        expected = RoundMember.objects.filter(round=round, removed=False).count()
        TestingRound.objects.filter(pk=round.pk).update(expected_people=expected)
        round.expected_people = expected
        result = {"added": len(new), "removed": removed - restored}
        audit.record(actor=actor, action="screening.round_sync", obj=round, detail=result)
    return result


def member_exempt(*, actor, member: RoundMember, exemption: str, note: str = "") -> RoundMember:
    """Exempt an expected person (hospitalised, away with proof...) with a note; ``exemption=""``
    lifts it. Raises ValidationError (unknown reason, "other" without a note, already sampled)."""
    from lianfang.screening.models import Exemption  # noqa: PLC0415

    if exemption and exemption not in Exemption.values:
        raise ValidationError({"exemption": _("unknown exemption “%(value)s”") % {"value": exemption}})
    if exemption == Exemption.OTHER and not note.strip():
        raise ValidationError({"exemption_note": _("say why (a note is required for 'other')")})
    require(actor, Capability.RUN_ROUNDS, member.path)
    with transaction.atomic():
        if RoundMember.objects.filter(pk=member.pk, result="").update(exemption=exemption, exemption_note=note) != 1:
            raise ValidationError({"exemption": _("this person has already been sampled")})
        member.exemption, member.exemption_note = exemption, note
        audit.record(actor=actor, action="screening.member_exempt", obj=member, reason=exemption or "lifted")
    return member


def site_create(*, actor, round: TestingRound, name: str, division: Division, planned_people: int = 0) -> SamplingSite:
    """Add a sampling site at ``division`` (inside the round's scope) planned for ``planned_people``
    (0 … models.MAX_PLANNED_PEOPLE). Raises ValidationError and PermissionDenied (RUN_ROUNDS)."""
    name, problem = _name_problem(name)
    errors = {}
    if problem:
        errors["name"] = problem
    elif SamplingSite.objects.filter(round=round, name=name).exists():
        errors["name"] = _("a site named %(name)s already exists in this round") % {"name": name}
    if not round.nodes.filter(Q(code__in=[division.code[:n] for n in CODE_LENGTHS.values()])).exists():
        errors["division"] = _("%(place)s is outside the round") % {"place": division}
    if round.status != RoundStatus.OPEN:
        errors["round"] = _("round %(name)s is not open") % {"name": round.name}
    if not 0 <= planned_people <= MAX_PLANNED_PEOPLE:
        errors["planned_people"] = _("must be from %(min)s to %(max)s, got %(value)s") % {
            "min": 0,
            "max": MAX_PLANNED_PEOPLE,
            "value": planned_people,
        }
    if errors:
        raise ValidationError(errors)
    require(actor, Capability.RUN_ROUNDS, division.code)
    with transaction.atomic():
        site = SamplingSite.objects.create(
            round=round, name=name, division=division, path=division.code, planned_people=planned_people
        )
        audit.record(actor=actor, action="create", obj=site)
    return site


def desk_create(*, actor, site: SamplingSite, name: str, mode: str = "", capacity_per_hour: int = 60) -> SamplingDesk:
    """Add a desk to ``site``; ``mode`` defaults to the pooling mode of the site's area (zones rule set).
    ``capacity_per_hour``: people, MIN_CAPACITY_PER_HOUR … MAX_CAPACITY_PER_HOUR (models).
    Raises ValidationError (name, mode, capacity) and PermissionDenied (RUN_ROUNDS)."""
    name, problem = _name_problem(name)
    errors = {}
    if problem:
        errors["name"] = problem
    elif SamplingDesk.objects.filter(site=site, name=name).exists():
        errors["name"] = _("a desk named %(name)s already exists at this site") % {"name": name}
    if mode and mode not in PoolingMode.values:
        errors["mode"] = _("unknown pooling mode “%(value)s”") % {"value": mode}
    if not MIN_CAPACITY_PER_HOUR <= capacity_per_hour <= MAX_CAPACITY_PER_HOUR:
        errors["capacity_per_hour"] = _("must be from %(min)s to %(max)s, got %(value)s") % {
            "min": MIN_CAPACITY_PER_HOUR,
            "max": MAX_CAPACITY_PER_HOUR,
            "value": capacity_per_hour,
        }
    if errors:
        raise ValidationError(errors)
    require(actor, Capability.RUN_ROUNDS, site.path)
    if not mode:
        try:
            mode = links.mode_index(site.path[:6], fallback=rules().fallback_pooling_mode).mode_for(site.path)
        except Exception:  # noqa: BLE001 (zones rule sets missing)
            mode = rules().fallback_pooling_mode
    with transaction.atomic():
        desk = SamplingDesk.objects.create(
            site=site, round_id=site.round_id, name=name, path=site.path, mode=mode, capacity_per_hour=capacity_per_hour
        )
        audit.record(actor=actor, action="create", obj=desk, detail={"mode": mode})
    return desk


def task_assign(*, actor, task: SamplingTask, team) -> SamplingTask:
    """Assign a sampling task to a workforce team (or None to unassign); RUN_ROUNDS at the task."""
    require(actor, Capability.RUN_ROUNDS, task.path)
    with transaction.atomic():
        SamplingTask.objects.filter(pk=task.pk).update(team=team)
        task.team = team
        audit.record(actor=actor, action="screening.task_assign", obj=task, detail={"team": team.pk if team else None})
    return task
