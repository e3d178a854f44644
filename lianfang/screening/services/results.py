"""Lab results (domain.md §4): exactly one result per tube, every doubtful line held as a
:class:`~lianfang.screening.models.ResultException` (:func:`results_record`); applied results update the
members, open the follow-up of a positive pool (:mod:`~lianfang.screening.services.follow_ups`) and the
re-sampling tasks of an invalid tube; a held line is resolved with a note (:func:`exception_resolve`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import require
from lianfang.core import audit
from lianfang.screening.models import (
    ExceptionReason,
    LabResult,
    PoolingMode,
    ReasonCode,
    ResultException,
    ResultImport,
    ResultValue,
    RoundMember,
    Sample,
    SamplePurpose,
    SamplingTask,
    TaskKind,
    Tube,
    TubeStatus,
)
from lianfang.screening.services.base import _actor, _division_id, _parse_time, rules
from lianfang.screening.services.follow_ups import _retest_results, follow_up_open

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

CLOCK_SKEW = dt.timedelta(minutes=10)
"""How far a report time may lie ahead of the server's clock (a lab's clock running fast) before the
line is held as reported in the future (:attr:`ExceptionReason.FUTURE_TIME`)."""

LOOKUP_CHUNK = 500
"""Barcodes or ids per ``__in`` lookup: a 200,000-line file must not become one query with 200,000
parameters (SQLite refuses past its variable limit: "too many SQL variables")."""

MAX_RESULT_LINES = 200_000
"""Result lines per upload or API call (:func:`results_record` raises ValidationError past it; the
page's file reader and the API check it before parsing every line)."""


def too_many_lines_message(count: int, file_name: str = "") -> str:
    """The translated refusal of ``count`` result lines (of ``file_name`` when given), naming the count
    and :data:`MAX_RESULT_LINES`."""
    values = {"name": file_name, "count": f"{count:,}", "limit": f"{MAX_RESULT_LINES:,}"}
    if file_name:
        return _("%(name)s has %(count)s result lines: at most %(limit)s lines per upload; split the file.") % values
    return _("%(count)s result lines: at most %(limit)s lines per upload; split the file.") % values


def _chunks(items: Sequence, size: int = LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


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

    Tubes are looked up among those the actor may see inside ``path``
    (``Tube.objects.visible_to(actor).within(path)``): a tube of another community is held exactly
    like an unknown one (no tube link, the importer's ``path``), so a line reveals nothing about it.

    Held (a :class:`ResultException`, never applied): a line naming several tubes, a line with no
    barcode, an unknown (or out-of-scope) tube, a tube still open at its desk (a code equal to the
    client key of an open tube the actor may see: new-user trial 15), a second line for the same tube
    in the upload, an unreadable result or time, no lab named (neither on the line nor for the upload:
    ``no_lab``), a report time more than
    :data:`CLOCK_SKEW` ahead of the clock or earlier than the tube was closed, and a line
    contradicting a tube's recorded result (a positive or a pending state moves forward only through
    a retest record). A line repeating a recorded result is counted ``unchanged``. Applied results:
    members' states; a positive pool opens a follow-up (:func:`follow_up_open`); an invalid tube
    creates re-sampling tasks; a retest tube completes its member's follow-up. ``path`` is the
    importer's division (RUN_ROUNDS there). Every ``__in`` lookup takes at most :data:`LOOKUP_CHUNK`
    values. Returns the ResultImport with ``counts`` (``lines``, ``applied``, ``unchanged``,
    ``held``). Raises ValidationError ``{"lines": …}`` past :data:`MAX_RESULT_LINES` lines (nothing
    written).
    """
    require(actor, Capability.RUN_ROUNDS, path)
    if len(lines) > MAX_RESULT_LINES:
        raise ValidationError({"lines": too_many_lines_message(len(lines))})
    now = timezone.now()
    latest = now + CLOCK_SKEW
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
        elif not codes:
            held.append(ResultException(reason=ExceptionReason.NO_BARCODE, **exc))
        elif value is None or reported is None:
            held.append(ResultException(reason=ExceptionReason.BAD_VALUE, **exc))
        elif not line_lab:  # neither the line nor the upload names the lab
            held.append(ResultException(reason=ExceptionReason.NO_LAB, **exc))
        elif reported > latest:
            held.append(ResultException(reason=ExceptionReason.FUTURE_TIME, **exc))
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
        # Only the tubes the actor may see inside the importer's division; `of=("self",)` locks the
        # tube rows alone on PostgreSQL (SQLite ignores select_for_update).
        visible = Tube.objects.visible_to(actor).within(path).select_for_update(of=("self",))
        tubes: dict[str, Tube] = {}
        for chunk in _chunks(list(seen)):
            tubes.update((t.barcode, t) for t in visible.filter(barcode__in=chunk))
        # a code that is no barcode may be the key of a tube still open at a desk (an API client chooses
        # its tubes' keys): held as such, but only for a tube the actor may see (never another scope's)
        for chunk in _chunks([c for c in seen if c not in tubes]):
            keys = [*chunk, *(c.lower() for c in chunk)]  # a key as typed; codes were upper-cased
            open_tubes = visible.filter(status=TubeStatus.OPEN, barcode="", client_key__in=keys).order_by("pk")
            for t in open_tubes:
                tubes.setdefault(t.client_key.upper(), t)
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
            elif tube.closed_at is not None and reported < tube.closed_at:
                held.append(ResultException(reason=ExceptionReason.BEFORE_CLOSED, **exc))
            elif tube.status == TubeStatus.RESULTED:
                if tube.result == value:
                    counts["unchanged"] += 1
                else:
                    held.append(ResultException(reason=ExceptionReason.CONTRADICTS, **exc))
            else:
                apply.append((tube, value, " ".join(str(item.lab or lab).split()), reported))
        for exc_row in held:
            exc_row.batch = batch
        ResultException.objects.bulk_create(held, batch_size=LOOKUP_CHUNK)
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
    retest_ids: set[int] = set()
    for chunk in _chunks([tube.pk for tube, *_rest in apply]):
        retest_ids.update(
            Sample.objects.filter(tube_id__in=chunk, purpose=SamplePurpose.RETEST).values_list("tube_id", flat=True)
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
        for chunk in _chunks(ids):
            screened = Sample.objects.filter(tube_id__in=chunk, purpose__in=["screening", "resample"]).values(
                "member_id"
            )
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
