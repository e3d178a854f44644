"""Tubes at a desk or task: people taken into an open tube in one statement (created on first
use; capacity by pooling mode; one household in a household tube), a tube closed by binding its scanned
barcode (:func:`tube_close`), closed tubes handed to a lab (:func:`tubes_hand_over`). Refusals are
:class:`~lianfang.screening.services.base.Refused` (``tube_full``, ``tube_closed``,
``household_mismatch``, ``empty_tube``, ``barcode_taken``, ``bad_input``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from lianfang.core import audit, db
from lianfang.screening.models import (
    TUBE_CAPACITY,
    PoolingMode,
    ReasonCode,
    SamplingDesk,
    SamplingTask,
    Tube,
    TubeStatus,
)
from lianfang.screening.services.base import Malformed, Refused, _now, _require_field_work, _station, echo
from lianfang.screening.services.scans import is_tube_barcode, shown_barcode

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
