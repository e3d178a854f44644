"""Every write to the workforce and the responsibility grid (validated first, atomic, audited).

Errors are ``django.core.exceptions.ValidationError`` with a dict naming the field (and, for lists,
the item) and the offending value. Periods are inclusive whole days in the district's time zone
(settings.TIME_ZONE); ``ends_on=None`` is open-ended. Level rules come from the GridRuleSet in force
on the period's first day (models.GridRuleSet), never from code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lianfang.core import audit, fielderrors, idnumber, pii
from lianfang.divisions.models import Division, Level
from lianfang.registry.models import Household
from lianfang.registry.services import pinyin_initials
from lianfang.workforce.models import (
    STATIONED_CADRE_CATEGORIES,
    Category,
    Deployment,
    EndReason,
    GridRuleSet,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    Team,
    Worker,
    WorkerCategory,
)
from lianfang.workforce.selectors import rules_on

ONE_DAY = dt.timedelta(days=1)
FAR_FUTURE = dt.date(9999, 12, 31)

# Division levels a unit of each responsibility level may be (issue 3, "Responsibility assignments").
UNIT_LEVELS = {
    ResponsibilityLevel.L1: (Level.COMMUNITY,),
    ResponsibilityLevel.L2: (Level.COMMUNITY, Level.COMPOUND),
    ResponsibilityLevel.L3: (Level.COMPOUND,),
}


def _check_period(starts_on, ends_on, errors: dict, *, start_field="starts_on", end_field="ends_on") -> None:
    if not isinstance(starts_on, dt.date) or isinstance(starts_on, dt.datetime):
        errors[start_field] = _("a date is required, got “%s”") % (starts_on,)
        return
    if ends_on is not None and (not isinstance(ends_on, dt.date) or isinstance(ends_on, dt.datetime)):
        errors[end_field] = _("a date or nothing is required, got “%s”") % (ends_on,)
    elif ends_on is not None and ends_on < starts_on:
        errors[end_field] = _("ends on %(end)s, before it starts on %(start)s") % {"end": ends_on, "start": starts_on}


def _overlaps(starts_on: dt.date, ends_on: dt.date | None) -> Q:
    """Rows whose inclusive period overlaps ``[starts_on, ends_on]``."""
    q = Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    if ends_on is not None:
        q &= Q(starts_on__lte=ends_on)
    return q


def _close(row, *, ends_on: dt.date, reason: str, field: str, label: str) -> None:
    """End ``row`` (a Deployment or ResponsibilityAssignment) on ``ends_on`` with ``reason`` by a
    conditional update on its current end date and holder; ValidationError naming ``label`` when it
    was changed meanwhile (read-modify-write never overwrites someone else's change)."""
    current = Q(ends_on__isnull=True) if row.ends_on is None else Q(ends_on=row.ends_on)
    changed = (
        type(row).objects.filter(current, pk=row.pk, worker_id=row.worker_id).update(ends_on=ends_on, end_reason=reason)
    )
    if changed != 1:
        raise ValidationError({field: _("%s was changed meanwhile; reload and try again") % label})
    row.ends_on, row.end_reason = ends_on, reason


# ---------------------------------------------------------------------------------------------- workers


def _clean_categories(categories: Iterable[str], errors: dict) -> list[str]:
    values = []
    for value in categories or ():
        if value not in Category.values:
            errors["categories"] = _("unknown category “%s”") % (value,)
            return []
        if value not in values:
            values.append(value)
    if not values:
        errors.setdefault("categories", _("at least one category is required"))
    return values


def worker_create(
    *,
    actor,
    name: str,
    categories: Iterable[str],
    base_division: Division,
    phone: str = "",
    id_number: str = "",
    position: str = "",
    sending_organisation: str = "",
    user=None,
    source_key: str = "",
) -> Worker:
    """Register a worker with one or more Category values; returns the saved Worker.

    ``base_division`` must be a street/town or below (level ≥ 4). Stationed cadres (city or district
    level) must name their ``sending_organisation`` (派出单位). ``phone`` is validated as a Chinese
    number (core.pii.normalize_phone) and ``id_number`` per GB 11643-1999 (core.idnumber); both are
    stored sealed. ``user`` (optional) links a sign-in account, which may belong to one worker only.
    Raises ValidationError naming each bad field and its value.
    """
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("name is required")
    values = _clean_categories(categories, errors)
    if base_division.level < Level.STREET or base_division.district_id is None:
        errors["base_division"] = _("a worker belongs to a street/town or below, not %s") % base_division
    if STATIONED_CADRE_CATEGORIES & set(values) and not sending_organisation.strip():
        errors["sending_organisation"] = _("a stationed cadre needs a sending organisation")
    normalized_phone = ""
    if phone:
        try:
            normalized_phone = pii.normalize_phone(phone)
        except pii.PhoneError as exc:
            errors["phone"] = fielderrors.reason_with_value(exc, phone)
    number = ""
    if id_number:
        try:
            number = idnumber.parse(id_number).number
        except idnumber.IdNumberError as exc:
            errors["id_number"] = fielderrors.reason_with_value(exc, id_number)
    if user is not None and Worker.objects.filter(user=user).exists():
        errors["user"] = _("account %s is already linked to another worker") % user
    if errors:
        raise ValidationError(errors)
    worker = Worker(
        district_id=base_division.district_id,
        base_division=base_division,
        path=base_division.code,
        name=name,
        name_initials=pinyin_initials(name),
        position=position.strip(),
        sending_organisation=sending_organisation.strip(),
        user=user,
        source_key=source_key,
    )
    if normalized_phone:
        worker.set_phone(normalized_phone)
    if number:
        worker.set_id_number(number)
    with transaction.atomic():
        worker.save()
        WorkerCategory.objects.bulk_create([WorkerCategory(worker=worker, category=v) for v in values])
        audit.record(actor=actor, action="create", obj=worker, detail={"categories": values})
    return worker


def worker_set_categories(*, actor, worker: Worker, categories: Iterable[str]) -> Worker:
    """Replace the worker's categories; raises ValidationError (unknown or empty categories, a cadre
    without a sending organisation)."""
    errors: dict[str, str] = {}
    values = _clean_categories(categories, errors)
    if STATIONED_CADRE_CATEGORIES & set(values) and not worker.sending_organisation:
        errors["sending_organisation"] = _("a stationed cadre needs a sending organisation")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        WorkerCategory.objects.filter(worker=worker).exclude(category__in=values).delete()
        held = set(WorkerCategory.objects.filter(worker=worker).values_list("category", flat=True))
        WorkerCategory.objects.bulk_create([WorkerCategory(worker=worker, category=v) for v in values if v not in held])
        audit.record(actor=actor, action="update", obj=worker, detail={"categories": values})
    return worker


def worker_link_user(*, actor, worker: Worker, user) -> Worker:
    """Link a sign-in account to ``worker`` (or unlink with ``user=None``); raises ValidationError when
    the account already belongs to another worker. A linked household representative then sees the
    households of their active L4 assignments (apps.WorkforceConfig registers that scope)."""
    with transaction.atomic():
        if user is not None and Worker.objects.filter(user=user).exclude(pk=worker.pk).exists():
            raise ValidationError({"user": _("account %s is already linked to another worker") % user})
        Worker.objects.filter(pk=worker.pk).update(user=user)
        worker.user = user
        audit.record(actor=actor, action="link_user", obj=worker, detail={"user": getattr(user, "pk", None)})
    return worker


# ------------------------------------------------------------------------------------------ deployments


def deployment_create(
    *,
    actor,
    worker: Worker,
    division: Division,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    duty: str = "",
) -> Deployment:
    """Deploy ``worker`` to a community/village or compound/village group for ``[starts_on, ends_on]``.

    A worker has at most one deployment on any day: an overlapping one is a ValidationError naming it
    (and the database refuses it too). Raises ValidationError for a division of another level or
    district, or an inverted period.
    """
    errors: dict[str, str] = {}
    _check_period(starts_on, ends_on, errors)
    if division.level not in (Level.COMMUNITY, Level.COMPOUND):
        errors["division"] = _("deploy to a community/village or a compound, not %s") % division
    elif division.district_id != worker.district_id:
        errors["division"] = _("%(division)s is not in the worker's district") % {"division": division}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Worker.objects.select_for_update().filter(pk=worker.pk).first()
        clash = Deployment.objects.filter(_overlaps(starts_on, ends_on), worker=worker).first()
        if clash is not None:
            raise ValidationError(
                {
                    "starts_on": _("%(worker)s is already deployed to %(path)s from %(start)s")
                    % {"worker": worker, "path": clash.path, "start": clash.starts_on}
                }
            )
        deployment = Deployment.objects.create(
            district_id=division.district_id,
            worker=worker,
            division=division,
            community_id=division.id if division.level == Level.COMMUNITY else division.parent_id,
            path=division.code,
            starts_on=starts_on,
            ends_on=ends_on,
            duty=duty.strip(),
        )
        audit.record(actor=actor, action="create", obj=deployment)
    return deployment


def deployment_end(*, actor, deployment: Deployment, ends_on: dt.date, reason: str, note: str = "") -> Deployment:
    """End a deployment on ``ends_on`` (inclusive) with an EndReason code; a conditional update, so a
    deployment changed meanwhile raises ValidationError instead of being overwritten."""
    errors: dict[str, str] = {}
    _check_period(deployment.starts_on, ends_on, errors, end_field="ends_on")
    if reason not in EndReason.values:
        errors["reason"] = _("unknown reason code “%s”") % (reason,)
    if deployment.ends_on is not None and ends_on is not None and ends_on > deployment.ends_on:
        errors["ends_on"] = _("the deployment already ends on %s") % deployment.ends_on
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _close(deployment, ends_on=ends_on, reason=reason, field="ends_on", label=_("the deployment"))
        audit.record(actor=actor, action="status", obj=deployment, reason=f"{reason}: {note}".strip(": "))
    return deployment


# ------------------------------------------------------------------------------------------------ teams


def team_create(
    *,
    actor,
    name: str,
    base_division: Division,
    leader: Worker | None = None,
    members: Sequence[Worker] = (),
    duties: str = "",
) -> Team:
    """Create a team based in ``base_division`` (street/town or below); the leader is also a member.

    Raises ValidationError for an empty or duplicate name in that division, or members of another
    district.
    """
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("name is required")
    elif Team.objects.filter(base_division=base_division, name=name).exists():
        errors["name"] = _("a team named %(name)s already exists in %(division)s") % {
            "name": name,
            "division": base_division,
        }
    if base_division.level < Level.STREET:
        errors["base_division"] = _("a team is based in a street/town or below, not %s") % base_division
    everyone = list({w.pk: w for w in [*members, *([leader] if leader else [])]}.values())
    strangers = [w.name for w in everyone if w.district_id != base_division.district_id]
    if strangers:
        errors["members"] = _("not in this district: %s") % ", ".join(strangers)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        team = Team.objects.create(
            district_id=base_division.district_id,
            base_division=base_division,
            path=base_division.code,
            name=name,
            leader=leader,
            duties=duties.strip(),
        )
        team.members.add(*everyone)
        audit.record(actor=actor, action="create", obj=team, detail={"members": len(everyone)})
    return team


def team_members_set(*, actor, team: Team, add: Sequence[Worker] = (), remove: Sequence[Worker] = ()) -> Team:
    """Add and remove members (the leader cannot be removed); raises ValidationError."""
    if team.leader_id and any(w.pk == team.leader_id for w in remove):
        raise ValidationError({"remove": _("the leader cannot be removed from the team")})
    strangers = [w.name for w in add if w.district_id != team.district_id]
    if strangers:
        raise ValidationError({"add": _("not in this district: %s") % ", ".join(strangers)})
    with transaction.atomic():
        team.members.add(*add)
        team.members.remove(*remove)
        audit.record(
            actor=actor,
            action="update",
            obj=team,
            detail={"added": [w.pk for w in add], "removed": [w.pk for w in remove]},
        )
    return team


# ------------------------------------------------------------------------------------------ assignments


def _eligible(worker: Worker, level: int, rules: GridRuleSet) -> bool:
    allowed = rules.categories_for(level)
    return bool(allowed & set(worker.categories.values_list("category", flat=True)))


def _rules(day: dt.date) -> GridRuleSet:
    return rules_on(day, "starts_on")


def _unit_label(assignment: ResponsibilityAssignment) -> str:
    return f"{_('household')} {assignment.household_id}" if assignment.household_id else assignment.path


def _integrity(exc: IntegrityError) -> ValidationError:
    return ValidationError(
        {"starts_on": _("another person is already responsible for this unit in that period: %s") % exc}
    )


def assignment_create(
    *,
    actor,
    level: int,
    worker: Worker,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    division: Division | None = None,
    households: Iterable[Household] | None = None,
) -> list[ResponsibilityAssignment]:
    """Make ``worker`` responsible at ``level`` for a unit (L1-L3: ``division``) or for a set of
    households (L4: ``households``), for ``[starts_on, ends_on]``; returns the new rows.

    Rules (GridRuleSet in force on ``starts_on``): the worker must hold a category allowed for the
    level; L1 units are communities/villages, L2 communities/villages or compounds, L3 compounds/village
    groups. A unit that already has someone responsible at that level in an overlapping period is a
    ValidationError naming the unit and the holder (hand over instead). All-or-nothing.
    """
    errors: dict[str, str] = {}
    _check_period(starts_on, ends_on, errors)
    if level not in ResponsibilityLevel.values:
        raise ValidationError({"level": _("unknown level “%s”") % (level,)})
    if errors:
        raise ValidationError(errors)
    rules = _rules(starts_on)
    if not _eligible(worker, level, rules):
        errors["worker"] = _("%(worker)s holds no category allowed for level %(level)s (rule set %(rules)s)") % {
            "worker": worker,
            "level": level,
            "rules": rules.code,
        }
    rows: list[ResponsibilityAssignment] = []
    if level == ResponsibilityLevel.L4:
        if division is not None:
            errors["division"] = _("a level-4 assignment names households, not a division")
        wanted = list(households or ())
        if not wanted:
            errors["households"] = _("at least one household is required")
        strangers = [h.pk for h in wanted if h.district_id != worker.district_id]
        if strangers:
            errors["households"] = _("households not in the worker's district: %s") % strangers
        for h in wanted:
            rows.append(
                ResponsibilityAssignment(
                    district_id=h.district_id,
                    level=level,
                    worker=worker,
                    division_id=h.unit_id or h.building_id or h.compound_id or h.community_id,
                    household_id=h.pk,
                    community_id=h.community_id,
                    compound_id=h.compound_id,
                    path=h.path,
                    starts_on=starts_on,
                    ends_on=ends_on,
                )
            )
    else:
        if households:
            errors["households"] = _("only a level-4 assignment names households")
        if division is None:
            errors["division"] = _("a division is required")
        elif division.level not in UNIT_LEVELS[level]:
            errors["division"] = _("level %(level)s cannot be assigned to %(division)s") % {
                "level": level,
                "division": division,
            }
        elif division.district_id != worker.district_id:
            errors["division"] = _("%(division)s is not in the worker's district") % {"division": division}
        else:
            rows.append(
                ResponsibilityAssignment(
                    district_id=division.district_id,
                    level=level,
                    worker=worker,
                    division=division,
                    community_id=division.id if division.level == Level.COMMUNITY else division.parent_id,
                    compound_id=division.id if division.level == Level.COMPOUND else None,
                    path=division.code,
                    starts_on=starts_on,
                    ends_on=ends_on,
                )
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        clashes = _clashes(level, rows, starts_on, ends_on)
        if clashes:
            raise ValidationError({"starts_on": clashes})
        try:
            with transaction.atomic():
                created = ResponsibilityAssignment.objects.bulk_create(rows, batch_size=500)
        except IntegrityError as exc:
            raise _integrity(exc) from exc
        audit.record_many(actor=actor, action="assign", objects=created, detail={"level": level})
    return created


def _clashes(level: int, rows: list[ResponsibilityAssignment], starts_on, ends_on) -> list[str]:
    """Messages naming each unit of ``rows`` that already has someone at ``level`` in the period."""
    qs = ResponsibilityAssignment.objects.filter(_overlaps(starts_on, ends_on), level=level)
    if level == ResponsibilityLevel.L4:
        qs = qs.filter(household_id__in=[r.household_id for r in rows])
    else:
        qs = qs.filter(division_id__in=[r.division_id for r in rows], household__isnull=True)
    return [
        _("%(unit)s: %(worker)s is responsible from %(start)s")
        % {
            "unit": _unit_label(a),
            "worker": a.worker.name,
            "start": a.starts_on,
        }
        for a in qs.select_related("worker")[:20]
    ]


def assignment_hand_over(
    *,
    actor,
    assignments: Iterable[ResponsibilityAssignment],
    to_worker: Worker,
    on: dt.date,
    reason: str = "",
) -> list[ResponsibilityAssignment]:
    """Hand ``assignments`` over to ``to_worker`` from day ``on``: each ends on ``on - 1`` with reason
    ``handed_over`` and a new row starts on ``on`` (same unit, same end date, ``previous`` set), so the
    history keeps one answer for every day. Returns the new rows.

    Each assignment must have started before ``on`` and still run on ``on``; ``to_worker`` must be
    allowed for its level (GridRuleSet in force on ``on``). Status changes are conditional updates:
    an assignment changed meanwhile raises ValidationError and nothing is written.
    """
    olds = list(assignments)
    errors: dict[str, object] = {}
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise ValidationError({"on": _("a date is required, got “%s”") % (on,)})
    if not olds:
        errors["assignments"] = _("nothing to hand over")
    rules = _rules(on)
    bad = []
    for a in olds:
        if not (a.starts_on < on and (a.ends_on is None or a.ends_on >= on)):
            bad.append(
                _("%(unit)s: the assignment runs %(start)s–%(end)s, so it cannot be handed over on %(on)s")
                % {"unit": _unit_label(a), "start": a.starts_on, "end": a.ends_on or "…", "on": on}
            )
        elif a.worker_id == to_worker.pk:
            bad.append(_("%(unit)s: %(worker)s is already responsible") % {"unit": _unit_label(a), "worker": to_worker})
    if bad:
        errors["assignments"] = bad
    levels = {a.level for a in olds}
    for level in levels:
        if not _eligible(to_worker, level, rules):
            errors["to_worker"] = _("%(worker)s holds no category allowed for level %(level)s") % {
                "worker": to_worker,
                "level": level,
            }
    if any(a.district_id != to_worker.district_id for a in olds):
        errors["to_worker"] = _("%s is not in the district of these assignments") % to_worker
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        new_rows = [
            ResponsibilityAssignment(
                district_id=a.district_id,
                level=a.level,
                worker=to_worker,
                division_id=a.division_id,
                household_id=a.household_id,
                community_id=a.community_id,
                compound_id=a.compound_id,
                path=a.path,
                starts_on=on,
                ends_on=a.ends_on,
                previous=a,
            )
            for a in olds
        ]
        for a in olds:  # close after copying: the new rows keep the old end dates
            _close(a, ends_on=on - ONE_DAY, reason=EndReason.HANDED_OVER, field="assignments", label=_unit_label(a))
        try:
            with transaction.atomic():
                created = ResponsibilityAssignment.objects.bulk_create(new_rows, batch_size=500)
        except IntegrityError as exc:
            raise _integrity(exc) from exc
        audit.record_many(
            actor=actor, action="hand_over", objects=created, reason=f"{EndReason.HANDED_OVER}: {reason}".strip(": ")
        )
    return created


def assignment_end(
    *,
    actor,
    assignments: Iterable[ResponsibilityAssignment],
    ends_on: dt.date,
    reason: str,
    note: str = "",
) -> int:
    """End ``assignments`` on ``ends_on`` (inclusive) with an EndReason code; returns how many.

    The unit then has nobody at that level from the next day (a gap the coverage report shows).
    Conditional updates: an assignment changed meanwhile raises ValidationError, nothing is written.
    """
    olds = list(assignments)
    errors: dict[str, object] = {}
    if reason not in EndReason.values:
        errors["reason"] = _("unknown reason code “%s”") % (reason,)
    if not isinstance(ends_on, dt.date) or isinstance(ends_on, dt.datetime):
        errors["ends_on"] = _("a date is required, got “%s”") % (ends_on,)
    else:
        bad = [_unit_label(a) for a in olds if ends_on < a.starts_on or (a.ends_on is not None and ends_on > a.ends_on)]
        if bad:
            errors["ends_on"] = _("“%(day)s” is outside the period of: %(units)s") % {"day": ends_on, "units": bad}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for a in olds:
            _close(a, ends_on=ends_on, reason=reason, field="assignments", label=_unit_label(a))
        audit.record_many(actor=actor, action="status", objects=olds, reason=f"{reason}: {note}".strip(": "))
    return len(olds)


@dataclass(frozen=True)
class GapFill:
    """One confirmed proposal line: make ``worker_id`` responsible at ``level`` for household
    ``household_id`` (L4) or division ``division_id`` (L1-L3)."""

    level: int
    worker_id: int
    household_id: int | None = None
    division_id: int | None = None

    def token(self) -> str:
        """``"4:<worker>:h<household>"`` or ``"3:<worker>:d<division>"`` (the form value on the page)."""
        unit = f"h{self.household_id}" if self.household_id else f"d{self.division_id}"
        return f"{self.level}:{self.worker_id}:{unit}"

    @classmethod
    def parse(cls, token: str) -> GapFill:
        """Inverse of :meth:`token`; raises ValidationError naming the token when malformed."""
        try:
            level, worker, unit = token.split(":")
            kind, number = unit[0], int(unit[1:])
            if kind not in "hd":
                raise ValueError(kind)
            return cls(
                level=int(level),
                worker_id=int(worker),
                household_id=number if kind == "h" else None,
                division_id=number if kind == "d" else None,
            )
        except (ValueError, IndexError):
            raise ValidationError({"items": _("malformed proposal item “%s”") % (token,)}) from None


def gap_fill_confirm(
    *, actor, items: Sequence[GapFill], on: dt.date, allowed_code: str
) -> list[ResponsibilityAssignment]:
    """Create the assignments a person confirmed from the gap-fill proposal (selectors.propose_gap_fill),
    all starting on ``on``, open-ended. Nothing is assigned without this confirmation.

    Every unit must lie inside ``allowed_code`` (the division the confirming user manages) and still be
    a gap; otherwise ValidationError naming the item, and nothing is written.
    """
    if not items:
        raise ValidationError({"items": _("select at least one proposal to confirm")})
    workers = {w.pk: w for w in Worker.objects.filter(pk__in={i.worker_id for i in items})}
    households = {h.pk: h for h in Household.objects.filter(pk__in={i.household_id for i in items if i.household_id})}
    divisions = {d.pk: d for d in Division.objects.filter(pk__in={i.division_id for i in items if i.division_id})}
    problems = []
    for item in items:
        unit = households.get(item.household_id) if item.household_id else divisions.get(item.division_id)
        unit_code = getattr(unit, "path", None) or getattr(unit, "code", None)
        if item.worker_id not in workers or unit is None:
            problems.append(_("%s: unknown worker or unit") % item.token())
        elif not unit_code.startswith(allowed_code):
            problems.append(
                _("%(item)s: %(code)s is outside %(allowed)s")
                % {"item": item.token(), "code": unit_code, "allowed": allowed_code}
            )
    if problems:
        raise ValidationError({"items": problems})
    created: list[ResponsibilityAssignment] = []
    with transaction.atomic():
        l4: dict[int, list[Household]] = {}
        for item in items:
            if item.level == ResponsibilityLevel.L4:
                l4.setdefault(item.worker_id, []).append(households[item.household_id])
            else:
                created += assignment_create(
                    actor=actor,
                    level=item.level,
                    worker=workers[item.worker_id],
                    division=divisions[item.division_id],
                    starts_on=on,
                )
        for worker_id, hs in l4.items():
            created += assignment_create(
                actor=actor, level=ResponsibilityLevel.L4, worker=workers[worker_id], households=hs, starts_on=on
            )
        audit.record(
            actor=actor,
            action="gap_fill_confirm",
            object_type="workforce.responsibilityassignment",
            division_code=allowed_code,
            detail={"items": len(items), "on": on.isoformat()},
        )
    return created
