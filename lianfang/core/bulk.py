"""Bulk paths for big tables: reserve primary keys, then COPY (PostgreSQL) or executemany (SQLite).

The ORM's ``bulk_create`` tops out near 23 k rows/s on these machines (design.md "Bulk facts");
these helpers skip model instantiation. Callers pass database-ready values in the order of
``fields`` (model field names; ``ForeignKey`` fields by their ``*_id`` attname) and must run inside
``transaction.atomic()`` so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

SQLITE_BATCH = 5_000


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
