"""Statements on the hottest write paths (the sampling desk, the audit log): prepared on PostgreSQL.

Django's PostgreSQL backend binds parameters on the client (psycopg ``ClientCursor``): every
statement reaches the server as new SQL text, parsed and planned again. For the desk's few,
always-identical statements that planning was a large share of the server's CPU per registration.
:func:`hot_cursor` gives, on PostgreSQL, a psycopg cursor on Django's own connection (same session,
same transaction) with server-side binding, whose statements psycopg prepares once per connection
(``prepare=True``) and then only executes; on other databases it is Django's cursor.

Database errors are raised as Django's (``django.db.IntegrityError`` …) in both cases.

Caveat (PostgreSQL): a prepared statement outlives a schema change made by another session; after a
migration, connections opened before it may fail those statements once ("cached plan must not change
result type") — restart the web processes after migrating, as a deploy does anyway.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connection, connections

__all__ = ["execute_hot", "hot_cursor", "insert_one", "instance_from_row"]

_NEVER_BY_COUNT = 1 << 40


@contextlib.contextmanager
def hot_cursor() -> Iterator:
    """A cursor for a statement run many times with different values (see the module docstring):
    PostgreSQL → ``psycopg.Cursor`` (server-side binding) on the current connection; else Django's
    cursor. Errors come out as Django's database exceptions. Use with :func:`execute_hot`."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg  # noqa: PLC0415 (the PostgreSQL driver, only imported there)

    connection.ensure_connection()
    pg = connection.connection
    if pg.prepare_threshold is None:
        # Django turns psycopg's automatic preparing off (None also refuses prepare=True); a huge
        # threshold keeps it off for everything else while prepare=True prepares these statements
        pg.prepare_threshold = _NEVER_BY_COUNT
    with connection.wrap_database_errors, psycopg.Cursor(pg) as cursor:
        yield cursor


def execute_hot(cursor, sql: str, params) -> None:
    """Run ``sql`` (``%s`` placeholders) with ``params`` on a :func:`hot_cursor`: prepared on
    PostgreSQL (once per connection and statement), an ordinary execute elsewhere."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)  # Django's cursor: logged by Django when queries are logged
        return
    if not connection.queries_logged:
        cursor.execute(sql, params, prepare=True)
        return
    start = time.monotonic()  # DEBUG or CaptureQueriesContext: logged as Django's debug cursor does
    try:
        cursor.execute(sql, params, prepare=True)
    finally:
        connection.queries_log.append({"sql": sql, "params": params, "time": f"{time.monotonic() - start:.3f}"})


_INSERT_SQL: dict[tuple, tuple[str, list]] = {}


def insert_sql(model, *, ignore_conflicts: bool = False) -> tuple[str, list]:
    """``(sql, fields)``: the ``INSERT … RETURNING pk`` of one ``model`` row for this database, its
    non-primary-key concrete fields in column order (built once per model, database and variant)."""
    key = (model, connection.vendor, ignore_conflicts)
    if key not in _INSERT_SQL:
        q = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(q(f.column) for f in fields)
        sql = f"INSERT INTO {q(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        _INSERT_SQL[key] = (f"{sql} RETURNING {q(model._meta.pk.column)}", fields)
    return _INSERT_SQL[key]


def insert_values(obj, fields) -> list:
    """The database values of ``obj``'s ``fields`` for an insert: defaults and ``auto_now_add``
    applied as ``save()`` does (``Field.pre_save(obj, add=True)``)."""
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: one thread-local look-up, not one per field
    return [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]


def insert_one(obj, *, ignore_conflicts: bool = False) -> None:
    """INSERT one model instance with bound values, prepared (:func:`hot_cursor`), and set its pk.

    Skips ``save()`` (no signals, no model ``save`` override): for append-only rows written on hot
    paths whose services already enforce the rules. Field defaults and ``auto_now_add`` apply as in
    ``save()``. Raises ``django.db.IntegrityError`` like the ORM; with ``ignore_conflicts`` a
    conflicting row is skipped (``ON CONFLICT DO NOTHING``) and the pk stays None."""
    sql, fields = insert_sql(type(obj), ignore_conflicts=ignore_conflicts)
    params = insert_values(obj, fields)
    with hot_cursor() as cursor:
        execute_hot(cursor, sql, params)
        row = cursor.fetchone()
    if row is not None:
        obj.pk = row[0]
        obj._state.adding, obj._state.db = False, connection.alias


def instance_from_row(model, row):
    """A ``model`` instance from ``row``, the values of all its concrete fields in ``_meta`` order
    (e.g. ``RETURNING`` every column), converted as the ORM converts a query's values (backend and
    field converters: SQLite's datetimes from text, JSON, ...)."""
    values = []
    for field, value in zip(model._meta.concrete_fields, row, strict=True):
        col = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
            value = converter(value, col, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], values)
