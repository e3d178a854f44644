"""One desk-page submission applied exactly once (:func:`desk_submit`): a scan, a picked resident,
a child or a tube barcode, read (:mod:`~lianfang.screening.services.scans`), registered
(:mod:`~lianfang.screening.services.sampling`, or one statement through ``screening.deskpath``) or
closing a tube (:mod:`~lianfang.screening.services.tubes`), its outcome stored under the key
(:mod:`~lianfang.screening.services.idempotency`); and the desk's answer (masked people, the tube,
warnings). docs/screening.md "The desk path".
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from lianfang.core import audit, db, pii
from lianfang.registry.models import Resident
from lianfang.registry.services import name_problem
from lianfang.screening import deskpath
from lianfang.screening.models import (
    MemberResult,
    ReasonCode,
    RoundMember,
    RoundStatus,
    SubmissionKey,
    TestingRound,
    Tube,
)
from lianfang.screening.services.base import Malformed, Refused, _actor, _sees, echo, mask_name
from lianfang.screening.services.idempotency import (
    KEY_RE,
    _remember_in_transaction,
    body_hash,
    remember,
    replay,
    replayed,
)
from lianfang.screening.services.sampling import (
    _registration_checks,
    _sample_refusal,
    _sampled_detail,
    _samples_for,
    pickable_residents,
    samples_register,
)
from lianfang.screening.services.scans import (
    HOUSEHOLD_QR_PREFIX,
    Person,
    _looks_like_barcode,
    _looks_like_id,
    _parse_id,
    _sample_time,
    _scan_problem,
    _unregistered,
    household_from_qr,
    resolve_child,
    resolve_id,
    shown_barcode,
)
from lianfang.screening.services.tubes import _tube_refusal, _tube_take_statement, tube_close


def _shows_registry(actor, person: Person) -> bool:
    """Whether the desk's answer may show registry details (masked name and ID) of ``person``.

    Rule (domain.md §4 "desk"): a person from elsewhere who turns up at a desk is sampled and kept
    (flagged "outside this round's area"), but the operator learns from the registry only what they
    may see anyway: the details of residents ``visible_to`` them. For anyone else the answer shows
    what the operator typed or scanned (the name given, the scanned ID masked), so a desk cannot be
    used to look up people by ID number, household code or guardian. The system (``actor=None``)
    sees all."""
    r = person.resident
    return r is None or _sees(actor, Resident, r.pk, r.path)


def _shows_guardian(actor, person: Person) -> bool:
    """Whether the desk's answer may show the masked name of ``person``'s guardian (a child
    registered via a guardian's ID): only a guardian ``visible_to`` the operator, as for
    :func:`_shows_registry` — otherwise the guardian's ID would look up their name."""
    g = person.guardian
    return g is None or _sees(actor, Resident, g.pk, g.path)


def _person_view(person: Person, registry: bool = True, guardian: bool = True) -> dict:
    """What the desk's answer says of ``person``: masked ``name`` and ``id``, ``unregistered``,
    masked ``guardian``; with ``registry=False`` (see :func:`_shows_registry`) no registry detail,
    with ``guardian=False`` (:func:`_shows_guardian`) the guardian as “(registered outside your
    area)”."""
    r = person.resident
    if r is not None and not registry:
        return {
            "name": _("(registered outside your area)"),
            "id": pii.mask_id(person.id_number) if person.id_number else "",
            "unregistered": False,
            "guardian": "",
        }
    shown_guardian = ""
    if person.guardian is not None:
        shown_guardian = mask_name(person.guardian.name) if guardian else _("(registered outside your area)")
    return {
        "name": mask_name(person.name) if r is not None or person.name != _("(unregistered)") else person.name,
        "id": r.id_masked if r is not None else pii.mask_id(person.id_number),
        "unregistered": r is None,
        "guardian": shown_guardian,
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


_DESK_BODY = ("kind", "value", "tube", "name", "guardian", "at")


def desk_body_hash(station, payload: dict) -> str:
    """:func:`body_hash` of a desk submission: its station and the fields that decide its effect
    (``kind``, ``value``, ``tube``, ``name``, ``guardian``, ``at``), blanks and missing alike."""
    body = {f: str(payload.get(f) or "").strip() for f in _DESK_BODY}
    body["station"] = f"{type(station).__name__}:{station.pk}"
    return body_hash(body)


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
    if person is None and kind in ("scan", "child"):
        person = _name_problem(kind, str(payload.get("name") or ""))  # no query: the hot path pays nothing
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


def _name_problem(kind: str, name: str) -> Malformed | None:
    """Why the ``name`` given with a scan (an unregistered person) or a child cannot be stored, or
    None: the rule for residents' names (registry.services.name_problem: no angle brackets, no
    control characters, at most 60 characters). A :class:`Malformed` naming the field (``name``),
    never quoting the value (it may be markup)."""
    text = " ".join(name.split())
    problem = name_problem(text) if text else None
    if problem is None:
        return None
    if kind == "child":
        return Malformed(_("Child's name: %(problem)s") % {"problem": problem}, {"field": "name"})
    return Malformed(_("Name: %(problem)s") % {"problem": problem}, {"field": "name"})


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
        if not (value.isdigit() and len(value) < 19):  # unreadable: 400 naming it (docs/screening.md)
            raise Malformed(_("“%(value)s” is not a resident number") % {"value": echo(value)}, {"field": "value"})
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
    people = [_person_view(p, _shows_registry(actor, p), _shows_guardian(actor, p)) for p in persons]
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
        raise _sample_refusal(exc, rnd, persons, actor) from None
    if row is None:
        raise _tube_refusal(rnd, desk, None, tube_key, household_id)
    tube.pk, tube.people, tube.capacity, tube.status, tube.barcode, tube.household_id = row[:6]
    entry.object_id = str(tube.pk)
    audit.announce(entry)
    answer["tube"] = _tube_view(tube)
    return 201, answer
