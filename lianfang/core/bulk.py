"""Bulk paths for big tables: reserve primary keys, then COPY (PostgreSQL) or executemany (SQLite).

The ORM's ``bulk_create`` tops out near 23 k rows/s on these machines (design.md "Bulk facts");
these helpers skip model instantiation. Callers pass database-ready values in the order of
``fields`` (model field names; ``ForeignKey`` fields by their ``*_id`` attname) and must run inside
``transaction.atomic()`` so a failure leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection, models

SQLITE_BATCH = 5_000
# A load adding at least this many rows to a table that holds fewer is a "big first load": its indexes
# are re-created after the inserts rather than kept up row by row (:func:`indexes_deferred`).
DEFER_INDEXES_MIN_ROWS = 50_000


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys for ``model`` and return them in ascending order.

    PostgreSQL: ``nextval`` of the table's identity sequence (safe under concurrency). SQLite: the
    range after ``MAX(id)``; safe because Lianfang opens SQLite transactions IMMEDIATE (one writer),
    so call this inside the same ``transaction.atomic()`` as the insert.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')  # noqa: S608 (identifiers from _meta)
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def columns_for(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """Database column names for model field names or attnames (``household`` or ``household_id``)."""
    return [model._meta.get_field(name).column for name in fields]


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in ``fields`` order, primary key included when reserved) and return the count.

    Uses ``COPY ... FROM STDIN`` on PostgreSQL and ``executemany`` in batches of 5,000 on SQLite.
    Raises the database's IntegrityError on a constraint violation (the caller's transaction rolls
    back). JSON fields must be passed already serialised (``json.dumps``).
    """
    table = model._meta.db_table
    columns = columns_for(model, fields)
    quoted = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders})'  # noqa: S608
        batch: list[Sequence] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= SQLITE_BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def table_rows(model: type[models.Model]) -> int:
    """How many rows ``model``'s table holds (``COUNT(*)``, exact)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')  # noqa: S608 (identifier from _meta)
        return cursor.fetchone()[0]


def big_first_loads(new_rows: dict[type[models.Model], int]) -> list[type[models.Model]]:
    """Of ``new_rows`` (model → rows about to be inserted), the models whose tables get at least
    :data:`DEFER_INDEXES_MIN_ROWS` rows and more than they already hold (``COUNT(*)``): rebuilding their
    indexes then costs less than maintaining them row by row (docs/benchmarks.md "Import"). Always
    empty on PostgreSQL (see :func:`indexes_deferred`)."""
    if connection.vendor != "sqlite":
        return []
    return [model for model, count in new_rows.items() if count >= DEFER_INDEXES_MIN_ROWS and count > table_rows(model)]


@contextlib.contextmanager
def indexes_deferred(*models_: type[models.Model]) -> Iterator[list[str]]:
    """On SQLite, drop the secondary indexes of the ``models_``' tables for the block and re-create them
    after it, one sort each, instead of updating every index row by row as the rows arrive. Yields the
    names of the indexes dropped (none on PostgreSQL, where this is a no-op: a dropped index there
    takes an ACCESS EXCLUSIVE lock that would stop every reader of the table for the whole load).

    Pays when the rows inserted in the block outnumber the rows already in the table (a district's
    first load: 0.58× the insert time of maintained indexes, bench/import_index_deferral.py,
    docs/benchmarks.md "Import"); the caller decides. Must run inside ``transaction.atomic()``:
    SQLite's DDL is transactional, so an error in the block (or a unique index that no longer holds
    when re-created: IntegrityError) rolls the drop back with the rows, and readers in WAL mode keep
    seeing the indexed snapshot meanwhile. Raises RuntimeError outside a transaction.
    """
    if connection.vendor != "sqlite" or not models_:
        yield []
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred must run inside transaction.atomic()")
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master "  # noqa: S608 (placeholders only)
            f"WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY name",
            tables,
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield [name for name, _sql in indexes]
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
