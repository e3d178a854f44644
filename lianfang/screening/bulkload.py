"""City-scale bulk paths (PostgreSQL only): sampling records and lab results by COPY.

The desk path (services.desk_submit) writes one person at a time; systems that batch — another
district's sampling app, a lab's LIS export of hundreds of thousands of tubes — come in here: the
file is COPYed into a temporary staging table, then set-based statements apply it, with the same
rules as the per-row services (design.md "Bulk paths"; domain.md §4):

- samples: one screening sample per person per round (``ON CONFLICT DO NOTHING`` on the unique index
  ``sample_one_screening_per_person`` and on the idempotency key, so a re-sent file writes nothing
  twice); a line whose tube is not a tube of the round or whose person is not in the round's
  population is counted as rejected;
- results: exactly one per tube; a barcode named twice in the file, an unknown or still open tube,
  and a contradiction of a recorded result are held (:class:`ResultException`), never applied;
  positive tubes open their follow-ups and invalid tubes their re-sampling tasks (services).

Each function runs in one transaction and records one audit entry. Raises RuntimeError on SQLite.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from lianfang.core import audit
from lianfang.screening.models import ResultImport, TestingRound, Tube

SAMPLE_COLUMNS = ("barcode", "resident_id", "taken_at", "key")
RESULT_COLUMNS = ("barcode", "value", "lab", "reported_at")


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bulk COPY paths need PostgreSQL")


def _copy(cursor, table: str, columns: Iterable[str], source) -> None:
    raw = cursor.cursor
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        if isinstance(source, bytes | bytearray):
            source = io.BytesIO(source)
        while chunk := source.read(1 << 20):
            copy.write(chunk)


def samples_ingest(*, actor, round: TestingRound, source) -> dict[str, int]:
    """Ingest sampling records from CSV ``source`` (binary file object or bytes; columns barcode,
    resident_id, taken_at ISO-8601 with zone, client key) into ``round``. Returns ``{"lines",
    "inserted", "rejected"}``; members of the population are marked sampled (result pending)."""
    _require_postgres()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS stage_samples")
        cursor.execute(
            "CREATE TEMP TABLE stage_samples (barcode text, resident_id bigint, taken_at timestamptz, key text) "
            "ON COMMIT DROP"
        )
        _copy(cursor, "stage_samples", SAMPLE_COLUMNS, source)
        cursor.execute("ANALYZE stage_samples")
        cursor.execute("SELECT count(*) FROM stage_samples")
        lines = cursor.fetchone()[0]
        cursor.execute(
            """
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
                ON CONFLICT DO NOTHING
                RETURNING id, member_id
            )
            UPDATE screening_roundmember m SET sample_id = ins.id, result = 'pending', awaiting_home_visit = false
            FROM ins WHERE m.id = ins.member_id AND m.sample_id IS NULL
            """,
            {"round": round.pk},
        )
        cursor.execute("SELECT count(*) FROM screening_sample x JOIN stage_samples s ON x.idempotency_key = s.key")
        inserted = cursor.fetchone()[0]
        report = {"lines": lines, "inserted": inserted, "rejected": lines - inserted}
        audit.record(actor=actor, action="screening.samples_ingest", obj=round, detail=report)
    return report


def results_ingest(*, actor, source, path: str, file_name: str = "") -> dict[str, int]:
    """Ingest lab results from CSV ``source`` (columns barcode, value ``negative``/``positive``/
    ``invalid``, lab, reported_at ISO-8601). Returns ``{"lines", "applied", "held"}`` and follows
    up positive and invalid tubes through the services."""
    _require_postgres()
    from lianfang.screening import services  # noqa: PLC0415

    with transaction.atomic(), connection.cursor() as cursor:
        batch = ResultImport.objects.create(path=path, file_name=file_name, created_by=services._actor(actor))
        cursor.execute("DROP TABLE IF EXISTS stage_results")
        cursor.execute(
            "CREATE TEMP TABLE stage_results (barcode text, value text, lab text, reported_at timestamptz) "
            "ON COMMIT DROP"
        )
        _copy(cursor, "stage_results", RESULT_COLUMNS, source)
        cursor.execute("ANALYZE stage_results")
        cursor.execute("DROP TABLE IF EXISTS stage_checked")
        cursor.execute(
            "CREATE TEMP TABLE stage_checked ON COMMIT DROP AS "
            "SELECT s.*, row_number() OVER (PARTITION BY s.barcode ORDER BY s.reported_at) AS n, "
            "count(*) OVER (PARTITION BY s.barcode) AS copies, t.id AS tube_id, t.status AS tube_status, "
            "t.result AS tube_result, t.path AS tube_path "
            "FROM stage_results s LEFT JOIN screening_tube t ON t.barcode = s.barcode"
        )
        cursor.execute("ANALYZE stage_checked")
        cursor.execute(
            """
            INSERT INTO screening_resultexception (batch_id, line, barcode_text, value_text, lab, reported_text,
                reason, tube_id, path, status, resolution, created_at)
            SELECT %(batch)s, 0, barcode, value, lab, reported_at::text,
                CASE WHEN value NOT IN ('negative', 'positive', 'invalid') THEN 'bad_value'
                     WHEN tube_id IS NULL THEN 'unknown_tube'
                     WHEN copies > 1 AND n > 1 THEN 'duplicate'
                     WHEN tube_status = 'open' THEN 'tube_open'
                     ELSE 'contradicts' END,
                tube_id, coalesce(tube_path, %(path)s), 'held', '', now()
            FROM stage_checked
            WHERE value NOT IN ('negative', 'positive', 'invalid') OR tube_id IS NULL OR n > 1
               OR tube_status = 'open' OR (tube_status = 'resulted' AND tube_result <> value)
            """,
            {"batch": batch.pk, "path": path},
        )
        held = cursor.rowcount
        cursor.execute(
            """
            WITH upd AS (
                UPDATE screening_tube t SET status = 'resulted', result = c.value, lab = c.lab,
                    result_at = c.reported_at, status_reason = 'result'
                FROM stage_checked c
                WHERE c.tube_id = t.id AND c.n = 1 AND t.status = 'closed'
                  AND c.value IN ('negative', 'positive', 'invalid')
                RETURNING t.id, t.result, t.lab, t.result_at
            )
            INSERT INTO screening_labresult (tube_id, value, lab, reported_at, batch_id, recorded_at)
            SELECT id, result, lab, result_at, %(batch)s, now() FROM upd
            """,
            {"batch": batch.pk},
        )
        cursor.execute("ANALYZE screening_labresult")
        cursor.execute(
            """
            UPDATE screening_roundmember m SET result = t.result
            FROM screening_labresult r
            JOIN screening_tube t ON t.id = r.tube_id
            JOIN screening_sample s ON s.tube_id = t.id
            WHERE r.batch_id = %(batch)s AND m.id = s.member_id AND s.purpose IN ('screening', 'resample')
            """,
            {"batch": batch.pk},
        )
        cursor.execute("SELECT count(*) FROM screening_labresult WHERE batch_id = %s", [batch.pk])
        applied = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM stage_results")
        lines = cursor.fetchone()[0]
        counts = {"lines": lines, "applied": applied, "unchanged": lines - applied - held, "held": held}
        ResultImport.objects.filter(pk=batch.pk).update(counts=counts)
        resulted = Tube.objects.filter(lab_result__batch=batch, result__in=["positive", "invalid"])
        retests = {t.pk: (t, t.result) for t in resulted.filter(samples__purpose="retest").distinct()}
        if retests:
            services._retest_results(actor, retests, timezone.now())
        for tube in resulted.exclude(pk__in=list(retests)):
            if tube.result == "positive":
                services.follow_up_open(actor=actor, tube=tube)
            else:
                services._resample_tasks(tube, tube.result_at)
        audit.record(
            actor=actor,
            action="screening.results",
            object_type="screening.resultimport",
            object_id=str(batch.pk),
            division_code=path,
            detail=counts,
        )
    return counts
