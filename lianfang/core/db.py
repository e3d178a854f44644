"""Statements on the hottest write paths (the sampling desk, the audit log): prepared on PostgreSQL.

Django's PostgreSQL backend binds parameters on the client (psycopg ``ClientCursor``): every
statement reaches the server as new SQL text, parsed and planned again. For the desk's few,
always-identical statements that planning was a large share of the server's CPU per registration.
:func:`hot_cursor` gives, on PostgreSQL, a psycopg cursor on Django's own connection (same session,
same transaction) with server-side binding, whose statements psycopg prepares once per connection
(``prepare=True``) and then only executes; on other databases it is Django's cursor.

Database errors are raised as Django's (``django.db.IntegrityError`` …) in both cases.

The cursor is psycopg's ``RawCursor``, and :func:`execute_hot` turns each statement's ``%s``
placeholders into ``$1 … $n`` once per process (:func:`raw_sql`). psycopg's ordinary cursor parses
the ``%s`` of every statement it runs again unless the statement is short (≤ 4,096 bytes) with few
parameters (≤ 50): the desk's one-statement registration (screening.deskpath) has more, and parsing
it took ~14 % of a gunicorn worker's CPU at peak (py-spy, docs/benchmarks.md "Sampling desk").

Caveat (PostgreSQL): a prepared statement outlives a schema change made by another session; after a
migration, connections opened before it may fail those statements once ("cached plan must not change
result type") — restart the web processes after migrating, as a deploy does anyway.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connection, connections

__all__ = ["execute_hot", "field_values", "hot_cursor", "insert_one", "insert_values", "instance_from_row", "raw_sql"]

_NEVER_BY_COUNT = 1 << 40
_PLACEHOLDER = re.compile(r"%.?", re.DOTALL)


@functools.lru_cache(maxsize=256)
def raw_sql(sql: str) -> bytes:
    """``sql`` with ``%s`` placeholders (``%%`` a literal ``%``, as DB-API ``format`` style) as
    PostgreSQL's own ``$1 … $n`` form, UTF-8 encoded, for a psycopg ``RawCursor``. Cached: hot
    statements are a few fixed strings. Raises ValueError on any other ``%`` sequence (``%(name)s``
    included), naming it, rather than sending SQL whose parameters would not line up."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        if match.group() != "%s":
            raise ValueError(f"only %s placeholders and %% are allowed in a hot statement, not {match.group()!r}")
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql).encode()


@contextlib.contextmanager
def hot_cursor() -> Iterator:
    """A cursor for a statement run many times with different values (see the module docstring):
    PostgreSQL → ``psycopg.RawCursor`` (server-side binding, ``$n`` placeholders) on the current
    connection; else Django's cursor. Errors come out as Django's database exceptions. Use with :func:`execute_hot`."""
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
    with connection.wrap_database_errors, psycopg.RawCursor(pg) as cursor:
        yield cursor


def execute_hot(cursor, sql: str, params) -> None:
    """Run ``sql`` (``%s`` placeholders) with ``params`` (a sequence) on a :func:`hot_cursor`:
    prepared on PostgreSQL (once per connection and statement; placeholders converted once per
    process by :func:`raw_sql`), an ordinary execute elsewhere."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)  # Django's cursor: logged by Django when queries are logged
        return
    raw = raw_sql(sql)
    if not connection.queries_logged:
        cursor.execute(raw, params, prepare=True)
        return
    start = time.monotonic()  # DEBUG or CaptureQueriesContext: logged as Django's debug cursor does
    try:
        cursor.execute(raw, params, prepare=True)
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


def field_values(obj, fields) -> list:
    """The database values of ``obj``'s ``fields`` as they are (no defaults or ``auto_now_add``
    applied): ``Field.get_db_prep_save`` with the connection wrapper looked up once — handing each
    field ``django.db.connection``, a proxy, costs a thread-local look-up per attribute the field
    reads (a tenth of the desk's tube statement, cProfile)."""
    conn = connections[DEFAULT_DB_ALIAS]
    return [f.get_db_prep_save(getattr(obj, f.attname), conn) for f in fields]


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
