# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Big sheets are validated by forked worker processes: the plan must be exactly the serial one."""

from __future__ import annotations

import pytest

from lianfang.registry.tests.fixtures.importing import (  # noqa: F401
    FIXTURES,
    TODAY,
    XIAXIYUAN,
    english,
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
    from lianfang.registry import importers

    serial = importers.plan_import(target=target, data=data, file_name=file_name, today=TODAY)
    monkeypatch.setattr(importers, "parallel_workers", lambda rows: 2)
    monkeypatch.setattr(importers, "PARALLEL_CHUNK", 2)
    parallel = importers.plan_import(target=target, data=data, file_name=file_name, today=TODAY)
    return serial, parallel


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
    import datetime as dt

    from lianfang.core import idnumber
    from lianfang.registry import importers
    from lianfang.registry.models import ImportStatus

    body = "".join(
        f"阳光小区,1号楼,1单元,{500 + n},,,居民{n},{idnumber.make('620103', dt.date(1990, 2, 2), 11 + n)},,,户主,\n"
        for n in range(3)
    )
    path = tmp_path / "new.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    monkeypatch.setattr(importers, "parallel_workers", lambda rows: 2)
    monkeypatch.setattr(importers, "PARALLEL_CHUNK", 1)
    batch = run_import(path)
    assert batch.status == ImportStatus.COMMITTED, batch.issues
    assert batch.counts["residents_created"] == 3
    snapshot = registry_snapshot()
    names = sorted(r["name"] for r in snapshot["residents"].values() if r["name"].startswith("居民"))
    assert names == ["居民0", "居民1", "居民2"]


def test_parallel_workers_only_for_big_sheets():
    from lianfang.registry import importers

    assert importers.parallel_workers(10) == 0
    assert importers.parallel_workers(importers.PARALLEL_MIN_ROWS) in (0, 2, 3, 4)
