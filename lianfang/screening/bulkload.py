"""City-scale bulk paths (PostgreSQL only): sampling records and lab results by COPY.

The desk path (services.desk.desk_submit) writes one person at a time; systems that batch — another
district's sampling app, a lab's LIS export of hundreds of thousands of tubes — come in here: the
file is COPYed into a temporary staging table, then set-based statements apply it, with the same
rules as the per-row services (design.md "Bulk paths"; domain.md §4):

- samples: one screening sample per person per round (the unique index
  ``sample_one_screening_per_person``) and one sample per idempotency key (``sample_idempotency_key``),
  so a re-sent file writes nothing twice; a line whose tube is not a tube of the round or whose
  person is not in the round's population is counted as rejected; the members sampled are marked
  (result pending) in the same statement;
- results: exactly one per tube; a barcode named twice in the file, an unknown or still open tube,
  and a contradiction of a recorded result are held (:class:`ResultException`), never applied;
  the tubes, their LabResult rows and the members' results are written in one statement; positive
  tubes open their follow-ups and invalid tubes their re-sampling tasks (services).

Speed (docs/benchmarks.md, "City-scale round"): every row costs its index entries, so the tables
carry only the indexes real queries use (migration 0005), member and tube updates are heap-only
(fillfactor 50, no index on the updated columns), joins are hashed in memory, and the sample insert
first tries without ``ON CONFLICT`` (see ``_FAST``).

Scope and time, as in the per-row services: the actor needs RUN_ROUNDS over the round's division
(samples) or the importer's division ``path`` (results; ``actor=None`` is the system, e.g. the
benchmark); a result line whose tube lies outside ``path`` is held as an unknown tube, one reported
more than ``services.results.CLOCK_SKEW`` ahead of the clock or before its tube was closed is held too.

Each function runs in one transaction and records one audit entry. Raises RuntimeError on SQLite.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import require
from lianfang.core import audit
from lianfang.screening.models import ResultImport, TestingRound, Tube

SAMPLE_COLUMNS = ("barcode", "resident_id", "taken_at", "key")
RESULT_COLUMNS = ("barcode", "value", "lab", "reported_at")

# Settings of the bulk transaction only (SET LOCAL): hash joins of a city's 4.36 M lines in memory
# rather than in batches on disk, and no wait for the WAL flush at commit — a crash in the next
# fraction of a second loses the whole ingest (never part of it) and the file is sent again, which
# the idempotency keys make harmless.
BULK_SETTINGS = ("SET LOCAL work_mem = '256MB'", "SET LOCAL synchronous_commit = off")
# From this many lines on, the set-based statements run without nested loops: a round opened
# minutes ago may not be analysed yet, and a nested loop planned for "a few members" over millions
# is the one plan that never finishes. Smaller files keep them (an index probe per line is then
# cheaper than reading the round). BULK_RESET restores them before the row-by-row work.
BULK_PLAN_LINES = 10_000
BULK_RESET = "SET LOCAL enable_nestloop = on"


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bulk COPY paths need PostgreSQL")


def _stage(cursor, table: str, columns: str, names: Iterable[str], source) -> int:
    """A temporary staging table ``table`` (dropped at commit) filled by COPY from ``source``
    (CSV; binary file object or bytes), analysed for the planner, with the bulk settings of the
    transaction. Returns the number of lines."""
    for statement in BULK_SETTINGS:
        cursor.execute(statement)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP")
    raw = cursor.cursor
    with raw.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)") as copy:
        if isinstance(source, bytes | bytearray):
            source = io.BytesIO(source)
        while chunk := source.read(1 << 20):
            copy.write(chunk)
    lines = raw.rowcount
    cursor.execute(f"ANALYZE {table}")
    if lines >= BULK_PLAN_LINES:
        cursor.execute("SET LOCAL enable_nestloop = off")
    return lines


# One statement: insert the samples, mark their members sampled (result pending) from the rows the
# insert returns, count them. {guard} and {conflict} choose between the two variants below.
_INSERT_SAMPLES = """
    WITH ins AS (
        INSERT INTO screening_sample (round_id, tube_id, member_id, resident_id, household_id, guardian_id,
            path, person_key, purpose, name, unregistered, taken_at, taken_by_id, idempotency_key,
            id_enc, id_hash, id_masked, id_last4)
        SELECT %(round)s, t.id, m.id, m.resident_id, m.household_id, NULL, m.path, 'r' || m.resident_id,
            'screening', r.name, false, s.taken_at, NULL, s.key, ''::bytea, '', '', ''
        FROM stage_samples s
        JOIN screening_tube t ON t.barcode = s.barcode AND t.round_id = %(round)s
        JOIN screening_roundmember m ON m.round_id = %(round)s AND m.resident_id = s.resident_id
        JOIN registry_resident r ON r.id = s.resident_id
        {guard}
        {order}
        {conflict}
        RETURNING id, member_id
    ), upd AS (
        UPDATE screening_roundmember m SET sample_id = ins.id, result = 'pending', awaiting_home_visit = false
        FROM ins WHERE m.id = ins.member_id AND m.sample_id IS NULL
    )
    SELECT count(*) FROM ins
"""
# Fast variant: people already sampled in the round are left out by one anti-join, and the insert
# has no ON CONFLICT clause, which would probe every unique index of the table before each row.
# Anything else that collides (a line sent twice in the file, a key already used, a desk sampling
# the same person meanwhile) raises a unique violation, and the safe variant runs instead.
_FAST = {
    "guard": """WHERE NOT EXISTS (SELECT 1 FROM screening_sample x WHERE x.round_id = %(round)s
        AND x.purpose = 'screening' AND x.person_key <> '' AND x.person_key = 'r' || s.resident_id)""",
    "order": "",
    "conflict": "",
}
# Safe variant: every collision skipped; of the lines naming one person, the earliest is kept.
_SAFE = {"guard": "", "order": "ORDER BY s.taken_at, s.key", "conflict": "ON CONFLICT DO NOTHING"}


def samples_ingest(*, actor, round: TestingRound, source) -> dict[str, int]:
    """Ingest sampling records from CSV ``source`` (binary file object or bytes; columns barcode,
    resident_id, taken_at ISO-8601 with zone, client key; no header) into ``round``, in one
    transaction with one audit entry.

    Returns ``{"lines", "inserted", "already", "rejected"}``: ``inserted`` samples written now (their
    members marked sampled, result pending); ``already`` lines whose key was recorded before (a file
    sent again, or repeated within the file); ``rejected`` the other lines — tube not a tube of the
    round, person not in the round's population, person already sampled in the round (one screening
    sample per person per round, domain.md §4) or named again within the file (the earliest line is
    kept).
    Raises RuntimeError on SQLite; PermissionDenied without RUN_ROUNDS over the round's division.
    """
    _require_postgres()
    require(actor, Capability.RUN_ROUNDS, round.path)
    params = {"round": round.pk}
    with transaction.atomic(), connection.cursor() as cursor:
        lines = _stage(
            cursor,
            "stage_samples",
            "barcode text, resident_id bigint, taken_at timestamptz, key text",
            SAMPLE_COLUMNS,
            source,
        )
        try:
            with transaction.atomic():
                cursor.execute(_INSERT_SAMPLES.format(**_FAST), params)
        except IntegrityError:
            cursor.execute(_INSERT_SAMPLES.format(**_SAFE), params)
        inserted = cursor.fetchone()[0]
        cursor.execute(BULK_RESET)
        already = 0
        if inserted < lines:
            cursor.execute(
                "SELECT count(*) FROM stage_samples s WHERE EXISTS "
                "(SELECT 1 FROM screening_sample x WHERE x.idempotency_key = s.key)"
            )
            already = cursor.fetchone()[0] - inserted
        report = {"lines": lines, "inserted": inserted, "already": already, "rejected": lines - inserted - already}
        audit.record(actor=actor, action="screening.samples_ingest", obj=round, detail=report)
    return report


def results_ingest(*, actor, source, path: str, file_name: str = "") -> dict[str, int]:
    """Ingest lab results from CSV ``source`` (binary file object or bytes; columns barcode, value
    ``negative``/``positive``/``invalid``, lab, reported_at ISO-8601 with zone; no header) as one
    :class:`ResultImport` by division ``path``, in one transaction with one audit entry.

    Returns ``{"lines", "applied", "unchanged", "held"}``. Exactly one result per tube (domain.md §4):
    a closed tube gets its result and LabResult, and the members screened in it theirs; an unreadable
    value, an unknown tube (or one outside ``path``), a barcode named again in the file, a still open
    tube, a report time more than ``results.CLOCK_SKEW`` ahead or before the tube was closed, or a
    value that contradicts the recorded one is held (:class:`ResultException`), never applied; the
    same value again is unchanged. Positive tubes open their follow-ups and invalid tubes their
    re-sampling tasks (services, row by row: there are few). Raises RuntimeError on SQLite;
    PermissionDenied without RUN_ROUNDS over ``path``."""
    _require_postgres()
    require(actor, Capability.RUN_ROUNDS, path)
    from lianfang.screening.services import base, follow_ups, results  # noqa: PLC0415

    with transaction.atomic(), connection.cursor() as cursor:
        batch = ResultImport.objects.create(path=path, file_name=file_name, created_by=base._actor(actor))
        lines = _stage(
            cursor,
            "stage_results",
            "barcode text, value text, lab text, reported_at timestamptz",
            RESULT_COLUMNS,
            source,
        )
        cursor.execute("DROP TABLE IF EXISTS stage_checked")
        cursor.execute(
            "CREATE TEMP TABLE stage_checked ON COMMIT DROP AS "
            "SELECT s.*, row_number() OVER (PARTITION BY s.barcode ORDER BY s.reported_at) AS n, "
            "count(*) OVER (PARTITION BY s.barcode) AS copies, t.id AS tube_id, t.status AS tube_status, "
            "t.result AS tube_result, t.path AS tube_path, t.closed_at AS tube_closed_at "
            # a tube outside the importer's division is not looked at: held as unknown, like the
            # per-row path (services.results.results_record), so a line reveals nothing about it
            "FROM stage_results s LEFT JOIN screening_tube t ON t.barcode = s.barcode "
            "AND left(t.path, length(%(path)s)) = %(path)s",
            {"path": path},
        )
        cursor.execute("ANALYZE stage_checked")
        cursor.execute(
            """
            INSERT INTO screening_resultexception (batch_id, line, barcode_text, value_text, lab, reported_text,
                reason, tube_id, path, status, resolution, created_at)
            SELECT %(batch)s, 0, barcode, value, lab, reported_at::text,
                CASE WHEN value NOT IN ('negative', 'positive', 'invalid') OR reported_at IS NULL THEN 'bad_value'
                     WHEN reported_at > now() + %(skew)s THEN 'future_time'
                     WHEN tube_id IS NULL THEN 'unknown_tube'
                     WHEN copies > 1 AND n > 1 THEN 'duplicate'
                     WHEN tube_status = 'open' THEN 'tube_open'
                     WHEN reported_at < tube_closed_at THEN 'before_closed'
                     ELSE 'contradicts' END,
                tube_id, coalesce(tube_path, %(path)s), 'held', '', now()
            FROM stage_checked
            WHERE value NOT IN ('negative', 'positive', 'invalid') OR reported_at IS NULL
               OR reported_at > now() + %(skew)s OR tube_id IS NULL OR n > 1
               OR tube_status = 'open' OR reported_at < tube_closed_at
               OR (tube_status = 'resulted' AND tube_result <> value)
            """,
            {"batch": batch.pk, "path": path, "skew": results.CLOCK_SKEW},
        )
        held = cursor.rowcount
        # One statement: the tubes' results, their LabResult rows (one per tube: the unique tube_id
        # index), the members screened in them (screening and re-sampling samples), and the count.
        cursor.execute(
            """
            WITH upd AS (
                UPDATE screening_tube t SET status = 'resulted', result = c.value, lab = c.lab,
                    result_at = c.reported_at, status_reason = 'result'
                FROM stage_checked c
                WHERE c.tube_id = t.id AND c.n = 1 AND t.status = 'closed'
                  AND c.value IN ('negative', 'positive', 'invalid')
                  AND c.reported_at <= now() + %(skew)s
                  AND (t.closed_at IS NULL OR c.reported_at >= t.closed_at)
                RETURNING t.id, t.result, t.lab, t.result_at
            ), ins AS (
                INSERT INTO screening_labresult (tube_id, value, lab, reported_at, batch_id, recorded_at)
                SELECT id, result, lab, result_at, %(batch)s, now() FROM upd
                RETURNING tube_id, value
            ), members AS (
                UPDATE screening_roundmember m SET result = ins.value
                FROM ins JOIN screening_sample s ON s.tube_id = ins.tube_id
                WHERE m.id = s.member_id AND s.purpose IN ('screening', 'resample')
            )
            SELECT count(*) FROM ins
            """,
            {"batch": batch.pk, "skew": results.CLOCK_SKEW},
        )
        applied = cursor.fetchone()[0]
        cursor.execute(BULK_RESET)
        counts = {"lines": lines, "applied": applied, "unchanged": lines - applied - held, "held": held}
        ResultImport.objects.filter(pk=batch.pk).update(counts=counts)
        resulted = Tube.objects.filter(lab_result__batch=batch, result__in=["positive", "invalid"])
        retests = {t.pk: (t, t.result) for t in resulted.filter(samples__purpose="retest").distinct()}
        if retests:
            follow_ups._retest_results(actor, retests, timezone.now())
        for tube in resulted.exclude(pk__in=list(retests)):
            if tube.result == "positive":
                follow_ups.follow_up_open(actor=actor, tube=tube)
            else:
                results._resample_tasks(tube, tube.result_at)
        audit.record(
            actor=actor,
            action="screening.results",
            object_type="screening.resultimport",
            object_id=str(batch.pk),
            division_code=path,
            detail=counts,
        )
    return counts
