"""The registry's bulk insert on SQLite: indexes maintained row by row against dropped and rebuilt.

    .venv/bin/python bench/import_index_deferral.py [--residents 557000]

A scratch SQLite database gets the real schema (``manage.py migrate``); then, on a fresh copy each,
synthetic households (one per two residents) and residents are inserted in one IMMEDIATE transaction
with ``executemany``, as core.bulk does, with the importer's connection settings (WAL,
``synchronous=NORMAL``, 256 MiB page cache; foreign keys off: the rows reference no real divisions):

- ``maintained`` (the baseline): the indexes of ``registry_household`` (9) and ``registry_resident``
  (11) stay in place and are updated row by row — what the importer and the floor of
  bench/import_registry.py do today;
- ``rebuilt``: the same indexes dropped inside the transaction and re-created after the inserts (one
  sort each), the commit included.

Prints CPU and wall seconds of each and the ratio to the baseline measured in the same run. Keys are
random (hashes, names), as in a real roster, so the index inserts land all over each B-tree.
The data is synthetic; this measures the insert path only (no validation), to size the lever.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cleanup, manage, scratch_env  # noqa: E402

HOUSEHOLD_COLUMNS = (
    "id, phone_enc, phone_hash, phone_masked, phone_last4, path, room, address, contact_name, created_at, "
    "updated_at, building_id, community_id, compound_id, district_id, unit_id"
)
RESIDENT_COLUMNS = (
    "id, phone_enc, phone_hash, phone_masked, phone_last4, id_enc, id_hash, id_masked, id_last4, path, name, "
    "name_initials, document_type, sex, birth_date, relation, residence_status, registration_address, "
    "elderly_alone, no_smartphone, chronic_illness, dialysis, pregnant, bedridden, disabled, infant, is_deceased, "
    "created_at, updated_at, household_id, guardian_id"
)
TABLES = ("registry_household", "registry_resident")


def rows(residents: int) -> tuple[list[tuple], list[tuple]]:
    """Synthetic households and residents with random keys (seed 1)."""
    rng = random.Random(1)
    households = [
        (i, b"x" * 60, hashlib.md5(b"p%d" % i).hexdigest(), "138****5678", f"{rng.randrange(10000):04d}",
         f"620103001001{i % 500:03d}", f"{i % 30}-{i % 6}-{i}", f"address {i}", "张三", "2026-01-01",
         "2026-01-01", None, 1, None, 1, None)
        for i in range(1, residents // 2 + 2)
    ]  # fmt: skip
    people = [
        (i, b"y" * 60, hashlib.md5(b"q%d" % i).hexdigest(), "138****5678", f"{rng.randrange(10000):04d}",
         b"z" * 70, hashlib.md5(b"%d" % i).hexdigest(), "6201**********1234", f"{rng.randrange(10000):04d}",
         f"620103001001{(i // 2) % 500:03d}",
         "王" + chr(0x4E00 + rng.randrange(20000)) + chr(0x4E00 + rng.randrange(20000)), "wxy", "resident_id", "M",
         "1980-01-01", "head", "registered", f"甘肃省兰州市七里河区某路{i}号", 0, 0, 0, 0, 0, 0, 0, 0, 0,
         "2026-01-01", "2026-01-01", i // 2 + 1, None)
        for i in range(1, residents + 1)
    ]  # fmt: skip
    return households, people


def run(source: Path, households: list[tuple], people: list[tuple], rebuild: bool) -> tuple[float, float]:
    """Insert both tables into a fresh copy of ``source``; returns (CPU s, wall s), commit included."""
    target = source.with_name("copy.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copy(source, target)
    db = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF", "cache_size=-262144"):
        db.execute(f"PRAGMA {pragma}")
    cpu, wall = time.process_time(), time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    dropped = []
    if rebuild:
        for table in TABLES:
            found = db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table,),
            ).fetchall()
            for name, sql in found:
                dropped.append(sql)
                db.execute(f'DROP INDEX "{name}"')
    marks = ", ".join(["?"] * 16)
    db.executemany(f"INSERT INTO registry_household ({HOUSEHOLD_COLUMNS}) VALUES ({marks})", households)  # noqa: S608
    marks = ", ".join(["?"] * 31)
    db.executemany(f"INSERT INTO registry_resident ({RESIDENT_COLUMNS}) VALUES ({marks})", people)  # noqa: S608
    for sql in dropped:
        db.execute(sql)
    db.execute("COMMIT")
    result = time.process_time() - cpu, time.perf_counter() - wall
    db.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=557_000, help="residents (households: half as many)")
    args = parser.parse_args()
    env, folder = scratch_env(None)
    try:
        manage(env, "migrate", "--noinput", "-v0")
        source = folder / "lianfang.sqlite3"
        households, people = rows(args.residents)
        maintained = run(source, households, people, rebuild=False)
        rebuilt = run(source, households, people, rebuild=True)
        print(f"{len(households):,} households + {len(people):,} residents, one transaction, commit included")
        print(f"  indexes maintained row by row (baseline): CPU {maintained[0]:.1f} s, wall {maintained[1]:.1f} s")
        print(f"  indexes dropped and rebuilt:              CPU {rebuilt[0]:.1f} s, wall {rebuilt[1]:.1f} s")
        print(f"  rebuilt / maintained: CPU {rebuilt[0] / maintained[0]:.2f}, wall {rebuilt[1] / maintained[1]:.2f}")
    finally:
        cleanup(folder)


if __name__ == "__main__":
    main()
