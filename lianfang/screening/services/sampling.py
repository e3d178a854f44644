"""Swabbing people into a tube (:func:`samples_register`, all or nothing): the checks before any
write, the samples, the round members they complete (a resident missing from an open round's snapshot
is added late), the tasks they finish; and the residents a desk may pick by id
(:func:`pickable_residents`). One screening sample per person and round, decided by the unique indexes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Length, Substr
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.core import audit, db
from lianfang.core.scoping import subtree_q
from lianfang.registry.models import Resident
from lianfang.screening import links
from lianfang.screening.models import (
    FollowUpMember,
    MemberResult,
    PoolingMode,
    ReasonCode,
    RoundMember,
    RoundNode,
    RoundStatus,
    Sample,
    SamplePurpose,
    SamplingDesk,
    SamplingTask,
    TaskKind,
    TaskStatus,
    TestingRound,
    Tube,
)
from lianfang.screening.services.base import (
    Malformed,
    Refused,
    _actor,
    _now,
    _require_field_work,
    _sees,
    _station,
    echo,
    mask_name,
    rules,
)
from lianfang.screening.services.scans import Person
from lianfang.screening.services.tubes import _tube_take


def _purpose(task: SamplingTask | None) -> str:
    if task is not None and task.kind == TaskKind.RETEST:
        return SamplePurpose.RETEST
    if task is not None and task.kind == TaskKind.RESAMPLE:
        return SamplePurpose.RESAMPLE
    return SamplePurpose.SCREENING


def pickable_residents(*, user, round_id: int):
    """Residents a desk of round ``round_id`` may register by their internal id (the desk's name
    search, kind ``"resident"``): ``Resident.objects.visible_to(user)`` AND in the round's population
    — a member of the round not removed, or a living resident under one of the round's nodes (arrived
    since the snapshot; added late when sampled). A queryset; ``user=None`` (the system) sees all."""
    base = Resident.objects.all() if user is None else Resident.objects.visible_to(user)
    members = RoundMember.objects.filter(round_id=round_id, removed=False).values("resident_id")
    under_node = RoundNode.objects.filter(round_id=round_id, code=Substr(OuterRef("path"), 1, Length("code")))
    return base.filter(Q(pk__in=members) | Q(Exists(under_node), is_deceased=False))


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
        raise _sample_refusal(exc, rnd, persons, actor) from None
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


def _sample_refusal(exc: IntegrityError, rnd, persons, actor) -> Refused:
    """The Refused for a unique index that refused a sample: ``duplicate`` (the person is already
    sampled in the round; ``explain`` says where — to ``actor`` only if they may see that sample,
    :func:`_check_duplicates` —, run at once when no transaction is open any more) or ``replayed``
    (the submission key was already used). Re-raises ``exc`` for any other constraint."""
    if "sample_one_screening_per_person" in str(exc) or "person_key" in str(exc):
        refused = Refused("duplicate", _("Already sampled in this round"))
        refused.explain = lambda: _check_duplicates(rnd, [p.key for p in persons], actor)
        if not connection.in_atomic_block:  # rolled back already: say where the person was sampled
            refused.explain()
        return refused
    if "idempotency_key" in str(exc) or "sample_idempotency" in str(exc):
        return Refused("replayed", _("This submission was already recorded"))
    raise exc


def _check_duplicates(rnd: TestingRound, keys: Sequence[str], actor) -> None:
    """Raise the ``duplicate`` Refused for the first screening sample of ``keys`` (``Person.key``) in
    ``rnd``: the masked name, the station and the time it was taken, and ``detail`` (tube, where) —
    only when ``actor`` may see that sample (``Sample.objects.visible_to``: a resident's sample
    carries their household's path, an unregistered person's the station's). Anyone else learns the
    fact alone, “Already sampled in this round (registered outside your area)”: no name, place, time
    or tube (docs/screening.md "Who can be sampled from a desk"). Returns when nothing is found."""
    found = (
        Sample.objects.filter(round=rnd, purpose=SamplePurpose.SCREENING, person_key__in=[k for k in keys if k])
        .select_related("tube__desk__site", "tube__task")
        .first()
    )
    if found is not None and not _sees(actor, Sample, found.pk, found.path):
        raise Refused("duplicate", _("Already sampled in this round (registered outside your area)"))
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
