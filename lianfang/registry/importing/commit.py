"""Committing a validated plan: sealing the personal fields (:func:`_seal`), the row tuples of the bulk
insert (:func:`new_rows`), :func:`commit_plan` (new rows by COPY or ``executemany``, changed rows
updated with their previous values kept in ImportChange) and :func:`tune_bulk_session`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
from collections.abc import Iterator

from django.db import connection
from django.utils import timezone

from lianfang.core import bulk, pii
from lianfang.registry import generator
from lianfang.registry.importing.columns import OTHER_RELATION, REGISTERED, name_initials
from lianfang.registry.importing.parallel import _forked_rows, parallel_workers
from lianfang.registry.importing.plan import PROGRESS_EVERY, Person, Plan, ProgressCallback, ResidentPlan
from lianfang.registry.models import Household, ImportBatch, ImportChange, Resident
from lianfang.registry.services import FLAG_FIELDS, household_address

# Column orders of the bulk insert, shared with the population generator; the row tuples built in
# commit_plan follow them.
RESIDENT_FIELDS = generator.RESIDENT_FIELDS
HOUSEHOLD_FIELDS = generator.HOUSEHOLD_FIELDS


def _seal(kind: str, value: str, value_hash: str = "") -> tuple[bytes, str, str, str]:
    """``(ciphertext, hash, masked, last4)`` as core.pii.seal gives, reusing an already computed hash."""
    if not value:
        return b"", "", "", ""
    masked = pii.mask_id(value) if kind == "id" else pii.mask_phone(value)
    return pii.encrypt(value), value_hash or pii.lookup_hash(kind, value), masked, value[-4:]


def _ranges(ids: list[int]) -> list[list[int]]:
    """``[1, 2, 3, 7, 8]`` → ``[[1, 3], [7, 8]]``."""
    out: list[list[int]] = []
    for value in sorted(ids):
        if out and out[-1][1] == value - 1:
            out[-1][1] = value
        else:
            out.append([value, value])
    return out


def _json_value(value):
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _update_rows(model, updates: list[tuple[int, dict]]) -> None:
    """UPDATE changed columns, grouped by the set of columns so each group is one executemany."""
    groups: dict[tuple, list] = {}
    for pk, values in updates:
        columns = tuple(sorted(values))
        groups.setdefault(columns, []).append([values[c] for c in columns] + [pk])
    table = model._meta.db_table
    with connection.cursor() as cursor:
        for columns, params in groups.items():
            assignments = ", ".join(f'"{model._meta.get_field(c).column}" = %s' for c in columns)
            cursor.executemany(f'UPDATE "{table}" SET {assignments} WHERE "id" = %s', params)  # noqa: S608


def _sealed_phone_columns(phone: str) -> dict:
    enc, hashed, masked, last4 = _seal("phone", phone)
    return {"phone_enc": enc, "phone_hash": hashed, "phone_masked": masked, "phone_last4": last4}


def new_rows(plan: Plan, progress: ProgressCallback | None = None) -> tuple[Iterator[tuple], Iterator[tuple]]:
    """Reserve ids for the plan's new households and residents and return their database-ready rows.

    Returns two iterators of tuples in HOUSEHOLD_FIELDS / RESIDENT_FIELDS order (sealed personal
    data, pinyin initials, timestamps). Call inside the transaction that inserts them (core.bulk).
    """
    ops = connection.ops
    now_db = ops.adapt_datetimefield_value(timezone.now())
    date_db = ops.adapt_datefield_value
    new_households = [h for h in plan.households.values() if h.existing is None]
    for household, new_id in zip(new_households, bulk.reserve_ids(Household, len(new_households)), strict=True):
        household.new_id = new_id
    new_residents = [r for r in plan.residents if r.existing is None]
    for resident, new_id in zip(new_residents, bulk.reserve_ids(Resident, len(new_residents)), strict=True):
        resident.new_id = new_id

    def household_rows() -> Iterator[tuple]:
        for h in new_households:
            placement = h.placement
            node = placement.node
            phone = _seal("phone", h.phone)
            yield (
                h.new_id,
                node.district_id,
                placement.community.id,
                placement.compound.id if placement.compound else None,
                placement.building.id if placement.building else None,
                placement.unit.id if placement.unit else None,
                node.code,
                h.key[1],
                household_address(placement, h.key[1])[:200],
                h.contact_name[:60],
                *phone,
                now_db,
                now_db,
            )

    def household_id(resident: ResidentPlan) -> int:
        h = resident.household
        return h.new_id if h.existing is None else h.existing["id"]

    def guardian_id(resident: ResidentPlan):
        g = resident.guardian
        if g is None:
            return None
        return g["id"] if isinstance(g, dict) else (g.new_id if g.existing is None else g.existing["id"])

    no_flags = dict.fromkeys(FLAG_FIELDS, False)
    flag_columns: dict[tuple, tuple] = {}  # r.flags → the 8 flag values (r.flags is one of a few shared tuples)
    extra_columns: dict[tuple, tuple] = {}  # r.extra → (relation, residence_status, registration_address)
    no_id = (b"", "", "", "")

    def resident_rows() -> Iterator[tuple]:
        for n, r in enumerate(new_residents, start=1):
            d: Person = r.data
            flags = flag_columns.get(r.flags)
            if flags is None:
                given = {**no_flags, **dict(r.flags)}
                flags = flag_columns[r.flags] = tuple(given[f] for f in FLAG_FIELDS)
            extra = extra_columns.get(r.extra)
            if extra is None:
                given = dict(r.extra)
                extra = (
                    given.get("relation", OTHER_RELATION),
                    given.get("residence_status", REGISTERED),
                    given.get("registration_address", ""),
                )
                if len(extra_columns) < 50_000:
                    extra_columns[r.extra] = extra
            id_cols = _seal("id", d.document_number, r.id_hash) if d.document_number else no_id
            yield (
                r.new_id,
                household_id(r),
                r.household.key[0],
                d.name,
                name_initials(d.name),
                d.document_type,
                guardian_id(r),
                d.sex,
                date_db(d.birth_date),
                *extra,
                *flags,
                False,
                *id_cols,
                *_seal("phone", d.phone),
                now_db,
                now_db,
            )
            if progress and n % PROGRESS_EVERY == 0:
                progress("write", n, len(new_residents))

    return household_rows(), resident_rows()


def _big_first_load(plan: Plan) -> list[type]:
    """The tables (Household, Resident) whose indexes the commit of ``plan`` re-creates after its
    inserts (core.bulk.big_first_loads: a big first load on SQLite)."""
    return bulk.big_first_loads(
        {
            Household: sum(1 for h in plan.households.values() if h.existing is None),
            Resident: sum(1 for r in plan.residents if r.existing is None),
        }
    )


def tune_bulk_session() -> None:
    """On SQLite, give this connection a 256 MiB page cache for a bulk write (index maintenance of the
    big tables otherwise thrashes the default 2 MiB cache). No-op on PostgreSQL."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")


def commit_plan(*, plan: Plan, batch: ImportBatch, progress: ProgressCallback | None = None) -> dict[str, int]:
    """Write a validated plan (no errors) in the caller's transaction; returns the counts written.

    New households and residents are inserted through core.bulk (COPY / executemany) with reserved
    ids recorded on ``batch.created_ids``; changed rows are updated and their previous values saved
    as ImportChange rows. Raises ValueError when the plan still has errors.
    """
    if plan.errors:
        raise ValueError("a plan with errors cannot be committed")
    now = timezone.now()
    if progress:
        progress("write", 0, len(plan.residents))
    tune_bulk_session()
    forked = parallel_workers(len(plan.residents)) > 0  # a big plan and a second core
    rows = new_rows(plan, None if forked else progress)
    # with a second core the rows are built and sealed in a child while this process inserts
    building = _forked_rows(rows, progress, len(plan.residents)) if forked else contextlib.nullcontext(rows)
    with building as (households, residents), bulk.indexes_deferred(*_big_first_load(plan)):
        bulk.insert_rows(Household, HOUSEHOLD_FIELDS, households)
        bulk.insert_rows(Resident, RESIDENT_FIELDS, residents)
    # Updates, with the previous values kept for rollback.
    changes: list[ImportChange] = []
    household_updates, resident_updates = [], []
    for h in plan.households.values():
        if h.existing is None or not h.changes:
            continue
        values = dict(h.changes)
        if "phone" in values:
            values.update(_sealed_phone_columns(values.pop("phone")))
        values["updated_at"] = now
        household_updates.append((h.existing["id"], values))
    for r in plan.residents:
        if r.existing is None or not r.changes:
            continue
        values = dict(r.changes)
        if "phone" in values:
            values.update(_sealed_phone_columns(values.pop("phone")))
        values["updated_at"] = now
        resident_updates.append((r.existing["id"], values))
    for model, table, updates in (
        (Household, "household", household_updates),
        (Resident, "resident", resident_updates),
    ):
        if not updates:
            continue
        columns = sorted({c for _pk, values in updates for c in values})
        before = {
            row["id"]: row
            for start in range(0, len(updates), 5_000)
            for row in model.objects.filter(pk__in=[pk for pk, _v in updates[start : start + 5_000]]).values(
                "id", *columns
            )
        }
        for pk, values in updates:
            changes.append(
                ImportChange(
                    batch=batch,
                    table=table,
                    object_id=pk,
                    before={c: _json_value(before[pk][c]) for c in values},
                )
            )
        db_updates = [(pk, {c: _db_value(model, c, v) for c, v in values.items()}) for pk, values in updates]
        _update_rows(model, db_updates)
    ImportChange.objects.bulk_create(changes, batch_size=1_000)
    batch.created_ids = {
        "household": _ranges([h.new_id for h in plan.households.values() if h.existing is None]),
        "resident": _ranges([r.new_id for r in plan.residents if r.existing is None]),
    }
    if progress:
        progress("write", len(plan.residents), len(plan.residents))
    return plan.counts()


def _db_value(model, column: str, value):
    """Adapt a python value for a raw UPDATE of ``model.column`` on the current database."""
    return model._meta.get_field(column).get_db_prep_value(value, connection, prepared=False)
