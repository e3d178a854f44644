"""A Lanzhou-scale testing round on PostgreSQL: bulk ingest of sampling records and lab results by
COPY, then coverage by compound for the whole city.

Data (generated straight into a scratch database with core.bulk COPY): the real divisions of Lanzhou
(6201: 116 streets/towns, 1,177 communities/villages), ~12 compounds per community, 1,488,899 × scale
households and 4,359,446 × scale residents (2020 census, domain.md §6), one round over the city with
its population snapshot, and one closed 10-in-1 tube per ten people (~436 k at scale 1).

Measured in the same run, on the same files:
- raw COPY of the sampling file into a plain staging table (the baseline), then
  ``screening.bulkload.samples_ingest`` (staging COPY + insert with the one-sample-per-person and
  idempotency rules + members marked sampled): samples/s and the ratio to the raw COPY;
- the same for the lab-results file and ``bulkload.results_ingest``;
- ``screening.selectors.coverage(by="compound")`` over the whole city (median of 3).

Usage: ``.venv/bin/python bench/round_city.py [--scale 1] [--pg postgres://postgres@127.0.0.1:5432]``
(the database ``lianfang_bench_city`` is dropped and re-created).
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


def setup_django(pg: str) -> None:
    db = "lianfang_bench_city"
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    os.environ["DATABASE_URL"] = f"{pg.rstrip('/')}/{db}"
    os.environ.setdefault("LIANFANG_VAR_DIR", tempfile.mkdtemp(prefix="lianfang-bench-city-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s", flush=True)
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


def raw_copy(path: Path, table: str, columns: str) -> float:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP")
        started = time.perf_counter()
        with path.open("rb") as f, cursor.cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    print(f"== round_city: scale {args.scale}", flush=True)
    setup_django(args.pg)
    from lianfang.screening import bulkload, selectors
    from lianfang.screening.models import Sample

    rnd, rids, n_tubes, n_residents = generate(args.scale)
    folder = Path(tempfile.mkdtemp(prefix="lianfang-bench-files-"))
    samples_file, results_file = write_files(rids, n_tubes, folder)
    raw_s = raw_copy(samples_file, "raw_samples", "barcode text, resident_id bigint, taken_at timestamptz, key text")
    print(f"  raw COPY of the sampling file: {raw_s:.2f} s ({n_residents / raw_s:,.0f} rows/s)", flush=True)
    with samples_file.open("rb") as f:
        ingest_s, report = timed("samples_ingest", lambda: bulkload.samples_ingest(actor=None, round=rnd, source=f))
    assert report["inserted"] == n_residents == Sample.objects.count(), report
    with samples_file.open("rb") as f:
        again_s, again = timed(
            "samples_ingest of the same file again (idempotent)",
            lambda: bulkload.samples_ingest(actor=None, round=rnd, source=f),
        )
    assert again["inserted"] == n_residents and Sample.objects.count() == n_residents, again
    raw_r = raw_copy(results_file, "raw_results", "barcode text, value text, lab text, reported_at timestamptz")
    print(f"  raw COPY of the results file: {raw_r:.2f} s", flush=True)
    with results_file.open("rb") as f:
        res_s, counts = timed("results_ingest", lambda: bulkload.results_ingest(actor=None, source=f, path="6201"))
    assert counts["applied"] == n_tubes, counts
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        rows, totals = selectors.coverage(user=selectors.SYSTEM, round=rnd, by="compound")
        runs.append(time.perf_counter() - started)
    cov_s = statistics.median(runs)
    print(
        f"  coverage by compound, whole city: {len(rows):,} compounds, median {cov_s:.2f} s "
        f"(runs {', '.join(f'{r:.2f}' for r in runs)}); totals {totals.counts}",
        flush=True,
    )
    print("== summary")
    print(
        f"samples ingest: {n_residents / ingest_s:,.0f} samples/s; ratio to raw COPY of the same file: "
        f"{ingest_s / raw_s:.1f}x"
    )
    print(f"results ingest: {n_tubes / res_s:,.0f} results/s; ratio to raw COPY of the same file: {res_s / raw_r:.1f}x")
    print(f"city-wide coverage by compound: {cov_s:.2f} s")


if __name__ == "__main__":
    main()
