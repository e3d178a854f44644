"""The sampling desk's usual registration as ONE statement on PostgreSQL (采样台登记：一条语句写入).

At peak every desk posts an ID number every few seconds. The usual registration — one person into
the desk's open tube, a screening sample, their round member marked "sampled, result pending", the
audit entry and the stored outcome under the client's idempotency key — was five statements inside
BEGIN … COMMIT (seven round trips, a transaction held open while Python built the next statement).
:func:`register` sends them as one data-modifying ``WITH`` statement in autocommit mode: one round
trip, one implicit transaction, and the same rules, because every rule is decided by the database
exactly as before:

- the tube upsert (``services.tubes._tube_take_sql``) grows the tube only when it is open, of this
  station, has room and holds the same household; otherwise it returns no row, and then nothing
  else is written (each later part selects ``FROM`` the tube's row);
- the unique indexes of the samples (one screening sample per person and round; one per
  idempotency key) raise ``IntegrityError`` for the whole statement — nothing is written;
- the member is marked only while it has no sample (as ``services.sampling._after_samples``);
- the outcome is stored ``ON CONFLICT DO NOTHING`` (the sample's unique key already made this
  submission the only one), its ``tube`` part filled in from the tube's row, so a retry replays
  exactly the answer the desk got.

Only PostgreSQL runs this (data-modifying CTEs); SQLite and every less usual submission take
``services.sampling.samples_register`` inside a transaction. Measured in docs/benchmarks.md ("Sampling desk").
"""

from __future__ import annotations

from django.db import connection

from lianfang.core import db
from lianfang.core.models import AuditEntry

from .models import RoundMember, Sample, SubmissionKey

_SQL: dict[str, tuple[str, list, list, list, list]] = {}

# columns whose values come from the statement's own rows rather than from Python
_FROM_ROWS = {
    (Sample, "tube_id"): "t.id",
    (AuditEntry, "object_id"): "t.id::text",
}


def _select_list(model, fields) -> tuple[str, str, list]:
    """``(columns, values, bound fields)`` of an ``INSERT … SELECT`` of one ``model`` row: ``%s``
    for each bound field, the row expressions of :data:`_FROM_ROWS` for the others."""
    q = connection.ops.quote_name
    columns, values, bound = [], [], []
    for f in fields:
        columns.append(q(f.column))
        expression = _FROM_ROWS.get((model, f.attname))
        if expression is None:
            values.append("%s")
            bound.append(f)
        else:
            values.append(expression)
    return ", ".join(columns), ", ".join(values), bound


def _statement(tube_sql: str) -> tuple[str, list, list, list]:
    """The one statement (built once per process) and the bound fields of Sample, AuditEntry and
    SubmissionKey, in the order their values follow the tube upsert's parameters."""
    if "postgresql" not in _SQL:
        q = connection.ops.quote_name
        parts = {}
        for model in (Sample, AuditEntry, SubmissionKey):
            fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            parts[model] = (q(model._meta.db_table), *_select_list(model, fields))
        s_table, s_columns, s_values, s_bound = parts[Sample]
        a_table, a_columns, a_values, a_bound = parts[AuditEntry]
        k_table, k_columns, _, k_bound = parts[SubmissionKey]
        k_values = []
        for f in k_bound:  # the response gets the tube's row as its "tube"
            if f.attname == "response":
                k_values.append(
                    "%s::jsonb || jsonb_build_object('tube', %s::jsonb || jsonb_build_object("
                    "'id', t.id, 'people', t.people, 'capacity', t.capacity, 'status', t.status, "
                    "'barcode', t.barcode))"
                )
            else:
                k_values.append("%s")
        m_table = q(RoundMember._meta.db_table)
        sql = (
            f"WITH t AS ({tube_sql}), "  # noqa: S608 (names from the models, values bound)
            f"s AS (INSERT INTO {s_table} ({s_columns}) SELECT {s_values} FROM t RETURNING id), "
            f"u AS (UPDATE {m_table} SET sample_id = s.id, result = %s, awaiting_home_visit = false "
            f"FROM s WHERE {m_table}.id = %s AND {m_table}.sample_id IS NULL), "
            f"a AS (INSERT INTO {a_table} ({a_columns}) SELECT {a_values} FROM t, s RETURNING id), "
            f"k AS (INSERT INTO {k_table} ({k_columns}) SELECT {', '.join(k_values)} FROM t, s "
            "ON CONFLICT DO NOTHING) "
            "SELECT t.id, t.people, t.capacity, t.status, t.barcode, t.household_id, s.id, a.id "
            "FROM t LEFT JOIN s ON true LEFT JOIN a ON true"
        )
        _SQL["postgresql"] = (sql, s_bound, a_bound, k_bound)
    return _SQL["postgresql"]


def register(
    *,
    tube_sql: str,
    tube_params: list,
    sample: Sample,
    member_result: str,
    entry: AuditEntry,
    outcome: SubmissionKey,
    tube_static: dict,
) -> tuple | None:
    """Run the registration (see the module docstring) in autocommit mode: ``tube_sql`` and
    ``tube_params`` are the tube upsert (``services.tubes._tube_take_sql`` and its parameters); ``sample``
    (its ``tube`` unset), ``entry`` (its ``object_id`` unset) and ``outcome`` (its ``response``
    without ``tube``) are unsaved instances; ``tube_static`` the parts of the answer's ``tube`` the
    row does not give (``key``, ``mode``).

    Returns ``(tube id, people, capacity, status, barcode, household id, sample id, audit id)``, or
    None when the tube refused (full, closed, another station's or another household's: nothing
    written; the caller finds out which). Sets the pks of ``sample`` and ``entry``. Raises
    ``django.db.IntegrityError`` (nothing written) when a unique index refuses the sample.
    Must not run inside a transaction (``connection.in_atomic_block`` False): it is its own."""
    assert connection.vendor == "postgresql" and not connection.in_atomic_block  # noqa: S101
    sql, s_bound, a_bound, k_bound = _statement(tube_sql)
    params = list(tube_params)
    params += db.insert_values(sample, s_bound)
    params += [member_result, sample.member_id]
    params += db.insert_values(entry, a_bound)
    for f, value in zip(k_bound, db.insert_values(outcome, k_bound), strict=True):
        params.append(value)
        if f.attname == "response":  # JSON values are adapted by the field (psycopg's Jsonb)
            params.append(f.get_db_prep_save(tube_static, connection))
    with db.hot_cursor() as cursor:
        db.execute_hot(cursor, sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    sample.pk, entry.pk = row[6], row[7]
    for obj in (sample, entry):
        if obj.pk is not None:
            obj._state.adding, obj._state.db = False, connection.alias
    return row
