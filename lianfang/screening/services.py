"""Every write of testing rounds (atomic, validated, audited). Rules: ../shared/docs/domain.md §4.

Errors:

- ``django.core.exceptions.ValidationError`` — bad input, with a dict naming the field and value;
- ``django.core.exceptions.PermissionDenied`` — the actor lacks the capability at that division
  (RUN_ROUNDS to open rounds, sites, desks and import results; FIELD_WORK to sample);
- :class:`Refused` — a desk submission that cannot be applied (tube full, tube closed, person already
  sampled in this round...), with a ``code`` the desk page shows.

Status changes are conditional updates (``filter(pk=..., status=old).update(...) == 1``) with a
:class:`~lianfang.screening.models.ReasonCode`. ``actor=None`` is the system (management commands).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Length, Substr
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message, require
from lianfang.core import audit, bulk, db, idnumber, pii
from lianfang.core.forms import items_line, moment_text
from lianfang.core.scoping import scope_for, subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.registry.models import DocumentType, Household, Resident
from lianfang.screening import deskpath, links
from lianfang.screening.models import (
    DOOR_TO_DOOR_MODES,
    TUBE_CAPACITY,
    ExceptionReason,
    FollowUpMember,
    FollowUpMemberStatus,
    FollowUpStatus,
    LabResult,
    MemberResult,
    Notice,
    PoolFollowUp,
    PoolFollowUpStep,
    PoolingMode,
    ReasonCode,
    ResultException,
    ResultImport,
    ResultValue,
    RoundMember,
    RoundNode,
    RoundStatus,
    Sample,
    SamplePurpose,
    SamplingDesk,
    SamplingSite,
    SamplingTask,
    ScreeningRuleSet,
    StepKind,
    SubmissionKey,
    TaskKind,
    TaskStatus,
    TestingRound,
    Tube,
    TubeStatus,
)
from lianfang.zones.services import common_path

BARCODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{5,39}$")
HOUSEHOLD_QR_PREFIX = "LFH:"


class Refused(ValidationError):
    """A desk submission refused; ``code`` is one of ``tube_full``, ``tube_closed``, ``duplicate``,
    ``household_mismatch``, ``not_found``, ``empty_tube``, ``barcode_taken``, ``round_closed``,
    ``bad_input``; ``detail`` is a dict shown with it (e.g. where the person was sampled)."""

    def __init__(self, code: str, message: str, detail: dict | None = None):
        super().__init__(message, code=code)
        self.code = code
        self.detail = detail or {}


class Malformed(Refused):
    """A desk submission whose input cannot be read (code ``bad_input``): an invalid ID number, a
    scan that is neither an ID number, a household QR code nor a tube barcode, a malformed barcode,
    tube key or kind. desk_submit answers it with 400 and does not store it under the key (the same
    body always gets the same answer), like an unreadable ``at``."""

    def __init__(self, message: str, detail: dict | None = None):
        super().__init__("bad_input", message, detail)


ECHO_LENGTH = 20


def echo(value: object) -> str:
    """``value`` as a desk message may quote it: runs of 7 or more digits masked
    (core.pii.mask_numbers_in: an ID number as ``6201**********1936``), then cut to
    :data:`ECHO_LENGTH` characters and "…" (a 100-digit scan is never echoed in full)."""
    text = pii.mask_numbers_in(value)
    return text if len(text) <= ECHO_LENGTH else text[:ECHO_LENGTH] + "…"


# --------------------------------------------------------------------------------------------- helpers


def rules() -> ScreeningRuleSet:
    """The screening rule set in force (the default one); raises ScreeningRuleSet.DoesNotExist."""
    found = ScreeningRuleSet.objects.filter(is_default=True).first()
    if found is None:
        ensure_shipped_rules()
        found = ScreeningRuleSet.objects.get(is_default=True)
    return found


def ensure_shipped_rules() -> None:
    """Re-create the shipped rule set (tests that flush the database remove migration data)."""
    import importlib  # noqa: PLC0415

    from django.apps import apps  # noqa: PLC0415

    importlib.import_module("lianfang.screening.migrations.0002_shipped_rule_set").load(apps)


def out_of_reach(value) -> str:
    """ "<value> 不存在或不在您的范围内": the one answer for an id or code that is unknown or that the
    caller may not see (the same words for both, so ids cannot be probed)."""
    return _("%(id)s does not exist or is outside your scope") % {"id": value}


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("time %(value)s has no time zone") % {"value": at}})
    return at


def mask_name(name: str) -> str:
    """``张三`` → ``张*``; ``王小芳`` → ``王*芳``; Latin names keep the first letter of each word."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if name.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --------------------------------------------------------------------------------------------- rounds


def _node_q(codes: Sequence[str], field: str = "path") -> Q:
    q = Q()
    for code in codes:
        q |= subtree_q(field, code)
    return q


def _minimal(codes: Iterable[str]) -> list[str]:
    roots: list[str] = []
    for code in sorted(set(codes), key=len):
        if not any(code.startswith(r) for r in roots):
            roots.append(code)
    return sorted(roots)


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
    ValidationError (no name, no nodes, nodes of several districts or above a district, deadline not
    after ``at``; ``{"control_area": …}`` for an area that does not exist or that ``actor`` may not
    read, the same words for both, checked before any permission so the error names no place) and
    PermissionDenied (RUN_ROUNDS at the nodes' common division).
    """
    at = _now(at)
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("give a name")
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
    """Add a sampling site at ``division`` (inside the round's scope). Raises ValidationError and
    PermissionDenied (RUN_ROUNDS)."""
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = _("give a name")
    elif SamplingSite.objects.filter(round=round, name=name).exists():
        errors["name"] = _("a site named %(name)s already exists in this round") % {"name": name}
    if not round.nodes.filter(Q(code__in=[division.code[:n] for n in CODE_LENGTHS.values()])).exists():
        errors["division"] = _("%(place)s is outside the round") % {"place": division}
    if round.status != RoundStatus.OPEN:
        errors["round"] = _("round %(name)s is not open") % {"name": round.name}
    if planned_people < 0:
        errors["planned_people"] = _("must be 0 or more, got %(value)s") % {"value": planned_people}
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
    Raises ValidationError (name, mode, capacity) and PermissionDenied (RUN_ROUNDS)."""
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = _("give a name")
    elif SamplingDesk.objects.filter(site=site, name=name).exists():
        errors["name"] = _("a desk named %(name)s already exists at this site") % {"name": name}
    if mode and mode not in PoolingMode.values:
        errors["mode"] = _("unknown pooling mode “%(value)s”") % {"value": mode}
    if capacity_per_hour <= 0:
        errors["capacity_per_hour"] = _("must be more than 0, got %(value)s") % {"value": capacity_per_hour}
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


# --------------------------------------------------------------------------------------------- the desk


@dataclass
class Person:
    """Who is being swabbed, as resolved from a scan or a pick."""

    resident: Resident | None
    name: str
    id_number: str = ""
    document_type: str = DocumentType.RESIDENT_ID
    guardian: Resident | None = None
    # the round member id when the caller already looked it up (desk fast path); None = not looked up
    member_id: int | None = None
    member_known: bool = False

    @property
    def key(self) -> str:
        if self.resident is not None:
            return f"r{self.resident.pk}"
        if self.id_number:
            return "i" + pii.lookup_hash("id", self.id_number)[:30]
        if self.guardian is not None:
            return f"g{self.guardian.pk}:{self.name}"[:40]
        return ""


def household_qr_payload(household: Household) -> str:
    """The text of a household's printed QR code: ``LFH:<id>:<16 hex of a keyed hash>``."""
    return f"{HOUSEHOLD_QR_PREFIX}{household.pk}:{pii.lookup_hash('household-qr', str(household.pk))[:16]}"


def household_from_qr(text: str) -> Household:
    """The household named by a QR payload; Refused(``not_found``) for a forged or unknown code."""
    try:
        _prefix, pk, sig = text.split(":")
        household = Household.objects.get(pk=int(pk))
    except (ValueError, Household.DoesNotExist):
        raise Refused("not_found", _("Unknown household QR code “%(value)s”") % {"value": echo(text)}) from None
    if household_qr_payload(household) != text:
        raise Refused("not_found", _("Unknown household QR code “%(value)s”") % {"value": echo(text)})
    return household


def resolve_id(raw: str, *, name: str = "") -> Person:
    """The person carrying ID number ``raw`` (GB 11643): the registered resident, or an unregistered
    person kept "to verify" (never dropped). Refused(``bad_input``) for an invalid number."""
    number = _parse_id(raw)
    resident = Resident.objects.filter(id_hash=pii.lookup_hash("id", number)).first()
    if resident is not None:
        return Person(resident=resident, name=resident.name, id_number=number)
    return _unregistered(number, name)


def _parse_id(raw: str) -> str:
    try:
        return idnumber.parse(raw).number
    except idnumber.IdNumberError as exc:
        raise Malformed(_("%(error)s: “%(value)s”") % {"error": exc, "value": echo(raw)}) from None


def _unregistered(number: str, name: str) -> Person:
    return Person(resident=None, name=" ".join(name.split()) or _("(unregistered)"), id_number=number)


def resolve_child(guardian_id: str, child_name: str) -> Person:
    """A child without an ID number, via a guardian's ID: the guardian's ward of that name (or the
    only ward without a document), else an unregistered child kept with the guardian."""
    guardian = resolve_id(guardian_id)
    child_name = " ".join((child_name or "").split())
    if guardian.resident is None:
        if not child_name:
            raise Refused("bad_input", _("Give the child's name"))
        return Person(resident=None, name=child_name, document_type=DocumentType.NONE)
    wards = list(Resident.objects.filter(guardian=guardian.resident, is_deceased=False))
    match = [w for w in wards if w.name == child_name] if child_name else [w for w in wards if not w.id_hash]
    if len(match) == 1:
        return Person(resident=match[0], name=match[0].name, guardian=guardian.resident)
    if not child_name:
        raise Refused("bad_input", _("Give the child's name"))
    return Person(resident=None, name=child_name, document_type=DocumentType.NONE, guardian=guardian.resident)


def _station(desk: SamplingDesk | None, task: SamplingTask | None):
    if (desk is None) == (task is None):
        raise ValidationError({"station": _("give a desk or a task")})
    return desk or task


def _purpose(task: SamplingTask | None) -> str:
    if task is not None and task.kind == TaskKind.RETEST:
        return SamplePurpose.RETEST
    if task is not None and task.kind == TaskKind.RESAMPLE:
        return SamplePurpose.RESAMPLE
    return SamplePurpose.SCREENING


_TUBE_TAKE_SQL: dict[str, tuple[str, list]] = {}


def _tube_take_sql() -> tuple[str, list]:
    """The tube upsert of :func:`_tube_take` for this database (PostgreSQL and SQLite both take
    ``INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING``), and the Tube fields it inserts."""
    vendor = connection.vendor
    if vendor not in _TUBE_TAKE_SQL:
        fields = [f for f in Tube._meta.concrete_fields if not f.primary_key]
        t = connection.ops.quote_name(Tube._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = (
            f"INSERT INTO {t} ({columns}) VALUES ({marks}) "  # noqa: S608 (names from the model, values bound)
            f"ON CONFLICT (round_id, client_key) DO UPDATE SET people = {t}.people + %s, "
            f"household_id = COALESCE({t}.household_id, excluded.household_id) "
            f"WHERE {t}.status = 'open' AND COALESCE({t}.desk_id, 0) = %s AND COALESCE({t}.task_id, 0) = %s "
            f"AND ({t}.capacity IS NULL OR {t}.people + %s <= {t}.capacity) "
            f"AND (%s = 0 OR {t}.household_id IS NULL OR {t}.household_id = %s) "
            "RETURNING id, people, capacity, status, barcode, household_id"
        )
        _TUBE_TAKE_SQL[vendor] = (sql, fields)
    return _TUBE_TAKE_SQL[vendor]


def _tube_take(rnd, desk, task, tube_key: str, n: int, household_id: int | None, at) -> Tube:
    """Put ``n`` people into the open tube ``tube_key`` of the station in ONE statement: the tube is
    created on first use with the station's mode and capacity, or its ``people`` grows by ``n`` only
    when it is open, of this station, has room (capacity by mode) and, for a household tube, holds the
    same household. The row stays locked until the transaction ends (concurrent submissions into one
    tube queue there). Returns a Tube whose id, people, capacity, status, barcode and household come
    from the row (its other fields are the station's, ``opened_at`` this submission's time). Raises
    Refused ``tube_full``, ``tube_closed``, ``household_mismatch`` or ``bad_input`` (the tube belongs
    to another station), found by a second look only when refused."""
    new, sql, params = _tube_take_statement(rnd, desk, task, tube_key, n, household_id, at)
    with db.hot_cursor() as cursor:
        db.execute_hot(cursor, sql, params)
        row = cursor.fetchone()
    if row is not None:
        new.pk, new.people, new.capacity, new.status, new.barcode, new.household_id = row
        return new
    raise _tube_refusal(rnd, desk, task, tube_key, household_id)


def _tube_take_statement(rnd, desk, task, tube_key: str, n: int, household_id: int | None, at) -> tuple:
    """``(unsaved Tube, sql, params)``: the tube upsert of :func:`_tube_take` (``_tube_take_sql``)
    and its parameters for ``n`` people into ``tube_key``. Raises Refused ``tube_full`` when ``n``
    alone exceeds the station's capacity."""
    station = desk or task
    capacity = TUBE_CAPACITY.get(station.mode)
    if capacity is not None and n > capacity:
        raise _tube_full(0, capacity)
    new = Tube(
        round=rnd,
        desk=desk,
        task=task,
        client_key=tube_key,
        mode=station.mode,
        capacity=capacity,
        people=n,
        household_id=household_id,
        path=station.path,
        opened_at=at,
    )
    sql, fields = _tube_take_sql()
    params = db.field_values(new, fields)
    household_rule = 1 if station.mode == PoolingMode.HOUSEHOLD else 0
    params += [n, desk.pk if desk else 0, task.pk if task else 0, n, household_rule, household_id]
    return new, sql, params


def _tube_refusal(rnd, desk, task, tube_key: str, household_id: int | None) -> Refused:
    """Why the tube upsert took nobody (a second look at the tube, only when refused): Refused
    ``bad_input`` (another station's tube), ``tube_closed``, ``household_mismatch`` or ``tube_full``."""
    station = desk or task
    tube = Tube.objects.get(round=rnd, client_key=tube_key)
    if tube.desk_id != (desk.pk if desk else None) or tube.task_id != (task.pk if task else None):
        return Refused("bad_input", _("Tube %(key)s belongs to another desk") % {"key": tube_key})
    if tube.status != TubeStatus.OPEN:
        closed = _("Tube %(barcode)s is already closed") % {"barcode": shown_barcode(tube.barcode)}
        return Refused("tube_closed", closed)
    if station.mode == PoolingMode.HOUSEHOLD and tube.household_id and tube.household_id != household_id:
        return Refused("household_mismatch", _("A household tube holds one household only"))
    return _tube_full(tube.people, tube.capacity)


def _tube_full(people: int, capacity: int) -> Refused:
    return Refused(
        "tube_full",
        _("The tube is full (%(people)d of %(capacity)d): scan its barcode to close it")
        % {"people": people, "capacity": capacity},
    )


def pickable_residents(*, user, round_id: int):
    """Residents a desk of round ``round_id`` may register by their internal id (the desk's name
    search, kind ``"resident"``): ``Resident.objects.visible_to(user)`` AND in the round's population
    — a member of the round not removed, or a living resident under one of the round's nodes (arrived
    since the snapshot; added late when sampled). A queryset; ``user=None`` (the system) sees all."""
    base = Resident.objects.all() if user is None else Resident.objects.visible_to(user)
    members = RoundMember.objects.filter(round_id=round_id, removed=False).values("resident_id")
    under_node = RoundNode.objects.filter(round_id=round_id, code=Substr(OuterRef("path"), 1, Length("code")))
    return base.filter(Q(pk__in=members) | Q(Exists(under_node), is_deceased=False))


def _shows_registry(actor, person: Person) -> bool:
    """Whether the desk's answer may show registry details (masked name and ID) of ``person``.

    Rule (domain.md §4 "desk"): a person from elsewhere who turns up at a desk is sampled and kept
    (flagged "outside this round's area"), but the operator learns from the registry only what they
    may see anyway: the details of residents ``visible_to`` them. For anyone else the answer shows
    what the operator typed or scanned (the name given, the scanned ID masked), so a desk cannot be
    used to look up people by ID number, household code or guardian. The system (``actor=None``)
    sees all."""
    r = person.resident
    if r is None or actor is None:
        return True
    scope = scope_for(actor)
    if scope.covers_code(r.path):
        return True
    if not scope.household_querysets:
        return False
    return Resident.objects.visible_to(actor).filter(pk=r.pk).exists()


def _person_view(person: Person, registry: bool = True) -> dict:
    """What the desk's answer says of ``person``: masked ``name`` and ``id``, ``unregistered``,
    masked ``guardian``; with ``registry=False`` (see :func:`_shows_registry`) no registry detail."""
    r = person.resident
    if r is not None and not registry:
        return {
            "name": _("(registered outside your area)"),
            "id": pii.mask_id(person.id_number) if person.id_number else "",
            "unregistered": False,
            "guardian": "",
        }
    return {
        "name": mask_name(person.name) if r is not None or person.name != _("(unregistered)") else person.name,
        "id": r.id_masked if r is not None else pii.mask_id(person.id_number),
        "unregistered": r is None,
        "guardian": mask_name(person.guardian.name) if person.guardian else "",
    }


def _tube_view(tube: Tube) -> dict:
    return {
        "key": tube.client_key,
        "id": tube.pk,
        "people": tube.people,
        "capacity": tube.capacity,
        "mode": tube.mode,
        "status": tube.status,
        "barcode": tube.barcode,
    }


def samples_register(
    *,
    actor,
    persons: Sequence[Person],
    tube_key: str,
    idempotency_key: str,
    desk: SamplingDesk | None = None,
    task: SamplingTask | None = None,
    taken_at: dt.datetime | None = None,
) -> tuple[list[Sample], Tube]:
    """Swab ``persons`` into the open tube ``tube_key`` of ``desk`` (or ``task``), all or nothing.

    The round is the desk's or task's. The tube is created on first use with the station's mode;
    capacity is enforced by mode (k for a k-in-1 pool, 1 for a single tube, one household for a
    household tube) by a conditional update and a database check. A person already sampled in this
    round (screening) is refused with ``duplicate`` and where they were sampled; the unique index on
    (round, person) makes sure exactly one of two concurrent desks wins. A resident missing from the
    round's snapshot (arrived since) is added to the open round. Raises Refused, ValidationError,
    PermissionDenied (FIELD_WORK at the station).
    """
    station, rnd, at, purpose, households = _registration_checks(actor, persons, tube_key, desk, task, taken_at)
    n = len(persons)
    try:
        with transaction.atomic(savepoint=False):  # all or nothing with the caller's transaction
            tube = _tube_take(rnd, desk, task, tube_key, n, next(iter(households), None), at)
            members = _members_for(rnd, persons)
            samples = _samples_for(actor, persons, rnd, tube, station, members, purpose, at, idempotency_key)
            # the unique indexes decide: one screening sample per person and round, one per key
            if n == 1 and task is None and purpose == SamplePurpose.SCREENING and connection.vendor == "postgresql":
                _insert_screened(samples[0])  # sample and member in one statement
            else:
                if n == 1:
                    db.insert_one(samples[0])  # a prepared INSERT, without the ORM's query building
                else:
                    Sample.objects.bulk_create(samples)
                _after_samples(rnd, samples, task, purpose)
            audit.record(
                actor=actor,
                action="screening.sample",
                obj=tube,
                reason=ReasonCode.SAMPLED,
                detail=_sampled_detail(samples, idempotency_key),
            )
    except IntegrityError as exc:
        raise _sample_refusal(exc, rnd, persons) from None
    return samples, tube


def _registration_checks(actor, persons, tube_key, desk, task, taken_at) -> tuple:
    """The checks of :func:`samples_register` before anything is written, in its order: somebody to
    register, a well-formed tube key, FIELD_WORK (or RUN_ROUNDS) at the station, the round open, no
    person twice, a household tube's one household. Returns ``(station, round, time taken,
    purpose, {household ids})``; raises Refused, Malformed, PermissionDenied."""
    station = _station(desk, task)
    rnd = station.round
    at = _now(taken_at)
    if not persons:
        raise Refused("bad_input", _("Nobody to register"))
    if not re.fullmatch(r"[A-Za-z0-9\-_]{4,64}", tube_key or ""):
        raise Malformed(_("Tube key “%(value)s” is malformed") % {"value": echo(tube_key)})
    _require_field_work(actor, station)
    if rnd.status != RoundStatus.OPEN:
        raise Refused("round_closed", _("Round %(name)s is closed") % {"name": rnd.name})
    keys = [p.key for p in persons]
    if len([k for k in keys if k]) != len({k for k in keys if k}):
        raise Refused("duplicate", _("The same person is listed twice"))
    purpose = _purpose(task)
    households = {p.resident.household_id for p in persons if p.resident is not None}
    if station.mode == PoolingMode.HOUSEHOLD:
        if len(households) > 1:
            raise Refused("household_mismatch", _("A household tube holds one household only"))
        if not households:
            raise Refused("household_mismatch", _("A household tube holds registered household members"))
    return station, rnd, at, purpose, households


def _samples_for(actor, persons, rnd, tube, station, members, purpose, at, idempotency_key) -> list[Sample]:
    """The unsaved Sample of each of ``persons`` swabbed into ``tube`` (None: set later) at ``at``;
    ``members`` maps resident ids to their member ids in the round. Several people under one key
    get ``key:0``, ``key:1``, …"""
    n = len(persons)
    samples = []
    for i, person in enumerate(persons):
        r = person.resident
        sample = Sample(
            round=rnd,
            tube=tube,
            member_id=members.get(r.pk) if r is not None else None,
            resident=r,
            household_id=r.household_id if r is not None else None,
            guardian=person.guardian,
            path=r.path if r is not None else station.path,
            person_key=person.key,
            purpose=purpose,
            name=person.name[:60],
            unregistered=r is None,
            taken_at=at,
            taken_by=_actor(actor),
            idempotency_key=idempotency_key if n == 1 else f"{idempotency_key}:{i}",
        )
        if r is None and person.id_number:
            sample.set_id_number(person.id_number, person.document_type)
        samples.append(sample)
    return samples


def _sampled_detail(samples: Sequence[Sample], idempotency_key: str) -> dict:
    """The detail of a ``screening.sample`` audit entry: people, the submission key, unregistered."""
    return {"people": len(samples), "key": idempotency_key, "unregistered": sum(1 for s in samples if s.unregistered)}


def _sample_refusal(exc: IntegrityError, rnd, persons) -> Refused:
    """The Refused for a unique index that refused a sample: ``duplicate`` (the person is already
    sampled in the round; ``explain`` says where, run at once when no transaction is open any more)
    or ``replayed`` (the submission key was already used). Re-raises ``exc`` for any other constraint."""
    if "sample_one_screening_per_person" in str(exc) or "person_key" in str(exc):
        refused = Refused("duplicate", _("Already sampled in this round"))
        refused.explain = lambda: _check_duplicates(rnd, [p.key for p in persons])
        if not connection.in_atomic_block:  # rolled back already: say where the person was sampled
            refused.explain()
        return refused
    if "idempotency_key" in str(exc) or "sample_idempotency" in str(exc):
        return Refused("replayed", _("This submission was already recorded"))
    raise exc


def _require_field_work(actor, station) -> None:
    if actor is None:
        return
    if not (can(actor, Capability.FIELD_WORK, station.path) or can(actor, Capability.RUN_ROUNDS, station.path)):
        raise PermissionDenied(denied_message(Capability.FIELD_WORK, station.path))


def _check_duplicates(rnd: TestingRound, keys: Sequence[str]) -> None:
    found = (
        Sample.objects.filter(round=rnd, purpose=SamplePurpose.SCREENING, person_key__in=[k for k in keys if k])
        .select_related("tube__desk__site", "tube__task")
        .first()
    )
    if found is not None:
        tube = found.tube
        where = str(tube.desk) if tube.desk_id else str(tube.task)
        raise Refused(
            "duplicate",
            _("%(name)s was already sampled in this round at %(where)s (%(time)s)")
            % {
                "name": _shown_sample_name(found),
                "where": where,
                "time": timezone.localtime(found.taken_at).strftime("%m-%d %H:%M"),
            },
            {"tube": tube.barcode or tube.client_key, "where": where},
        )


def _shown_sample_name(sample: Sample) -> str:
    """The name of ``sample``'s person as desk messages show it: masked (``mask_name``), except the
    placeholder an unregistered person without a name was stored under — “(unregistered)” in the
    language the desk used then — which reads as the placeholder in the current language, not as a
    masked name (new-user trial 8: “（***）”)."""
    if sample.resident_id is None:
        placeholders = set()
        for code, _label in settings.LANGUAGES:
            with translation.override(code):
                placeholders.add(_("(unregistered)"))
        if sample.name in placeholders:
            return _("(unregistered)")
    return mask_name(sample.name)


def _members_for(rnd: TestingRound, persons: Sequence[Person]) -> dict[int, int]:
    """Round member ids of the registered ``persons`` (``{resident id: member id}``), using the ids the
    caller already looked up; a resident missing from an open round's snapshot is added (added late)."""
    members = {p.resident.pk: p.member_id for p in persons if p.resident is not None and p.member_id}
    unknown = [p.resident for p in persons if p.resident is not None and not p.member_known]
    if unknown:
        members.update(RoundMember.objects.filter(round=rnd, resident__in=unknown).values_list("resident_id", "id"))
    missing = [p.resident for p in persons if p.resident is not None and p.resident.pk not in members]
    if missing and rnd.status == RoundStatus.OPEN:
        codes = list(rnd.nodes.values_list("code", flat=True))
        inside = [r for r in missing if any(r.path.startswith(c) for c in codes)]
        if inside:
            modes = links.ModeIndex(None, rules().fallback_pooling_mode)
            with contextlib.suppress(Exception):  # zones rule sets missing: the fallback mode
                modes = links.mode_index(rnd.path[:6], fallback=modes.baseline_mode)
            created = [
                RoundMember(
                    round=rnd,
                    resident_id=r.pk,
                    household_id=r.household_id,
                    path=r.path,
                    mode=modes.mode_for(r.path),
                    added_late=True,
                )
                for r in inside
            ]
            RoundMember.objects.bulk_create(created)
            TestingRound.objects.filter(pk=rnd.pk).update(expected_people=F("expected_people") + len(created))
            members.update(RoundMember.objects.filter(round=rnd, resident__in=inside).values_list("resident_id", "id"))
    return members


def _after_samples(rnd, samples: Sequence[Sample], task: SamplingTask | None, purpose: str) -> None:
    member_ids = [s.member_id for s in samples if s.member_id]
    if purpose == SamplePurpose.SCREENING:
        table = connection.ops.quote_name(RoundMember._meta.db_table)
        with connection.cursor() as cursor:
            for s in samples:
                if s.member_id:
                    cursor.execute(
                        f"UPDATE {table} SET sample_id = %s, result = %s, awaiting_home_visit = %s "  # noqa: S608
                        "WHERE id = %s AND sample_id IS NULL",
                        [s.pk, MemberResult.PENDING, False, s.member_id],
                    )
    elif purpose == SamplePurpose.RESAMPLE:
        for s in samples:
            if s.member_id:
                RoundMember.objects.filter(pk=s.member_id).update(
                    sample=s, result=MemberResult.PENDING, awaiting_home_visit=False
                )
    elif purpose == SamplePurpose.RETEST and task is not None and task.follow_up_id:
        for s in samples:
            if s.resident_id:
                FollowUpMember.objects.filter(follow_up_id=task.follow_up_id, resident_id=s.resident_id).update(
                    retest_tube=s.tube
                )
    if task is not None and task.kind in (TaskKind.HOME_VISIT, TaskKind.RESAMPLE, TaskKind.RETEST):
        SamplingTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, status_reason=ReasonCode.SAMPLED, done_at=timezone.now()
        )
    elif task is not None and task.kind == TaskKind.SEALED_BUILDING and member_ids:
        remaining = (
            RoundMember.objects.filter(round=rnd, result="", exemption="", removed=False)
            .filter(subtree_q("path", task.path))
            .exists()
        )
        if not remaining:
            SamplingTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
                status=TaskStatus.DONE, status_reason=ReasonCode.SAMPLED, done_at=timezone.now()
            )


def tube_close(
    *,
    actor,
    tube_key: str,
    barcode: str,
    desk: SamplingDesk | None = None,
    task: SamplingTask | None = None,
    at: dt.datetime | None = None,
) -> Tube:
    """Close the open tube ``tube_key`` by binding its scanned ``barcode`` (conditional update).

    Raises Refused: ``bad_input`` (barcode format: 6-40 letters, digits or dashes), ``empty_tube``
    (nobody in it), ``barcode_taken`` (another tube has it), ``tube_closed``.
    """
    station = _station(desk, task)
    at = _now(at)
    barcode = unicodedata.normalize("NFKC", barcode or "").strip().upper()
    if not barcode:
        raise Malformed(_("The tube barcode is missing: scan the tube's barcode"))
    if not is_tube_barcode(barcode):
        raise Malformed(_("“%(value)s” is not a tube barcode") % {"value": echo(barcode)})
    _require_field_work(actor, station)
    try:
        with transaction.atomic():  # a savepoint: a barcode taken meanwhile leaves the caller's transaction usable
            tube = _tube_close_row(station.round_id, tube_key, barcode, at)
            if tube is not None:
                audit.record(actor=actor, action="screening.tube_close", obj=tube, reason=ReasonCode.BARCODE_SCANNED)
    except IntegrityError:
        message = _("Barcode %(barcode)s is already used by another tube") % {"barcode": shown_barcode(barcode)}
        raise Refused("barcode_taken", message) from None
    if tube is not None:
        return tube
    # nothing closed: say why (looked up only now, off the common path)
    tube = Tube.objects.filter(round_id=station.round_id, client_key=tube_key).first()
    if tube is None or tube.people == 0:
        raise Refused("empty_tube", _("The tube is empty: register people first"))
    if tube.barcode == barcode:
        return tube  # the same barcode scanned again: already closed with it
    raise Refused("tube_closed", _("Tube %(barcode)s is already closed") % {"barcode": shown_barcode(tube.barcode)})


_TUBE_CLOSE_SQL: dict[str, str] = {}


def _tube_close_row(round_id: int, tube_key: str, barcode: str, at: dt.datetime) -> Tube | None:
    """Close the open, non-empty tube ``tube_key`` of round ``round_id`` with ``barcode`` in ONE
    prepared statement (UPDATE … RETURNING the row); None when no such tube is open and non-empty.
    A barcode already on another tube raises IntegrityError (the unique index decides)."""
    if connection.vendor not in _TUBE_CLOSE_SQL:
        q = connection.ops.quote_name
        columns = ", ".join(q(f.column) for f in Tube._meta.concrete_fields)
        _TUBE_CLOSE_SQL[connection.vendor] = (
            f"UPDATE {q(Tube._meta.db_table)} SET status = %s, status_reason = %s, barcode = %s, closed_at = %s "  # noqa: S608
            f"WHERE round_id = %s AND client_key = %s AND status = %s AND people > 0 RETURNING {columns}"
        )
    sql = _TUBE_CLOSE_SQL[connection.vendor]
    closed_at = Tube._meta.get_field("closed_at").get_db_prep_save(at, connection)
    params = [TubeStatus.CLOSED, ReasonCode.BARCODE_SCANNED, barcode, closed_at, round_id, tube_key, TubeStatus.OPEN]
    with db.hot_cursor() as cursor:
        db.execute_hot(cursor, sql, [str(p) if isinstance(p, str) else p for p in params])
        row = cursor.fetchone()
    return None if row is None else db.instance_from_row(Tube, row)


def tubes_hand_over(*, actor, desk: SamplingDesk, lab: str, barcodes: Sequence[str]) -> dict:
    """Hand closed tubes of ``desk`` to ``lab``: returns ``{"handed": n, "unknown": [...],
    "missing": [...]}`` (tubes counted against the system, domain.md §4: bags of 20)."""
    lab = " ".join((lab or "").split())
    if not lab:
        raise ValidationError({"lab": _("name the lab")})
    _require_field_work(actor, desk)
    wanted = {unicodedata.normalize("NFKC", b).strip().upper() for b in barcodes if b.strip()}
    with transaction.atomic():
        closed = set(Tube.objects.filter(desk=desk, status=TubeStatus.CLOSED, lab="").values_list("barcode", flat=True))
        known = set(Tube.objects.filter(desk=desk, barcode__in=wanted).values_list("barcode", flat=True))
        handed = Tube.objects.filter(desk=desk, status=TubeStatus.CLOSED, barcode__in=wanted).update(lab=lab)
        report = {"handed": handed, "unknown": sorted(wanted - known), "missing": sorted(closed - wanted)}
        audit.record(actor=actor, action="screening.hand_over", obj=desk, detail={"lab": lab, **report})
    return report


# --------------------------------------------------------------------------------------------- idempotency


def replayed(key: str) -> SubmissionKey | None:
    """The stored outcome of submission ``key``, if it was already processed."""
    return SubmissionKey.objects.filter(key=key).first()


def remember(*, key: str, scope: str, user, status_code: int, response: dict, digest: str = "") -> SubmissionKey:
    """Store the outcome of submission ``key`` (unique) with the request's ``digest``
    (:func:`body_hash`); a concurrent twin gets the first outcome."""
    try:
        with transaction.atomic():
            return SubmissionKey.objects.create(
                key=key, scope=scope, user=_actor(user), status_code=status_code, response=response, body_hash=digest
            )
    except IntegrityError:
        return SubmissionKey.objects.get(key=key)


def body_hash(body) -> str:
    """SHA-256 (64 hex) of the canonical JSON of a request ``body`` (keys sorted, no spaces,
    non-JSON values as text): two requests with the same fields and values hash alike."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_reused(key: str) -> dict:
    """The 409 answer for idempotency ``key`` sent again with a different request body."""
    return {
        "status": "refused",
        "code": "key_reused",
        "message": _(
            "idempotency key %(key)s was already used for a different submission: a new submission needs a new key"
        )
        % {"key": key},
    }


def replay(previous: SubmissionKey, digest: str) -> tuple[int, dict]:
    """``(status, response)`` answering a retry under a stored key: the stored outcome marked
    ``"replayed": true`` when the request hashes alike (or the key predates hashing), else 409
    :func:`key_reused`."""
    if previous.body_hash and digest and previous.body_hash != digest:
        return 409, key_reused(previous.key)
    return previous.status_code, {**previous.response, "replayed": True}


_DESK_BODY = ("kind", "value", "tube", "name", "guardian", "at")


def desk_body_hash(station, payload: dict) -> str:
    """:func:`body_hash` of a desk submission: its station and the fields that decide its effect
    (``kind``, ``value``, ``tube``, ``name``, ``guardian``, ``at``), blanks and missing alike."""
    body = {f: str(payload.get(f) or "").strip() for f in _DESK_BODY}
    body["station"] = f"{type(station).__name__}:{station.pk}"
    return body_hash(body)


KEY_RE = re.compile(r"^[A-Za-z0-9\-_:]{8,64}$")


def desk_submit(*, actor, desk=None, task=None, payload: dict) -> tuple[int, dict]:
    """Apply one desk-page submission exactly once and return ``(HTTP status, response)``.

    ``payload``: ``key`` (client idempotency key, 8-64 characters), ``kind`` — ``"scan"`` (``value``:
    an ID number, a household QR code, or a tube barcode, which closes the tube), ``"resident"``
    (``value``: a resident id picked from a name search), ``"child"`` (``guardian``: the guardian's
    ID, ``name``: the child's name), ``"close"`` (``value``: the barcode) —, ``tube`` (the client key
    of the open tube), optional ``at`` (ISO time the scan was made, for offline queues) and ``name``
    (for an unregistered person). The outcome, success or refusal (409), is stored under ``key`` in
    the same transaction as the write, so a retry replays it and never writes twice. Input that
    cannot be read — a malformed key, an unreadable ``at``, an ID number that does not validate, a
    scan that is neither an ID number, a household QR code nor a tube barcode, a malformed barcode,
    tube key or kind (:class:`Malformed`) — is a 400 and not stored: the same body always gets the
    same answer. Values quoted in messages are masked and cut (:func:`echo`).
    """
    key = str(payload.get("key") or "")
    if not KEY_RE.match(key):
        return 400, {"status": "refused", "code": "bad_input", "message": _("Missing or malformed idempotency key")}
    kind = payload.get("kind")
    value = str(payload.get("value") or "").strip()
    tube_key = str(payload.get("tube") or "")
    station = desk or task
    number, person = "", None
    if kind == "scan":
        person = _scan_problem(value)  # unreadable: answered 400 below, never stored
        if person is None and _looks_like_id(value):
            number = _parse_id(value)
    # one look-up: whether the key was seen, whether the round is still open (the desk may come from
    # the API's short memory), and for an ID number the resident and their member id in the round
    seen, round_open, found = _desk_lookup(key, station.round_id, number, str(payload.get("name") or ""))
    person = person or found
    if round_open is False:
        person = Refused("round_closed", _("Round %(name)s is closed") % {"name": station.round.name})
    digest = desk_body_hash(station, payload)
    if seen:
        previous = replayed(key)
        if previous is not None:
            return replay(previous, digest)
    at = None
    if payload.get("at"):
        try:
            at = _sample_time(str(payload["at"]), station.round)
        except Refused as exc:  # not stored under the key: the desk corrects its clock and retries
            return 400, {"status": "refused", "code": exc.code, "message": exc.messages[0], **exc.detail}
    try:
        if isinstance(person, Refused):
            raise person
        if _one_statement(desk, task, kind, person):
            status, response = _desk_register_one(actor, desk, person, tube_key, key, at, digest)
        else:
            with transaction.atomic():
                status, response = _desk_apply(actor, desk, task, kind, value, tube_key, key, at, payload, person)
                _remember_in_transaction(
                    key=key, scope="desk", user=actor, status_code=status, response=response, digest=digest
                )
    except Refused as exc:
        explain = getattr(exc, "explain", None)
        if explain is not None:  # the transaction is over: say where the person was sampled
            try:
                explain()
            except Refused as detailed:
                exc = detailed
        # the same submission may have been applied meanwhile by a concurrent retry: replay its outcome
        previous = replayed(key)
        if previous is not None:
            return replay(previous, digest)
        response = {"status": "refused", "code": exc.code, "message": exc.messages[0], **exc.detail}
        if isinstance(exc, Malformed):  # unreadable input: 400, not stored (as an unreadable ``at``)
            return 400, response
        status = 409
        if exc.code not in ("round_closed", "replayed"):
            stored = remember(key=key, scope="desk", user=actor, status_code=status, response=response, digest=digest)
            if stored.response != response:
                return replay(stored, digest)
    return status, response


def _remember_in_transaction(*, key: str, scope: str, user, status_code: int, response: dict, digest: str) -> None:
    """Store the outcome of ``key`` and the request's ``digest`` inside the caller's transaction
    (INSERT … ON CONFLICT DO NOTHING: no savepoint; the sample's own unique key already made this
    submission the only one)."""
    db.insert_one(
        SubmissionKey(
            key=key, scope=scope, user=_actor(user), status_code=status_code, response=response, body_hash=digest
        ),
        ignore_conflicts=True,
    )


_SCREENED_SQL: dict[str, tuple[str, list]] = {}


def _insert_screened(sample: Sample) -> None:
    """PostgreSQL: INSERT screening ``sample`` and set its member's state (sample, result pending, no
    home visit awaited — what _after_samples does for a desk) in ONE statement, a data-modifying CTE,
    one round trip instead of two; sets ``sample.pk``. The member is updated only while it has no
    sample (as _after_samples). Raises IntegrityError like ``core.db.insert_one`` (the unique indexes decide)."""
    if connection.vendor not in _SCREENED_SQL:
        insert, fields = db.insert_sql(Sample)
        m = connection.ops.quote_name(RoundMember._meta.db_table)
        _SCREENED_SQL[connection.vendor] = (
            f"WITH s AS ({insert}), u AS (UPDATE {m} SET sample_id = s.id, result = %s, "  # noqa: S608
            f"awaiting_home_visit = false FROM s WHERE {m}.id = %s AND {m}.sample_id IS NULL) SELECT id FROM s",
            fields,
        )
    sql, fields = _SCREENED_SQL[connection.vendor]
    params = db.insert_values(sample, fields)
    with db.hot_cursor() as cursor:
        db.execute_hot(cursor, sql, [*params, MemberResult.PENDING, sample.member_id])
        sample.pk = cursor.fetchone()[0]
    sample._state.adding, sample._state.db = False, connection.alias


_DESK_LOOKUP_SQL: dict[str, str] = {}


def _desk_lookup(key: str, round_id: int, number: str, name: str) -> tuple[bool, bool, Person | None]:
    """One query for a desk submission: whether submission ``key`` was seen, whether round
    ``round_id`` is open, and, for an ID ``number`` (``""`` for other submissions), the resident
    carrying it (or an unregistered person kept "to verify") with their member id in the round.
    Returns ``(seen, round open, person or None)``; the resident carries only what the desk writes
    and shows."""
    if connection.vendor not in _DESK_LOOKUP_SQL:
        q = connection.ops.quote_name
        k, t, r, m = (q(x._meta.db_table) for x in (SubmissionKey, TestingRound, Resident, RoundMember))
        _DESK_LOOKUP_SQL[connection.vendor] = (
            f"SELECT k.id, t.status, r.id, r.name, r.household_id, r.path, r.id_masked, m.id "  # noqa: S608
            f"FROM (SELECT 1 AS one) o LEFT JOIN {k} k ON k.key = %s LEFT JOIN {t} t ON t.id = %s "
            f"LEFT JOIN {r} r ON r.id_hash = %s LEFT JOIN {m} m ON m.round_id = t.id AND m.resident_id = r.id"
        )
    id_hash = pii.lookup_hash("id", number) if number else None
    with db.hot_cursor() as cursor:
        db.execute_hot(cursor, _DESK_LOOKUP_SQL[connection.vendor], [key, round_id, id_hash])
        seen, status, rid, rname, household_id, path, id_masked, member_id = cursor.fetchone()
    open_ = status == RoundStatus.OPEN
    if not number:
        return seen is not None, open_, None
    if rid is None:
        return seen is not None, open_, _unregistered(number, name)
    resident = Resident(pk=rid, name=rname, household_id=household_id, path=path, id_masked=id_masked)
    resident._state.adding, resident._state.db = False, connection.alias
    person = Person(resident=resident, name=rname, id_number=number, member_id=member_id, member_known=True)
    return seen is not None, open_, person


def _looks_like_id(value: str) -> bool:
    text = unicodedata.normalize("NFKC", value).strip().upper()
    return bool(re.fullmatch(r"\d{17}[\dX]|\d{15}", text))


def _desk_apply(actor, desk, task, kind, value, tube_key, key, at, payload, person=None) -> tuple[int, dict]:
    if kind == "close" or (kind == "scan" and _looks_like_barcode(value)):
        tube = tube_close(actor=actor, desk=desk, task=task, tube_key=tube_key, barcode=value, at=at)
        return 200, {
            "status": "closed",
            "tube": _tube_view(tube),
            "message": _("Tube %(b)s closed") % {"b": shown_barcode(tube.barcode)},
        }
    if kind == "scan" and value.upper().startswith(HOUSEHOLD_QR_PREFIX):
        household = household_from_qr(value)
        persons = [
            Person(resident=r, name=r.name) for r in household.residents.filter(is_deceased=False).order_by("id")
        ]
    elif kind == "scan":
        persons = [person or resolve_id(value, name=str(payload.get("name") or ""))]
    elif kind == "resident":
        station = desk or task
        resident = None
        if value.isdigit() and len(value) < 19:
            resident = pickable_residents(user=actor, round_id=station.round_id).filter(pk=int(value)).first()
        if resident is None:  # unknown, out of the caller's scope or of the round: one answer for all
            raise Refused("not_found", _("No resident %(value)s") % {"value": echo(value)}) from None
        persons = [Person(resident=resident, name=resident.name)]
    elif kind == "child":
        persons = [resolve_child(str(payload.get("guardian") or ""), str(payload.get("name") or ""))]
    else:
        raise Malformed(_("Unknown submission kind “%(value)s”") % {"value": echo(kind)})
    samples, tube = samples_register(
        actor=actor, persons=persons, tube_key=tube_key, idempotency_key=key, desk=desk, task=task, taken_at=at
    )
    return 201, _registered_answer(actor, persons, samples, tube)


def _registered_answer(actor, persons, samples, tube: Tube | None) -> dict:
    """The desk's 201 answer for ``persons`` swabbed as ``samples`` into ``tube``: ``status``,
    ``tube`` (:func:`_tube_view`; None when the caller fills it in), ``people`` (masked,
    :func:`_person_view`) and ``warnings`` (unregistered, kept to verify; outside the round's area)."""
    people = [_person_view(p, _shows_registry(actor, p)) for p in persons]
    warnings = []
    for s, shown in zip(samples, people, strict=True):
        if s.unregistered:
            warnings.append(
                _("%(name)s is not in the registry: kept as unregistered, to verify") % {"name": shown["name"]}
            )
        elif s.member_id is None:
            warnings.append(_("%(name)s lives outside this round's area") % {"name": shown["name"]})
    shown_tube = _tube_view(tube) if tube is not None else None
    return {"status": "ok", "tube": shown_tube, "people": people, "warnings": warnings}


def _one_statement(desk, task, kind, person) -> bool:
    """Whether a desk submission is the usual registration :func:`_desk_register_one` writes in one
    statement (deskpath): PostgreSQL outside any transaction, a desk (not a task), a scanned ID number
    already looked up (:func:`_desk_lookup`) whose person is unregistered or a member of the round."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and desk is not None
        and task is None
        and kind == "scan"
        and isinstance(person, Person)
        and person.member_known
        and (person.resident is None or person.member_id is not None)
    )


def _desk_register_one(actor, desk, person: Person, tube_key: str, key: str, at, digest: str) -> tuple[int, dict]:
    """The usual registration (:func:`_one_statement`) as one statement (``deskpath.register``):
    the same checks as :func:`samples_register` (:func:`_registration_checks`), then tube, sample,
    member, audit entry and stored outcome together. Returns ``(201, answer)``; raises Refused as
    :func:`samples_register` does (the tube's refusal, ``duplicate``, ``replayed``)."""
    persons = [person]
    station, rnd, at, purpose, households = _registration_checks(actor, persons, tube_key, desk, None, at)
    household_id = next(iter(households), None)
    tube, tube_sql, tube_params = _tube_take_statement(rnd, desk, None, tube_key, 1, household_id, at)
    members = {person.resident.pk: person.member_id} if person.resident is not None else {}
    sample = _samples_for(actor, persons, rnd, None, station, members, purpose, at, key)[0]
    answer = _registered_answer(actor, persons, [sample], None)
    entry = audit.prepare(
        actor=actor,
        action="screening.sample",
        obj=tube,
        reason=ReasonCode.SAMPLED,
        detail=_sampled_detail([sample], key),
    )
    outcome = SubmissionKey(
        key=key, scope="desk", user=_actor(actor), status_code=201, response=answer, body_hash=digest
    )
    try:
        row = deskpath.register(
            tube_sql=tube_sql,
            tube_params=tube_params,
            sample=sample,
            member_result=MemberResult.PENDING,
            entry=entry,
            outcome=outcome,
            tube_static={"key": tube_key, "mode": tube.mode},
        )
    except IntegrityError as exc:
        raise _sample_refusal(exc, rnd, persons) from None
    if row is None:
        raise _tube_refusal(rnd, desk, None, tube_key, household_id)
    tube.pk, tube.people, tube.capacity, tube.status, tube.barcode, tube.household_id = row[:6]
    entry.object_id = str(tube.pk)
    audit.announce(entry)
    answer["tube"] = _tube_view(tube)
    return 201, answer


def _looks_like_barcode(value: str) -> bool:
    """Whether a scanned ``value`` is a tube barcode: ASCII as a scanner types it (full-width digits
    are someone typing an ID number), not a household QR code, not an ID number (:func:`is_tube_barcode`)."""
    text = value.strip().upper()
    if not text.isascii() or text.startswith(HOUSEHOLD_QR_PREFIX) or _looks_like_id(text):
        return False
    return is_tube_barcode(text)


def is_tube_barcode(text: str) -> bool:
    """Whether ``text`` (upper case) can be a tube barcode: 6-40 letters, digits or dashes
    (:data:`BARCODE_RE`) and not a bare number of :data:`ID_LIKE_DIGITS` digits or more, which is an
    ID number mistyped or misread (16 or 17 digits), never a barcode."""
    return bool(BARCODE_RE.match(text)) and not (text.isdigit() and len(text) >= ID_LIKE_DIGITS)


ID_LIKE_DIGITS = 15


def shown_barcode(barcode: str) -> str:
    """A tube barcode as desk messages show it: digit runs as long as an ID number masked."""
    return pii.mask_numbers_in(barcode, shortest=ID_LIKE_DIGITS)


def _scan_problem(value: str) -> Malformed | None:
    """Why a ``scan`` cannot be read, or None: an ID number that does not validate (GB 11643), or a
    value that is neither an ID number, a household QR code nor a tube barcode (quoted masked and
    cut, :func:`echo`)."""
    if _looks_like_id(value):
        try:
            _parse_id(value)
        except Malformed as exc:
            return Malformed(exc.messages[0], {"field": "value"})
        return None
    if value.upper().startswith(HOUSEHOLD_QR_PREFIX) or _looks_like_barcode(value):
        return None
    return Malformed(
        _("“%(value)s” is not an ID number, a household code or a tube barcode") % {"value": echo(value)},
        {"field": "value"},
    )


CLOCK_SKEW = dt.timedelta(minutes=5)


def _sample_time(text: str, rnd: TestingRound) -> dt.datetime:
    """The time ``at`` a desk says a sample was taken (ISO 8601; an offline queue sends it late).
    Nothing is clamped: a time more than :data:`CLOCK_SKEW` ahead of the server's clock, before the
    round opened, or unreadable raises Refused(``bad_input``) with ``{"field": "at", "value": text}``."""
    at = _parse_time(text)
    detail = {"field": "at", "value": text}
    if at is None:
        raise Refused("bad_input", _("Sample time “%(value)s” is not a date and time") % {"value": text}, detail)
    if at > timezone.now() + CLOCK_SKEW:
        raise Refused(
            "bad_input",
            _("Sample time “%(value)s” is in the future: check the device's clock") % {"value": text},
            detail,
        )
    if at < rnd.opened_at:
        raise Refused(
            "bad_input",
            _("Sample time “%(value)s” is before round %(name)s opened (%(opened)s)")
            % {"value": text, "name": rnd.name, "opened": moment_text(rnd.opened_at)},
            detail,
        )
    return at


def _parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


# --------------------------------------------------------------------------------------------- results


VALUE_WORDS = {
    "negative": ResultValue.NEGATIVE,
    "neg": ResultValue.NEGATIVE,
    "阴性": ResultValue.NEGATIVE,
    "-": ResultValue.NEGATIVE,
    "positive": ResultValue.POSITIVE,
    "pos": ResultValue.POSITIVE,
    "阳性": ResultValue.POSITIVE,
    "+": ResultValue.POSITIVE,
    "invalid": ResultValue.INVALID,
    "无效": ResultValue.INVALID,
}
_SPLIT = re.compile(r"[,;，；、/\s|]+")


@dataclass(frozen=True)
class ResultLine:
    """One line of a result file or API call, as given: ``barcode``, ``value``, ``lab``, ``reported``
    (text or an aware datetime); ``line`` is the 1-based line number in the file (0 for the API)."""

    line: int
    barcode: str
    value: str
    lab: str = ""
    reported: object = ""


def results_record(
    *, actor, lines: Sequence[ResultLine], path: str, file_name: str = "", file_sha256: str = "", lab: str = ""
) -> ResultImport:
    """Apply lab results, exactly one per tube (domain.md §4), and hold every doubtful line.

    Held (a :class:`ResultException`, never applied): a line naming several tubes, an unknown tube, a
    tube still open at its desk, a second line for the same tube in the upload, an unreadable result
    or time, and a line contradicting a tube's recorded result (a positive or a pending state moves
    forward only through a retest record). A line repeating a recorded result is counted
    ``unchanged``. Applied results: members' states; a positive pool opens a follow-up
    (:func:`follow_up_open`); an invalid tube creates re-sampling tasks; a retest tube completes its
    member's follow-up. ``path`` is the importer's division (RUN_ROUNDS there). Returns the
    ResultImport with ``counts`` (``lines``, ``applied``, ``unchanged``, ``held``).
    """
    require(actor, Capability.RUN_ROUNDS, path)
    now = timezone.now()
    held: list[ResultException] = []
    parsed: list[tuple[ResultLine, str, str, dt.datetime]] = []
    seen: dict[str, int] = {}
    for item in lines:
        raw = unicodedata.normalize("NFKC", str(item.barcode or "")).strip().upper()
        codes = [c for c in _SPLIT.split(raw) if c]
        value = VALUE_WORDS.get(unicodedata.normalize("NFKC", str(item.value or "")).strip().lower())
        if isinstance(item.reported, dt.datetime):
            reported = item.reported
        else:
            reported = _parse_time(str(item.reported)) if str(item.reported or "").strip() else now
        if reported is not None and timezone.is_naive(reported):
            reported = timezone.make_aware(reported)
        line_lab = " ".join(str(item.lab or lab or "").split())
        exc = {
            "line": item.line,
            "barcode_text": str(item.barcode)[:200],
            "value_text": str(item.value)[:40],
            "lab": line_lab[:80],
            "reported_text": str(item.reported)[:40],
            "path": path,
        }
        if len(codes) > 1:
            held.append(ResultException(reason=ExceptionReason.SEVERAL_TUBES, **exc))
        elif not codes or value is None or reported is None or not line_lab:
            held.append(ResultException(reason=ExceptionReason.BAD_VALUE, **exc))
        elif codes[0] in seen:
            held.append(ResultException(reason=ExceptionReason.DUPLICATE, **exc))
        else:
            seen[codes[0]] = item.line
            parsed.append((item, codes[0], value, reported))
    counts = {"lines": len(lines), "applied": 0, "unchanged": 0, "held": 0}
    with transaction.atomic():
        batch = ResultImport.objects.create(
            path=path, file_name=file_name, file_sha256=file_sha256, lab=lab, created_by=_actor(actor)
        )
        tubes = {t.barcode: t for t in Tube.objects.select_for_update().filter(barcode__in=list(seen))}
        apply: list[tuple[Tube, str, str, dt.datetime]] = []
        for item, code, value, reported in parsed:
            tube = tubes.get(code)
            exc = {
                "line": item.line,
                "barcode_text": str(item.barcode)[:200],
                "value_text": str(item.value)[:40],
                "lab": str(item.lab or lab)[:80],
                "reported_text": str(item.reported)[:40],
                "path": tube.path if tube else path,
                "tube": tube,
            }
            if tube is None:
                held.append(ResultException(reason=ExceptionReason.UNKNOWN_TUBE, **exc))
            elif tube.status == TubeStatus.OPEN:
                held.append(ResultException(reason=ExceptionReason.TUBE_OPEN, **exc))
            elif tube.status == TubeStatus.RESULTED:
                if tube.result == value:
                    counts["unchanged"] += 1
                else:
                    held.append(ResultException(reason=ExceptionReason.CONTRADICTS, **exc))
            else:
                apply.append((tube, value, " ".join(str(item.lab or lab).split()), reported))
        for exc_row in held:
            exc_row.batch = batch
        ResultException.objects.bulk_create(held, batch_size=500)
        _apply_results(actor, batch, apply, now)
        counts["applied"] = len(apply)
        counts["held"] = len(held)
        ResultImport.objects.filter(pk=batch.pk).update(counts=counts)
        batch.counts = counts
        audit.record(
            actor=actor,
            action="screening.results",
            object_type="screening.resultimport",
            object_id=str(batch.pk),
            division_code=path,
            reason=ReasonCode.RESULT,
            detail=counts,
        )
    return batch


def _apply_results(actor, batch, apply: list[tuple[Tube, str, str, dt.datetime]], now) -> None:
    if not apply:
        return
    LabResult.objects.bulk_create(
        [
            LabResult(tube=t, value=v, lab=lab, reported_at=at, batch=batch, recorded_by=_actor(actor))
            for t, v, lab, at in apply
        ],
        batch_size=1000,
    )
    retest_ids = set(
        Sample.objects.filter(tube_id__in=[t.pk for t, *_ in apply], purpose=SamplePurpose.RETEST).values_list(
            "tube_id", flat=True
        )
    )
    for tube, value, lab, at in apply:
        tube.status, tube.result, tube.lab, tube.result_at = TubeStatus.RESULTED, value, lab, at
        tube.status_reason = ReasonCode.RETEST_RESULT if tube.pk in retest_ids else ReasonCode.RESULT
    Tube.objects.bulk_update(
        [t for t, *_ in apply], ["status", "result", "lab", "result_at", "status_reason"], batch_size=1000
    )
    by_value: dict[str, list[int]] = defaultdict(list)
    for tube, value, _lab, _at in apply:
        by_value[value].append(tube.pk)
    for value, ids in by_value.items():
        member_state = {"negative": "negative", "positive": "positive", "invalid": "invalid"}[value]
        screened = Sample.objects.filter(tube_id__in=ids, purpose__in=["screening", "resample"]).values("member_id")
        RoundMember.objects.filter(pk__in=screened).update(result=member_state)
    retest_tubes = {t.pk: (t, v) for t, v, _l, _a in apply if t.pk in retest_ids}
    if retest_tubes:
        _retest_results(actor, retest_tubes, now)
    for tube, value, _lab, _at in apply:
        if tube.pk in retest_tubes:
            continue
        if value == ResultValue.POSITIVE:
            follow_up_open(actor=actor, tube=tube, at=now)
        elif value == ResultValue.INVALID:
            _resample_tasks(tube, now)


def _resample_tasks(tube: Tube, now) -> None:
    samples = list(Sample.objects.filter(tube=tube).select_related("resident"))
    tasks = []
    for s in samples:
        if s.resident is None:
            continue
        tasks.append(
            SamplingTask(
                round_id=tube.round_id,
                kind=TaskKind.RESAMPLE,
                division_id=_division_id(s.resident.path),
                household_id=s.household_id,
                resident=s.resident,
                path=s.resident.path,
                mode=PoolingMode.SINGLE,
                people=1,
                due_at=now + dt.timedelta(hours=rules().retest_within_hours),
            )
        )
    SamplingTask.objects.bulk_create(tasks)
    RoundMember.objects.filter(pk__in=Sample.objects.filter(tube=tube).values("member_id")).update(
        awaiting_home_visit=True
    )


def _division_id(code: str) -> int:
    found = Division.objects.filter(code__in=[code[:n] for n in CODE_LENGTHS.values() if n <= len(code)])
    return max(found, key=lambda d: len(d.code)).pk


# --------------------------------------------------------------------------------------------- follow-ups


def follow_up_open(*, actor, tube: Tube, at: dt.datetime | None = None) -> PoolFollowUp:
    """Open the follow-up of positive tube ``tube`` (domain.md §4 "positive pool").

    Every member is marked "isolate in place, awaiting retest" and gets an individual retest task
    (single tube); each household and its responsibility chain (L4 … L1, workforce) get a notice; a
    control-area proposal is raised through the zones app when an operation is open. Steps: isolate
    (due after ``isolate_within_hours``), notify (done now), retest (due after
    ``retest_within_hours``), area proposal (done now, or noted when no operation is open).
    Idempotent: a tube has at most one follow-up.
    """
    at = _now(at)
    existing = PoolFollowUp.objects.filter(tube=tube).first()
    if existing is not None:
        return existing
    r = rules()
    samples = list(Sample.objects.filter(tube=tube).select_related("resident", "household").order_by("id"))
    path = common_path([s.path for s in samples] + [tube.path])
    with transaction.atomic():
        fu = PoolFollowUp.objects.create(tube=tube, round_id=tube.round_id, path=path, opened_at=at)
        steps = {
            StepKind.ISOLATE: PoolFollowUpStep(
                follow_up=fu, kind=StepKind.ISOLATE, path=path, due_at=at + dt.timedelta(hours=r.isolate_within_hours)
            ),
            StepKind.NOTIFY: PoolFollowUpStep(follow_up=fu, kind=StepKind.NOTIFY, path=path, due_at=at, done_at=at),
            StepKind.RETEST: PoolFollowUpStep(
                follow_up=fu, kind=StepKind.RETEST, path=path, due_at=at + dt.timedelta(hours=r.retest_within_hours)
            ),
        }
        members = []
        for s in samples:
            task = None
            if s.resident is not None:
                task = SamplingTask.objects.create(
                    round_id=tube.round_id,
                    kind=TaskKind.RETEST,
                    division_id=_division_id(s.resident.path),
                    household_id=s.household_id,
                    resident=s.resident,
                    path=s.resident.path,
                    mode=PoolingMode.SINGLE,
                    people=1,
                    follow_up=fu,
                    due_at=steps[StepKind.RETEST].due_at,
                )
            members.append(
                FollowUpMember(
                    follow_up=fu,
                    sample=s,
                    resident=s.resident,
                    household=s.household,
                    name=s.name,
                    path=s.path,
                    retest_task=task,
                )
            )
        FollowUpMember.objects.bulk_create(members)
        notices = _notify_chain(fu, [s.household for s in samples if s.household is not None], tube)
        area_nodes = _area_nodes(samples)
        note = ""
        try:
            area_id = links.propose_control_area(
                district_code=tube.path[:6],
                nodes=area_nodes,
                pool_ref=tube.barcode,
                note=_("positive pool %(barcode)s") % {"barcode": tube.barcode},
            )
        except (ValidationError, PermissionDenied) as exc:
            area_id, note = None, items_line(getattr(exc, "messages", [str(exc)]))[:300]
        if area_id is None and not note:
            note = _("no open operation or no place: nothing proposed")
        PoolFollowUp.objects.filter(pk=fu.pk).update(control_area_ref=area_id)
        fu.control_area_ref = area_id
        steps[StepKind.AREA_PROPOSAL] = PoolFollowUpStep(
            follow_up=fu, kind=StepKind.AREA_PROPOSAL, path=path, due_at=at, done_at=at, note=note
        )
        PoolFollowUpStep.objects.bulk_create(steps.values())
        audit.record(
            actor=actor,
            action="screening.follow_up_open",
            obj=fu,
            reason=ReasonCode.RESULT,
            detail={"tube": tube.barcode, "members": len(members), "notices": notices, "control_area": area_id},
        )
    return fu


def _area_nodes(samples: Sequence[Sample]) -> list[Division]:
    codes = set()
    for s in samples:
        if s.resident is not None:
            p = s.resident.path
            codes.add(p[:18] if len(p) >= 18 else p)
    return list(Division.objects.filter(code__in=_minimal(codes)))


def _notify_chain(fu: PoolFollowUp, households: Sequence[Household], tube: Tube, level_only: int | None = None) -> int:
    """Notices for each household (unless ``level_only``) and its responsibility chain; returns the count."""
    seen: set[tuple[int, int]] = set()
    rows = []
    for household in {h.pk: h for h in households}.values():
        if level_only is None:
            rows.append(
                Notice(
                    follow_up=fu,
                    household=household,
                    path=household.path,
                    message=_("A tube of your household's members tested positive: stay at home, a retest is coming.")[
                        :300
                    ],
                )
            )
        for level, assignment in links.chain(household):
            if assignment is None or (level_only is not None and level != level_only):
                continue
            if (assignment.worker_id, level) in seen:
                continue
            seen.add((assignment.worker_id, level))
            rows.append(
                Notice(
                    follow_up=fu,
                    worker_id=assignment.worker_id,
                    level=level,
                    path=household.path,
                    escalation=level_only is not None,
                    message=(
                        _("Positive pool %(barcode)s: members in your area must isolate in place and be retested.")
                        % {"barcode": tube.barcode}
                    )[:300],
                )
            )
    Notice.objects.bulk_create(rows)
    return len(rows)


def _retest_results(actor, retest_tubes: dict[int, tuple[Tube, str]], now) -> None:
    for tube_id, (_tube, value) in retest_tubes.items():
        status = FollowUpMemberStatus.POSITIVE if value == ResultValue.POSITIVE else FollowUpMemberStatus.NEGATIVE
        if value == ResultValue.INVALID:
            continue  # an invalid retest leaves the member isolating; a new retest task is created below
        members = list(FollowUpMember.objects.filter(retest_tube_id=tube_id, status=FollowUpMemberStatus.ISOLATING))
        for m in members:
            FollowUpMember.objects.filter(pk=m.pk, status=FollowUpMemberStatus.ISOLATING).update(
                status=status, result_at=now
            )
            if m.resident_id:
                RoundMember.objects.filter(round__follow_ups=m.follow_up_id, resident_id=m.resident_id).update(
                    result=value
                )
        for fu_id in {m.follow_up_id for m in members}:
            _maybe_close_follow_up(actor, fu_id, now)
    for tube_id, (_tube, value) in retest_tubes.items():
        if value == ResultValue.INVALID:
            for m in FollowUpMember.objects.filter(retest_tube_id=tube_id).select_related("resident", "follow_up"):
                if m.resident is None:
                    continue
                task = SamplingTask.objects.create(
                    round_id=m.follow_up.round_id,
                    kind=TaskKind.RETEST,
                    division_id=_division_id(m.resident.path),
                    household_id=m.household_id,
                    resident=m.resident,
                    path=m.resident.path,
                    mode=PoolingMode.SINGLE,
                    people=1,
                    follow_up=m.follow_up,
                    due_at=now + dt.timedelta(hours=rules().retest_within_hours),
                )
                FollowUpMember.objects.filter(pk=m.pk).update(retest_task=task, retest_tube=None)


def _maybe_close_follow_up(actor, fu_id: int, now) -> bool:
    if FollowUpMember.objects.filter(follow_up_id=fu_id, status=FollowUpMemberStatus.ISOLATING).exists():
        return False
    closed = PoolFollowUp.objects.filter(pk=fu_id, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.CLOSED, status_reason=ReasonCode.ALL_RETESTED, closed_at=now
    )
    PoolFollowUpStep.objects.filter(follow_up_id=fu_id, done_at__isnull=True).update(done_at=now)
    if closed:
        fu = PoolFollowUp.objects.get(pk=fu_id)
        audit.record(actor=actor, action="screening.follow_up_close", obj=fu, reason=ReasonCode.ALL_RETESTED)
    return bool(closed)


def follow_up_step_done(*, actor, step: PoolFollowUpStep, note: str = "", at=None) -> PoolFollowUpStep:
    """Mark a step done (e.g. every member confirmed isolated); conditional on it being open.
    Raises ValidationError when already done; PermissionDenied without FIELD_WORK or RUN_ROUNDS."""
    at = _now(at)
    if actor is not None and not (
        can(actor, Capability.RUN_ROUNDS, step.path) or can(actor, Capability.FIELD_WORK, step.path)
    ):
        raise PermissionDenied(_("%(user)s may not update this follow-up") % {"user": actor})
    with transaction.atomic():
        if PoolFollowUpStep.objects.filter(pk=step.pk, done_at__isnull=True).update(done_at=at, note=note[:300]) != 1:
            raise ValidationError({"step": _("this step is already done")})
        step.done_at, step.note = at, note
        audit.record(
            actor=actor,
            action="screening.step_done",
            object_type="screening.poolfollowupstep",
            object_id=str(step.pk),
            division_code=step.path,
            reason=step.kind,
        )
    return step


# --------------------------------------------------------------------------------------------- the tick


@dataclass
class TickReport:
    """What :func:`screening_tick` did: tubes flagged overdue, steps escalated, notices written."""

    tubes_flagged: int = 0
    steps_escalated: int = 0
    notices: int = 0


def screening_tick(*, actor=None, at: dt.datetime | None = None) -> TickReport:
    """Recurring work (idempotent; run by ``manage.py screening_tick`` from cron):

    - closed tubes without a result after ``result_overdue_hours`` (24 h) get ``pending_flagged_at``;
    - an overdue follow-up step climbs one level of the 包保 chain (L3, L2, then L1) every
      ``escalate_every_hours`` after its deadline, writing notices to the people at that level.
    """
    at = _now(at)
    r = rules()
    report = TickReport()
    report.tubes_flagged = Tube.objects.filter(
        status=TubeStatus.CLOSED,
        closed_at__lt=at - dt.timedelta(hours=r.result_overdue_hours),
        pending_flagged_at__isnull=True,
    ).update(pending_flagged_at=at)
    every = dt.timedelta(hours=r.escalate_every_hours)
    overdue = PoolFollowUpStep.objects.filter(
        done_at__isnull=True, due_at__lt=at, follow_up__status=FollowUpStatus.OPEN
    ).select_related("follow_up__tube")
    for step in overdue:
        current = step.escalated_level or 4
        if current <= 1:
            continue
        since = step.escalated_at or step.due_at
        if step.escalated_level is not None and at - since < every:
            continue
        level = current - 1
        with transaction.atomic():
            changed = PoolFollowUpStep.objects.filter(pk=step.pk, escalated_level=step.escalated_level).update(
                escalated_level=level, escalated_at=at
            )
            if changed != 1:
                continue
            households = list(
                Household.objects.filter(
                    pk__in=FollowUpMember.objects.filter(follow_up=step.follow_up).values("household_id")
                )
            )
            report.notices += _notify_chain(step.follow_up, households, step.follow_up.tube, level_only=level)
            report.steps_escalated += 1
            audit.record(
                actor=actor,
                action="screening.escalate",
                object_type="screening.poolfollowupstep",
                object_id=str(step.pk),
                division_code=step.path,
                reason=ReasonCode.OVERDUE,
                detail={"level": level, "kind": step.kind},
            )
    return report


def exception_resolve(*, actor, exception: ResultException, note: str) -> ResultException:
    """Mark a held line resolved with a note (the tube's result is never changed by it)."""
    note = (note or "").strip()
    if len(note) < 3:
        raise ValidationError({"resolution": _("say how it was resolved")})
    require(actor, Capability.RUN_ROUNDS, exception.path)
    with transaction.atomic():
        if (
            ResultException.objects.filter(pk=exception.pk, status="held").update(
                status="resolved", resolution=note[:300]
            )
            != 1
        ):
            raise ValidationError({"status": _("already resolved")})
        exception.status, exception.resolution = "resolved", note
        audit.record(
            actor=actor,
            action="screening.exception_resolve",
            object_type="screening.resultexception",
            object_id=str(exception.pk),
            division_code=exception.path,
            reason=ReasonCode.RESOLVED,
        )
    return exception
