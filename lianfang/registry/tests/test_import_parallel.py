# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Big sheets are validated by forked worker processes: the plan must be exactly the serial one."""

from __future__ import annotations

import pytest

from lianfang.registry.tests.fixtures.importing import (  # noqa: F401
    FIXTURES,
    TODAY,
    XIAXIYUAN,
    english,
    fork_workers,
    registry_snapshot,
    run_import,
)

pytestmark = pytest.mark.django_db

HEADER = "小区,楼栋,单元,房号,户联系人,户联系电话,姓名,身份证号,性别,联系电话,与户主关系,独居老人\n"
# Duplicates within the file, a differing contact, a bad household phone after a good one, errors,
# a person already in the database (张三 of the population fixture) and one living in another household.
BODY = (
    "阳光小区,1号楼,1单元,101,张三丰,13800000009,张三,11010519491231002X,女,,户主,是\n"
    "阳光小区,1号楼,1单元,201,李四,12345,李四,620103198001010013,男,13912345678,户主,否\n"
    "阳光小区,1号楼,1单元,201,李五,,李小四,620103201001010011,男,,子女,\n"
    "阳光小区,1号楼,1单元,202,,abc,王五,620103198001010013,男,,户主,\n"
    "阳光小区,9号楼,1单元,301,,,赵六,620103197205050060,女,,户主,也许\n"
    ",,,,,,,,,,,\n"
    "阳光小区,1号楼,1单元,,,,钱七,620103198002300011,男,12345,,\n"
    "阳光小区,1号楼,1单元,102,,,张晓明,440524188001010014,男,,子女,\n"
    "阳光小区,1号楼,1单元,203,孙八,13700000000,孙八,620103199002020017,男,,户主,\n"
)


def plans(target, data: bytes, file_name: str, monkeypatch):
    """The plan of ``data`` validated in this process and by two forked workers (2-row chunks)."""
    from lianfang.registry.importing.validation import plan_import

    serial = plan_import(target=target, data=data, file_name=file_name, today=TODAY)
    fork_workers(monkeypatch, workers=2, chunk=2)
    parallel = plan_import(target=target, data=data, file_name=file_name, today=TODAY)
    return serial, parallel


def new_people_csv(tmp_path, *, rooms_from: int, count: int):
    """A CSV of ``count`` new people 居民0… (valid ID numbers), each heading a new room of 阳光小区."""
    import datetime as dt

    from lianfang.core import idnumber

    born = dt.date(1990, 2, 2)
    body = "".join(
        f"阳光小区,1号楼,1单元,{rooms_from + n},,,居民{n},{idnumber.make('620103', born, 11 + n)},,,户主,\n"
        for n in range(count)
    )
    path = tmp_path / "new.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def summary(plan) -> tuple:
    return (
        plan.counts(),
        [i.as_dict() for i in plan.issues],
        [(r.ref, r.data, r.id_hash, r.extra, r.flags, r.household.key, r.existing, r.changes) for r in plan.residents],
        [
            (h.key, h.ref, h.contact_name, h.phone, h.phone_masked, h.existing, h.changes)
            for h in plan.households.values()
        ],
    )


@pytest.mark.parametrize(
    "name", ["problems.xlsx", "roster.ods", "two_row_header.xlsx", "fullwidth.ods", "gbk.csv", "numeric_id.xlsx"]
)
def test_forked_validation_gives_the_serial_plan_for_the_fixtures(name, population, english, monkeypatch):
    from lianfang.divisions.models import Division

    target = Division.objects.get(code=XIAXIYUAN)
    serial, parallel = plans(target, (FIXTURES / name).read_bytes(), name, monkeypatch)
    assert summary(parallel) == summary(serial)


def test_forked_validation_gives_the_serial_plan_for_conflicts(population, english, monkeypatch):
    from lianfang.divisions.models import Division

    target = Division.objects.get(code=XIAXIYUAN)
    serial, parallel = plans(target, (HEADER + BODY).encode(), "conflicts.csv", monkeypatch)
    assert summary(parallel) == summary(serial)
    reasons = [(i.row, i.reason) for i in serial.issues]
    assert (4, "differs from the household's earlier row; the first is kept") in reasons
    assert (5, "the same person is already on sheet csv row 3; resolve the duplicate") in reasons
    assert len(serial.errors) >= 5


def test_forked_import_commits_what_the_serial_import_commits(run_import, tmp_path, monkeypatch):
    from lianfang.registry.models import ImportStatus

    path = new_people_csv(tmp_path, rooms_from=500, count=3)
    fork_workers(monkeypatch, workers=2, chunk=1)
    batch = run_import(path)
    assert batch.status == ImportStatus.COMMITTED, batch.issues
    assert batch.counts["residents_created"] == 3
    snapshot = registry_snapshot()
    names = sorted(r["name"] for r in snapshot["residents"].values() if r["name"].startswith("居民"))
    assert names == ["居民0", "居民1", "居民2"]


def test_parallel_workers_only_for_big_sheets():
    from lianfang.registry.importing.parallel import PARALLEL_MIN_ROWS, parallel_workers

    assert parallel_workers(10) == 0
    assert parallel_workers(PARALLEL_MIN_ROWS) in (0, 2, 3, 4)


def _committed_state() -> tuple:
    """The registry's rows with their ciphertexts decrypted (AES-GCM nonces differ from run to run) and
    their ids replaced by what they name (PostgreSQL does not give back the ids of a rolled-back run)."""
    from lianfang.core import pii
    from lianfang.registry.models import Household, Resident

    def rows(model):
        out = {}
        for row in model.objects.values():
            row = {k: (pii.decrypt(v) if k.endswith("_enc") else v) for k, v in row.items()}
            for key in ("created_at", "updated_at"):
                row.pop(key)
            out[row.pop("id")] = row
        return out

    households, residents = rows(Household), rows(Resident)
    for row in residents.values():
        row["household_id"] = (households[row["household_id"]]["path"], households[row["household_id"]]["room"])
        if row["guardian_id"] is not None:
            row["guardian_id"] = residents[row["guardian_id"]]["id_hash"]
    return sorted(households.values(), key=repr), sorted(residents.values(), key=repr)


def test_rows_built_in_a_forked_child_are_the_rows_built_here(run_import, monkeypatch):
    """The commit's rows sealed in a child (chunks of 3 through the pipe) equal the rows sealed here,
    and the progress callback still counts the residents written."""
    from django.db import transaction

    from lianfang.divisions.models import Division
    from lianfang.registry.importing import commit, parallel, validation
    from lianfang.registry.models import ImportBatch, Resident

    target = Division.objects.get(code=XIAXIYUAN)
    data = (FIXTURES / "roster.ods").read_bytes()
    before = Resident.objects.count()
    states, written = [], []
    for workers in (0, 2):
        fork_workers(monkeypatch, workers=workers, chunk=3)
        for module in (validation, commit, parallel):  # where PROGRESS_EVERY is looked up
            monkeypatch.setattr(module, "PROGRESS_EVERY", 2)
        plan = validation.plan_import(target=target, data=data, file_name="roster.ods", today=TODAY)
        assert not plan.errors
        batch = ImportBatch.objects.create(division=target, file_name="roster.ods", file_sha256="0" * 64)
        progress = []
        savepoint = transaction.savepoint()
        commit.commit_plan(plan=plan, batch=batch, progress=lambda *a, p=progress: p.append(a))
        states.append(_committed_state())
        written.append(progress[-1])
        transaction.savepoint_rollback(savepoint)
    new = len(states[0][1]) - before
    assert new > 3  # more residents than one chunk
    assert states[0] == states[1]
    assert written == [("write", new, new), ("write", new, new)]


@pytest.mark.parametrize("worker_fails", [False, True])
def test_forked_import_ends_under_a_process_that_catches_sigterm(worker_fails, run_import, tmp_path, monkeypatch):
    """django-tasks' db_worker catches SIGTERM to finish its task first; forked children inheriting that
    handler ignored Pool.terminate's SIGTERM and an import queued from the web page hung for ever
    (new-user trial). Now the pool is closed and joined when all went well, and the children restore
    the default handlers, so terminating them after a worker's error works too: the import ends."""
    import faulthandler
    import signal

    from lianfang.registry.importing.validation import Validator
    from lianfang.registry.models import ImportStatus

    path = new_people_csv(tmp_path, rooms_from=600, count=6)
    fork_workers(monkeypatch, workers=2, chunk=2)
    if worker_fails:  # a worker raising on row 5: the parent re-raises and terminates the pool
        read_row = Validator._read_row

        def failing(self, sheet_name, columns, index, raw_row, existing):
            if index == 4:
                raise RuntimeError("worker failed")
            return read_row(self, sheet_name, columns, index, raw_row, existing)

        monkeypatch.setattr(Validator, "_read_row", failing)
    caught = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: caught.append(signum))
    faulthandler.dump_traceback_later(120, exit=True)  # a hang fails the run instead of blocking it
    try:
        batch = run_import(path)
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGTERM, previous)
    assert caught == []  # the parent itself was never signalled
    if worker_fails:
        assert batch.status == ImportStatus.FAILED
        assert batch.message == "the import stopped on an unexpected error (RuntimeError); nothing was written"
    else:
        assert batch.status == ImportStatus.COMMITTED, batch.issues
        assert batch.counts["residents_created"] == 6
