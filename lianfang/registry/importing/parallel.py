"""Forked worker processes for big imports: how many to use (:func:`parallel_workers`), the validation
chunks read in pool workers (:func:`_read_chunk`, packed and flattened for cheap pickling), and the
insert rows built in a forked child while the parent writes (:func:`_forked_rows`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator

from django.utils import translation

from lianfang.registry.importing.plan import PROGRESS_EVERY, Person, ResidentPlan

# Big sheets are read by worker processes (fork): the per-row checks that depend on the row alone run
# there, in chunks; the parent applies the results in file order (households, duplicates, matches).
PARALLEL_MIN_ROWS = 20_000  # below this a sheet is validated in this process
PARALLEL_CHUNK = 2_000  # rows per task
_FORKED: tuple | None = None  # (validator, sheet name, header columns, existing rows, language) for the children


def set_forked(state: tuple | None) -> None:
    """Set what the forked validation workers read in :func:`_read_chunk` (``(validator, sheet name,
    header columns, existing rows, language)``), before the pool forks; None once it is done."""
    global _FORKED  # noqa: PLW0603 (read by the forked children)
    _FORKED = state


def parallel_workers(rows: int) -> int:
    """How many worker processes validate a sheet of about ``rows`` rows: 0 (in this process) for small
    sheets, one CPU, a platform without ``fork``, or a caller with other threads running (forking them
    is unsafe); else the CPU count, at most 4."""
    import multiprocessing  # noqa: PLC0415
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if rows < PARALLEL_MIN_ROWS or cpus < 2 or threading.active_count() > 1:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(cpus, 4)


def _default_signals() -> None:
    """In a forked child: SIGTERM, SIGINT and SIGQUIT back to their defaults. The parent may be a
    process that catches them to finish its current job first (django-tasks' ``db_worker`` does): a
    child inheriting that handler ignores the SIGTERM of ``Pool.terminate`` and the parent then waits
    for it forever (an import of 25,000 rows queued from the web page hung so, new-user trial)."""
    import signal  # noqa: PLC0415

    for name in ("SIGTERM", "SIGINT", "SIGQUIT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


_CELL_END, _ROW_END = "\x1f", "\x1e"  # ASCII unit and record separators


def _packed(chunk: list[tuple[int, list]]) -> tuple | list:
    """A chunk of consecutive ``(index, row)`` for a worker: ``(first index, text)`` with the cells joined
    by the unit separator and the rows by the record separator when every cell is text without those
    characters (every CSV row), which is cheaper to pickle than the lists (bench/import_validation.py);
    else the chunk itself."""
    try:
        text = _ROW_END.join([_CELL_END.join(row) for _index, row in chunk])
    except TypeError:  # a cell that is not text (spreadsheets: numbers, dates, empty cells)
        return chunk
    if text.count(_ROW_END) != len(chunk) - 1 or text.count(_CELL_END) != sum(len(r) - 1 for _i, r in chunk if r):
        return chunk  # a cell holds a separator itself
    return (chunk[0][0], text)


def _unpacked(packed: tuple | list) -> Iterator[tuple[int, list]]:
    """Inverse of :func:`_packed` (an empty row comes back as one empty cell: blank either way)."""
    if isinstance(packed, list):
        return iter(packed)
    first, text = packed
    return enumerate((line.split(_CELL_END) for line in text.split(_ROW_END)), start=first)


def _read_chunk(chunk: tuple | list) -> list:
    """In a forked worker: :meth:`Validator._read_row` of each ``(index, row)`` of the :func:`_packed`
    ``chunk``, with the parent's language activated explicitly (a worker the pool replaces later is
    forked from the pool's own handler thread, which has not activated it)."""
    chunk = _unpacked(chunk)
    validator, sheet_name, columns, existing, language = _FORKED
    read = validator._read_row
    with translation.override(language):
        return [_flat_read(read(sheet_name, columns, index, raw_row, existing)) for index, raw_row in chunk]


def _flat_read(read: tuple | None) -> tuple | None:
    """A :meth:`Validator._read_row` result with its ResidentPlan and Person spread into plain values (and
    the birth date as an ordinal), cheaper to pickle and rebuild than the objects (bench/import_validation.py,
    docs/benchmarks.md "Import"). :func:`_unflat_read` gives back an equal result."""
    if read is None:
        return None
    resident = read[6]
    if resident is None or resident[0] is None:
        return read
    plan = resident[0]
    d = plan.data
    birth = d.birth_date.toordinal() if d.birth_date is not None else None
    flat = (d.name, d.document_type, d.document_number, d.sex, birth, d.phone, plan.id_hash, plan.extra)
    return (*read[:6], (*flat, plan.flags, plan.guardian, plan.phone_masked, *resident[1:]))


def _unflat_read(read: tuple | None) -> tuple | None:
    """Inverse of :func:`_flat_read` (in the parent)."""
    if read is None:
        return None
    resident = read[6]
    if resident is None or len(resident) == 5:
        return read
    name, doc_type, number, sex, birth, phone, id_hash, extra, flags, guardian, phone_masked = resident[:11]
    if birth is not None:
        birth = dt.date.fromordinal(birth)
    plan = ResidentPlan(None, None, Person(name, doc_type, number, sex, birth, phone), id_hash, extra, flags, guardian)
    plan.phone_masked = phone_masked
    return (*read[:6], (plan, *resident[11:]))


@contextlib.contextmanager
def _forked_rows(streams: tuple[Iterator[tuple], ...], progress, total: int) -> Iterator[list[Iterator[tuple]]]:
    """The row ``streams`` built in a forked child while this process inserts them: gives one iterator per
    stream, to consume fully and in order. The child inherits the plan, never touches the database and
    sends chunks of :data:`PARALLEL_CHUNK` rows through a pipe, so building and sealing the next chunk
    (pinyin, AES-GCM, HMAC: ~12 µs a row) overlaps the insert of this one. ``progress("write", n,
    total)`` is called here as the last stream's rows arrive. Raises RuntimeError when the child fails;
    the child is stopped on leaving the block, whatever happened."""
    import multiprocessing  # noqa: PLC0415

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        _default_signals()
        receiver.close()
        try:
            for rows in streams:
                for chunk in iter(lambda rows=rows: list(itertools.islice(rows, PARALLEL_CHUNK)), []):
                    sender.send(chunk)
                sender.send(None)
        except BaseException as exc:  # noqa: BLE001 (reported to the parent, which raises)
            sender.send(("failed", repr(exc)))
        sender.close()

    def stream(report: bool) -> Iterator[tuple]:
        done = 0
        while (chunk := receiver.recv()) is not None:
            if isinstance(chunk, tuple):
                raise RuntimeError(f"building the rows failed: {chunk[1]}")
            done += len(chunk)
            if report and progress and (done - len(chunk)) // PROGRESS_EVERY != done // PROGRESS_EVERY:
                progress("write", min(done, total), total)
            yield from chunk

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    try:
        yield [stream(index == len(streams) - 1) for index in range(len(streams))]
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join()
