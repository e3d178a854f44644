"""A Lanzhou-scale testing round on PostgreSQL: bulk ingest of sampling records and lab results by
COPY, then coverage by compound for the whole city.

Data (generated straight into a scratch database with core.bulk COPY): the real divisions of Lanzhou
(6201: 116 streets/towns, 1,177 communities/villages), ~12 compounds per community, 1,488,899 × scale
households and 4,359,446 × scale residents (2020 census, domain.md §6), one round over the city with
its population snapshot, and one closed 10-in-1 tube per ten people (~436 k at scale 1).

Measured in the same run, on the same files:
- the baseline, "raw COPY of the same file": COPY of the sampling CSV into a plain, logged table with
  the file's four columns (barcode text, resident_id bigint, taken_at timestamptz, key text) and no
  index, constraint, trigger or default — what PostgreSQL costs to take the file durably with no
  rule applied. For reference, the same COPY into a temporary table (not WAL-logged; what the
  ingest's own staging step costs) is printed too;
- ``screening.bulkload.samples_ingest`` (staging COPY + insert with the rules: one screening sample
  per person per round, idempotency key, tube of the round, person in the population; members
  marked sampled): samples/s and the ratio to the baseline; then the same file again (nothing new);
- the same for the lab-results file and ``bulkload.results_ingest`` (held lines, one result per tube,
  members' results, follow-ups of the positive pools);
- ``screening.selectors.coverage(by="compound")`` over the whole city (median of 3).

Every step prints wall time, the CPU seconds of this process (client: CSV writing, Django) and of
its PostgreSQL server process (``/proc/<backend pid>/stat``: the SQL work; parallel workers of a
query are not included), and the load average, since the machine may be shared.

Usage: ``.venv/bin/python bench/round_city.py [--scale 1] [--pg postgres://postgres@127.0.0.1:5432]
[--db lianfang_bench_city]`` (the database is dropped and re-created; scale 1 needs ~15 GB of disk and
PostgreSQL on this machine for the server CPU figures).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LANZHOU_RESIDENTS = 4_359_446
LANZHOU_HOUSEHOLDS = 1_488_899
COMPOUNDS_PER_COMMUNITY = 12
POOL = 10
POSITIVE_TUBES = 20


def setup_django(pg: str, db: str) -> None:
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    os.environ["DATABASE_URL"] = f"{pg.rstrip('/')}/{db}"
    os.environ.setdefault("LIANFANG_VAR_DIR", tempfile.mkdtemp(prefix="lianfang-bench-city-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _server_cpu() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend, or None when the server
    is not on this machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(label: str, fn):
    """Run ``fn``; print and return (wall seconds, result) with client and server CPU seconds."""
    server = _server_cpu()
    client = time.process_time()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    client = time.process_time() - client
    after = _server_cpu()
    cpu = f"server CPU {after - server:.2f} s" if server is not None and after is not None else "server CPU n/a"
    print(f"  {label}: {seconds:.2f} s (client CPU {client:.2f} s, {cpu}; {_load()})", flush=True)
    return seconds, result


def generate(scale: float):
    from django.db import connection, transaction
    from django.utils import timezone

    from lianfang.core.bulk import insert_rows, reserve_ids
    from lianfang.divisions.models import Division
    from lianfang.divisions.services import load_divisions
    from lianfang.registry.models import Household, Resident
    from lianfang.screening.models import RoundMember, SamplingDesk, SamplingSite, TestingRound, Tube

    load_divisions(actor=None, source=ROOT.parent / "shared" / "data" / "divisions", code="6201")
    communities = list(
        Division.objects.filter(level=5, code__startswith="6201").values_list("id", "code", "district_id")
    )
    now = timezone.now()
    with transaction.atomic():
        compounds = []
        ids = reserve_ids(Division, len(communities) * COMPOUNDS_PER_COMMUNITY)
        it = iter(ids)
        rows = []
        for cid, code, district_id in communities:
            for n in range(1, COMPOUNDS_PER_COMMUNITY + 1):
                pk = next(it)
                rows.append(
                    (
                        pk,
                        f"{code}{n:03d}",
                        f"{n}号小区",
                        f"{n}号小区",
                        6,
                        "compound",
                        cid,
                        district_id,
                        False,
                        None,
                        True,
                    )
                )
                compounds.append((pk, cid, district_id, f"{code}{n:03d}"))
        insert_rows(
            Division,
            [
                "id",
                "code",
                "name",
                "short_name",
                "level",
                "kind",
                "parent_id",
                "district_id",
                "is_official",
                "geometry",
                "schematic",
            ],
            rows,
        )
    n_households = int(LANZHOU_HOUSEHOLDS * scale)
    n_residents = int(LANZHOU_RESIDENTS * scale)
    with transaction.atomic():
        hids = reserve_ids(Household, n_households)

        def households():
            for i, pk in enumerate(hids):
                cpk, cid, did, code = compounds[i % len(compounds)]
                yield (pk, did, cid, cpk, None, None, code, str(i), f"{code} {i}", "", now, now, b"", "", "", "")

        insert_rows(
            Household,
            [
                "id",
                "district_id",
                "community_id",
                "compound_id",
                "building_id",
                "unit_id",
                "path",
                "room",
                "address",
                "contact_name",
                "created_at",
                "updated_at",
                "phone_enc",
                "phone_hash",
                "phone_masked",
                "phone_last4",
            ],
            households(),
        )
    household_paths = {pk: compounds[i % len(compounds)][3] for i, pk in enumerate(hids)}
    with transaction.atomic():
        rids = reserve_ids(Resident, n_residents)
        born = dt.date(1980, 1, 1)

        def residents():
            for i, pk in enumerate(rids):
                hid = hids[i % n_households]
                yield (
                    pk,
                    hid,
                    household_paths[hid],
                    "居民",
                    "jm",
                    "passport",
                    None,
                    "M",
                    born,
                    "other",
                    "registered",
                    "",
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                    now,
                    now,
                    b"",
                    f"{i:032x}",
                    "",
                    "",
                    b"",
                    "",
                    "",
                    "",
                )

        insert_rows(
            Resident,
            [
                "id",
                "household_id",
                "path",
                "name",
                "name_initials",
                "document_type",
                "guardian_id",
                "sex",
                "birth_date",
                "relation",
                "residence_status",
                "registration_address",
                "elderly_alone",
                "no_smartphone",
                "chronic_illness",
                "dialysis",
                "pregnant",
                "bedridden",
                "disabled",
                "infant",
                "is_deceased",
                "created_at",
                "updated_at",
                "id_enc",
                "id_hash",
                "id_masked",
                "id_last4",
                "phone_enc",
                "phone_hash",
                "phone_masked",
                "phone_last4",
            ],
            residents(),
        )
    city = Division.objects.get(code="6201")
    district = Division.objects.filter(level=3, code__startswith="6201").first()
    rnd = TestingRound.objects.create(
        district=district, name="兰州全员第1轮", path="6201", opened_at=now, deadline=now + dt.timedelta(hours=24)
    )
    rnd.nodes.create(division=city, code="6201")
    site = SamplingSite.objects.create(round=rnd, name="bench", division=city, path="6201")
    desk = SamplingDesk.objects.create(site=site, round=rnd, name="bench", path="6201", mode="pool_10")

    def snapshot():
        with transaction.atomic():
            mids = reserve_ids(RoundMember, n_residents)
            rows = (
                (
                    m,
                    rnd.pk,
                    r,
                    hids[i % n_households],
                    household_paths[hids[i % n_households]],
                    "pool_10",
                    False,
                    False,
                    "",
                    "",
                    "",
                    False,
                    False,
                )
                for i, (m, r) in enumerate(zip(mids, rids, strict=True))
            )
            insert_rows(
                RoundMember,
                [
                    "id",
                    "round_id",
                    "resident_id",
                    "household_id",
                    "path",
                    "mode",
                    "home_visit",
                    "awaiting_home_visit",
                    "exemption",
                    "exemption_note",
                    "result",
                    "added_late",
                    "removed",
                ],
                rows,
            )

    print(f"generated {len(compounds):,} compounds, {n_households:,} households, {n_residents:,} residents", flush=True)
    snap_s, _ = timed(f"population snapshot of the round ({n_residents:,} members, COPY)", snapshot)
    n_tubes = (n_residents + POOL - 1) // POOL

    def tubes():
        with transaction.atomic():
            tids = reserve_ids(Tube, n_tubes)
            insert_rows(
                Tube,
                [
                    "id",
                    "round_id",
                    "desk_id",
                    "task_id",
                    "client_key",
                    "barcode",
                    "mode",
                    "capacity",
                    "people",
                    "household_id",
                    "path",
                    "status",
                    "status_reason",
                    "opened_at",
                    "closed_at",
                    "lab",
                    "result",
                    "result_at",
                    "pending_flagged_at",
                    "retest_of_id",
                ],
                (
                    (
                        t,
                        rnd.pk,
                        desk.pk,
                        None,
                        f"k{t}",
                        f"LZ{i:09d}",
                        "pool_10",
                        POOL,
                        min(POOL, n_residents - i * POOL),
                        None,
                        "6201",
                        "closed",
                        "barcode_scanned",
                        now,
                        now,
                        "",
                        "",
                        None,
                        None,
                        None,
                    )
                    for i, t in enumerate(tids)
                ),
            )

    timed(f"{n_tubes:,} closed tubes (COPY)", tubes)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return rnd, rids, n_tubes, n_residents


def write_files(rids, n_tubes, folder: Path):
    taken = dt.datetime(2022, 3, 27, 8, 0, tzinfo=dt.UTC).isoformat()
    samples = folder / "samples.csv"
    with samples.open("w", newline="") as f:
        w = csv.writer(f)
        for i, rid in enumerate(rids):
            w.writerow((f"LZ{i // POOL:09d}", rid, taken, f"bulk-{rid}"))
    results = folder / "results.csv"
    positives = set(range(0, n_tubes, max(1, n_tubes // POSITIVE_TUBES)))
    with results.open("w", newline="") as f:
        w = csv.writer(f)
        for i in range(n_tubes):
            w.writerow((f"LZ{i:09d}", "positive" if i in positives else "negative", "兰州检测中心", taken))
    return samples, results


def raw_copy(path: Path, table: str, columns: str, *, temporary: bool = False) -> float:
    """Seconds to COPY the CSV at ``path`` into a new plain table ``table`` (``columns``: no index,
    constraint, trigger or default), committed; logged unless ``temporary``. The table is dropped."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE {'TEMP ' if temporary else ''}TABLE {table} ({columns})")

    def copy():
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            path.open("rb") as f,
            cursor.cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as out,
        ):
            while chunk := f.read(1 << 20):
                out.write(chunk)

    kind = "temporary table (reference)" if temporary else "logged table: the baseline"
    seconds, _ = timed(f"raw COPY of {path.name} into a plain {kind}", copy)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return seconds


SAMPLE_FILE_COLUMNS = "barcode text, resident_id bigint, taken_at timestamptz, key text"
RESULT_FILE_COLUMNS = "barcode text, value text, lab text, reported_at timestamptz"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="lianfang_bench_city", help="scratch database (dropped and re-created)")
    args = parser.parse_args()
    print(f"== round_city: scale {args.scale}, {_load()}", flush=True)
    setup_django(args.pg, args.db)
    from lianfang.screening import bulkload, selectors
    from lianfang.screening.models import Sample

    rnd, rids, n_tubes, n_residents = generate(args.scale)
    folder = Path(tempfile.mkdtemp(prefix="lianfang-bench-files-"))
    samples_file, results_file = write_files(rids, n_tubes, folder)
    print(
        f"files: {samples_file} ({samples_file.stat().st_size / 1e6:,.0f} MB), "
        f"{results_file} ({results_file.stat().st_size / 1e6:,.0f} MB)",
        flush=True,
    )
    raw_tmp = raw_copy(samples_file, "raw_samples_tmp", SAMPLE_FILE_COLUMNS, temporary=True)
    raw_s = raw_copy(samples_file, "raw_samples", SAMPLE_FILE_COLUMNS)
    with samples_file.open("rb") as f:
        ingest_s, report = timed("samples_ingest", lambda: bulkload.samples_ingest(actor=None, round=rnd, source=f))
    print(f"    {report}", flush=True)
    assert report["inserted"] == n_residents == Sample.objects.count(), report
    with samples_file.open("rb") as f:
        again_s, again = timed(
            "samples_ingest of the same file again (idempotent: nothing written)",
            lambda: bulkload.samples_ingest(actor=None, round=rnd, source=f),
        )
    assert again["already"] == n_residents and Sample.objects.count() == n_residents, again
    raw_r_tmp = raw_copy(results_file, "raw_results_tmp", RESULT_FILE_COLUMNS, temporary=True)
    raw_r = raw_copy(results_file, "raw_results", RESULT_FILE_COLUMNS)
    with results_file.open("rb") as f:
        res_s, counts = timed("results_ingest", lambda: bulkload.results_ingest(actor=None, source=f, path="6201"))
    print(f"    {counts}", flush=True)
    assert counts["applied"] == n_tubes, counts
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        rows, totals = selectors.coverage(user=selectors.SYSTEM, round=rnd, by="compound")
        runs.append(time.perf_counter() - started)
    cov_s = statistics.median(runs)
    print(
        f"  coverage by compound, whole city: {len(rows):,} compounds, median {cov_s:.2f} s "
        f"(runs {', '.join(f'{r:.2f}' for r in runs)}; {_load()}); totals {totals.counts}",
        flush=True,
    )
    assert totals.counts["expected"] == n_residents and totals.counts["pending"] == 0, totals.counts
    print("== summary (targets: ingest >= 200,000 samples/s and <= 2x the raw COPY; coverage < 3 s)")
    print(
        f"samples ingest: {n_residents:,} samples in {ingest_s:.2f} s = {n_residents / ingest_s:,.0f} samples/s; "
        f"{ingest_s / raw_s:.1f}x the raw COPY of the same file into a logged table ({raw_s:.2f} s), "
        f"{ingest_s / raw_tmp:.1f}x the COPY into a temporary table ({raw_tmp:.2f} s)"
    )
    print(
        f"results ingest: {n_tubes:,} results in {res_s:.2f} s = {n_tubes / res_s:,.0f} results/s; "
        f"{res_s / raw_r:.1f}x the raw COPY into a logged table ({raw_r:.2f} s), "
        f"{res_s / raw_r_tmp:.1f}x into a temporary table ({raw_r_tmp:.2f} s)"
    )
    print(f"city-wide coverage by compound ({n_residents:,} members): median {cov_s:.2f} s")
    print(_load())


if __name__ == "__main__":
    main()
