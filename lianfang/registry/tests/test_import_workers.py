# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Workers with their responsibility assignments (人员与包保) from a roster, into the workforce app."""

from __future__ import annotations

import pytest

from lianfang.registry.tests.fixtures.importing import FIXTURES, TODAY, english, issues  # noqa: F401

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
UNKNOWN_CATEGORY = (
    "Categories “网格长” is not one of the accepted values (accepted: City-level stationed cadre, District-level "
    "stationed cadre, Street/town staff, Community (residents' committee) staff, Grid worker, Social work committee "
    "member, Public health committee member, Patriotic health committee member, Party member, Veteran, Volunteer, "
    "Medical / sampling staff, Police / security, Household representative)"
)


@pytest.fixture
def run_workers(population, english):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    def go(name, actor=None, dry_run=False):
        target = Division.objects.get(code=XIAXIYUAN)
        return registry_import(
            actor=actor, target=target, path=FIXTURES / name, dry_run=dry_run, today=TODAY, kind="workers"
        )

    return go


def test_workers_and_assignments_are_created(run_workers, population):
    from lianfang.workforce.models import ResponsibilityAssignment, Worker

    batch = run_workers("workers.xlsx")
    assert issues(batch) == []
    assert batch.status == "committed", batch.message
    assert batch.counts["workers_created"] == 4
    assert batch.counts["assignments_created"] == 4  # L3 + two L4 households + L2
    zhao = Worker.objects.get(name="赵网格")
    assert zhao.category_values == ["grid_worker"]
    assert zhao.phone_masked == "138****0011"
    assert zhao.base_division.code == XIAXIYUAN
    grid = ResponsibilityAssignment.objects.get(worker=zhao)
    assert (grid.level, grid.division, str(grid.starts_on)) == (3, population["compound_a"], "2022-03-27")
    qian = Worker.objects.get(name="钱联户")
    assert sorted(qian.category_values) == ["household_representative", "party_member"]
    assert qian.base_division == population["compound_a"]
    assert {a.household_id for a in ResponsibilityAssignment.objects.filter(worker=qian)} == {
        population["h1"].pk,
        population["h2"].pk,
    }
    sun = Worker.objects.get(name="孙干部")
    assert sun.sending_organisation == "七里河区卫生健康局"
    assert ResponsibilityAssignment.objects.get(worker=sun).level == 2
    assert not ResponsibilityAssignment.objects.filter(worker__name="李志愿").exists()


def test_reimport_changes_nothing(run_workers):
    from lianfang.workforce.models import ResponsibilityAssignment, Worker

    run_workers("workers.xlsx")
    counts = (Worker.objects.count(), ResponsibilityAssignment.objects.count())
    again = run_workers("workers.xlsx")
    assert again.status == "unchanged", again.message
    assert (Worker.objects.count(), ResponsibilityAssignment.objects.count()) == counts


def test_problems_are_reported_and_nothing_is_written(run_workers):
    from lianfang.workforce.models import Worker

    batch = run_workers("workers_problems.xlsx")
    assert batch.status == "invalid"
    assert issues(batch) == [
        ("workers_problems", 2, "人员类别 (D)", "网格长", UNKNOWN_CATEGORY),
        ("workers_problems", 3, "联系电话 (C)", "12345", "not a valid Chinese phone number"),
        (
            "workers_problems",
            3,
            "包保对象 (I)",
            "下西园社区 阳光小区 9号楼 1单元 101",
            "unknown household 下西园社区 阳光小区 9号楼 1单元 101",
        ),
        ("workers_problems", 4, "姓名 (A)", "钱联户", "the same person is already on sheet workers_problems row 3"),
        ("workers_problems", 4, "包保层级 (H)", "5", "responsibility level must be 1, 2, 3 or 4"),
    ]
    assert Worker.objects.count() == 0


def test_refusal_by_the_workforce_rules_rolls_everything_back(run_workers, tmp_path, population):
    # The cadre row alone: valid in the file, refused by worker_create (no sending organisation).
    from openpyxl import load_workbook

    from lianfang.workforce.models import Worker

    wb = load_workbook(FIXTURES / "workers_problems.xlsx")
    ws = wb.active
    for row in (5, 4, 3, 2):
        if row != 5:
            ws.delete_rows(row)
    path = tmp_path / "cadre.xlsx"
    wb.save(path)
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    batch = registry_import(
        actor=None, target=Division.objects.get(code=XIAXIYUAN), path=path, today=TODAY, kind="workers"
    )
    assert batch.status == "invalid"
    assert [i[4] for i in issues(batch)] == ["a stationed cadre needs a sending organisation"]
    assert Worker.objects.count() == 0


def test_rollback_of_a_workers_import(run_workers):
    from lianfang.registry.importing.batches import import_batch_rollback
    from lianfang.workforce.models import ResponsibilityAssignment, Worker, WorkerCategory

    batch = run_workers("workers.xlsx")
    import_batch_rollback(actor=None, batch=batch, reason="test")
    assert Worker.objects.count() == 0
    assert WorkerCategory.objects.count() == 0
    assert ResponsibilityAssignment.objects.count() == 0


def test_command_line_workers_import(population, english):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_registry", str(FIXTURES / "workers.xlsx"), community=XIAXIYUAN, workers=True, stdout=out)
    assert "rows 4; blank rows 0; workers +4 =0; assignments +4; errors 0; warnings 0" in out.getvalue().splitlines()
