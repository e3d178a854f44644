"""Registry import: validation alone, in this process against forked workers, and the cost of their hand-over.

    .venv/bin/python bench/import_validation.py [--files /tmp/bench_files] [--scale 1] [--rows 20000]

Uses the files of ``bench/import_registry.py --files DIR`` (roster.csv, layout.json), generating them
there (or in a temporary folder) when they are missing. On a fresh SQLite
copy of "divisions + layout, no people" it runs, each in its own process:

1. ``plan_import`` of the whole roster with validation in this process (``serial``) and with the forked
   workers (``forked``): wall seconds, the parent's CPU seconds and the workers' CPU seconds
   (``getrusage``), and the 1-minute load average after each;
2. the hand-over of the first ``--rows`` rows between the parent and a worker, per row: pickling the rows
   as lists and the results as objects (what the workers used to receive and return) against the packed
   rows (``parallel._packed``) and flat results (``parallel._flat_read`` / ``_unflat_read``) — the
   parent's share (send + receive) and the worker's share, in µs.

On two cores the forked path pays off only when the parent's share is small: compare the parent's CPU
to the serial CPU, and measure on an idle machine (the wall times move with the load).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT  # noqa: E402
from import_registry import DISTRICT, Database, ensure_files, run_worker  # noqa: E402


def _setup():
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()


def worker_plan(path: Path, mode: str) -> dict:
    """plan_import of ``path``: wall, parent CPU and the workers' CPU seconds."""
    _setup()
    import resource

    from lianfang.divisions.models import Division
    from lianfang.registry.importing import parallel
    from lianfang.registry.importing.batches import gc_paused
    from lianfang.registry.importing.validation import plan_import

    if mode == "serial":
        parallel.PARALLEL_MIN_ROWS = 10**12
    district = Division.objects.get(code=DISTRICT)
    data = path.read_bytes()
    started = time.perf_counter()
    with gc_paused():
        plan = plan_import(target=district, data=data, file_name=path.name)
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "rows": plan.rows,
        "errors": len(plan.errors),
        "wall": wall,
        "parent": own.ru_utime + own.ru_stime,
        "workers": children.ru_utime + children.ru_stime,
    }


def worker_handover(path: Path, rows: int) -> dict:
    """µs per row of each side of the hand-over, the old way (objects) and the new (plain values)."""
    _setup()
    import datetime as dt
    import itertools
    import pickle

    from lianfang.divisions.models import Division
    from lianfang.registry.importing.columns import MAX_CELL_CHARS, MAX_LENGTHS
    from lianfang.registry.importing.parallel import _flat_read, _packed, _unpacked
    from lianfang.registry.importing.reading import _column_letter, find_header, read_sheets
    from lianfang.registry.importing.validation import Validator
    from lianfang.registry.services import FLAG_FIELDS

    district = Division.objects.get(code=DISTRICT)
    sheets, _encoding = read_sheets(path.read_bytes(), "csv", path.name)
    sheet = sheets[0]
    header = find_header(sheet.rows)
    validator = Validator(district, "csv", today=dt.date.today(), progress=None)
    validator.labels[sheet.name] = {
        key: f"{header.texts[col]} ({_column_letter(col)})" for col, key in header.keys.items()
    }
    columns = tuple(header.keys.items())
    validator.flag_columns = tuple(n for n in FLAG_FIELDS if n in header.keys.values())
    validator.length_limits = tuple((k, MAX_LENGTHS.get(k, MAX_CELL_CHARS)) for _c, k in columns)
    existing = validator._load_existing()
    chunk = list(itertools.islice(sheet.data_rows(header.first_data_row), rows))
    reads = [validator._read_row(sheet.name, columns, index, row, existing) for index, row in chunk]

    def per_row(func) -> float:
        started = time.perf_counter()
        result = func()
        per_row.last = result
        return (time.perf_counter() - started) / len(chunk) * 1e6

    old_send = per_row(lambda: pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
    old_unsend = per_row(lambda: pickle.loads(per_row.last))
    old_return = per_row(lambda: pickle.dumps(reads, protocol=pickle.HIGHEST_PROTOCOL))
    old_receive = per_row(lambda: pickle.loads(per_row.last))
    new_send = per_row(lambda: pickle.dumps(_packed(chunk), protocol=pickle.HIGHEST_PROTOCOL))
    new_unsend = per_row(lambda: list(_unpacked(pickle.loads(per_row.last))))
    new_return = per_row(lambda: pickle.dumps([_flat_read(r) for r in reads], protocol=pickle.HIGHEST_PROTOCOL))
    new_receive = per_row(lambda: [validator._shared(r) for r in pickle.loads(per_row.last)])
    validate = per_row(lambda: [validator._read_row(sheet.name, columns, i, r, existing) for i, r in chunk])
    return {
        "rows": len(chunk),
        "validate": validate,
        "old": {"parent": old_send + old_receive, "worker": old_unsend + old_return},
        "new": {"parent": new_send + new_receive, "worker": new_unsend + new_return},
    }


def measure(db: Database, *args: str) -> dict:
    """One measurement in its own process on a fresh copy of ``db``."""
    from _common import cleanup

    env, folder = db.fresh()
    try:
        return run_worker(env, *args, script=__file__)
    finally:
        cleanup(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=Path, help="folder of the generated files (import_registry.py --files)")
    parser.add_argument("--scale", type=float, default=1.0, help="population scale when the files are generated")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the hand-over measurement")
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        name, *rest = args.worker
        measurements = {"plan": lambda: worker_plan(Path(rest[0]), rest[1])}
        measurements["handover"] = lambda: worker_handover(Path(rest[0]), int(rest[1]))
        result = measurements[name]()
        print(json.dumps(result))
        return
    files = args.files or Path(tempfile.mkdtemp(prefix="lianfang-bench-files-"))
    ensure_files(files, args.scale)
    roster = files / "roster.csv"
    db = Database("SQLite", files, None)
    try:
        print("validation of the whole roster (plan_import, SQLite, no people yet)")
        print(f"  {'mode':<8}{'rows':>10}{'wall s':>9}{'parent CPU s':>14}{'workers CPU s':>15}{'load':>6}")
        for mode in ("serial", "forked", "serial", "forked"):
            r = measure(db, "plan", str(roster), mode)
            print(
                f"  {mode:<8}{r['rows']:>10,}{r['wall']:>9.1f}{r['parent']:>14.1f}{r['workers']:>15.1f}"
                f"{os.getloadavg()[0]:>6.1f}",
                flush=True,
            )
        h = measure(db, "handover", str(roster), str(args.rows))
        print(f"\nhand-over of {h['rows']:,} rows, µs a row (validating a row: {h['validate']:.1f} µs)")
        for way, title in (("old", "lists and objects (before)"), ("new", "packed rows, flat results")):
            print(f"  {title:<28} parent {h[way]['parent']:5.1f}   worker {h[way]['worker']:5.1f}")
    finally:
        db.close()
        if not args.files:
            shutil.rmtree(files, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
    main()
