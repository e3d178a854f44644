# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Commit, re-import, updates, conflicts, rollback, dry run, permissions and the command line."""

from __future__ import annotations

import pytest

from lianfang.registry.tests.fixtures.importing import (  # noqa: F401
    english,
    issues,
    registry_snapshot,
    run_import,
)

pytestmark = pytest.mark.django_db

A1 = "620103198001010013"
HEADER = "小区,楼栋,单元,房号,户联系人,姓名,身份证号,性别,联系电话,与户主关系,居住状态,独居老人,卧床\n"


def write(tmp_path, name: str, body: str, header: str = HEADER):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_reimport_of_the_same_file_changes_nothing_and_says_so(run_import):
    from lianfang.registry.models import ImportStatus

    first = run_import("roster.ods")
    assert first.status == ImportStatus.COMMITTED
    snapshot = registry_snapshot()
    again = run_import("roster.ods")
    assert again.status == ImportStatus.UNCHANGED
    assert (
        again.message
        == f"no changes: all 4 rows are already in the registry (the same file was imported as #{first.pk})"
    )
    assert again.counts["residents_unchanged"] == 4
    assert again.counts["households_unchanged"] == 2
    assert registry_snapshot() == snapshot
    # The same rows from another format are the same people.
    third = run_import("roster.xls")
    assert third.status == ImportStatus.UNCHANGED
    assert third.message == "no changes: all 4 rows are already in the registry"


def test_changed_fields_are_reported_as_updates(run_import, tmp_path, population):
    from lianfang.core.models import AuditEntry
    from lianfang.registry.models import Household, ImportChange, Resident

    zhang = population["张三"]
    body = (
        "阳光小区,1号楼,1单元,101,张三丰,张三,11010519491231002X,女,13800000009,户主,流入,否,是\n"
        "阳光小区,1号楼,1单元,101,,张晓明,440524188001010014,男,,子女,,,\n"
    )
    batch = run_import(write(tmp_path, "update.csv", body))
    assert issues(batch) == []
    assert batch.status == "committed"
    assert batch.counts["residents_updated"] == 2
    assert batch.counts["households_updated"] == 1
    assert batch.counts["residents_created"] == 0
    zhang.refresh_from_db()
    assert zhang.phone_plain() == "13800000009"
    assert zhang.residence_status == "inflow"
    assert zhang.elderly_alone is False
    assert zhang.bedridden is True
    assert Household.objects.get(pk=population["h1"].pk).contact_name == "张三丰"
    xiaoming = Resident.objects.get(pk=population["张小明"].pk)
    assert xiaoming.name == "张晓明"
    assert xiaoming.name_initials == "zxm"
    assert xiaoming.residence_status == "registered"  # blank cell: the default
    changes = {(c.table, c.object_id): c.before for c in ImportChange.objects.filter(batch=batch)}
    assert changes[("household", population["h1"].pk)]["contact_name"] == "张三"
    before = changes[("resident", zhang.pk)]
    assert before["residence_status"] == "registered"
    assert before["elderly_alone"] is True
    assert before["bedridden"] is False
    assert before["phone_masked"] == "138****5678"
    entry = AuditEntry.objects.get(action="import", object_id=str(batch.pk))
    assert entry.detail["residents_updated"] == 2
    assert entry.division_code == "620103001001"


def test_rollback_restores_the_previous_state_exactly(run_import, tmp_path, population):
    from lianfang.core.models import AuditEntry
    from lianfang.registry.importing.batches import import_batch_rollback
    from lianfang.registry.models import ImportStatus, Resident

    before = registry_snapshot()
    zhang_phone = population["张三"].phone_plain()
    body = (
        "阳光小区,1号楼,1单元,101,张三丰,张三,11010519491231002X,女,13800000009,户主,流入,否,是\n"
        f"阳光小区,1号楼,2单元,909,刘一,刘一,{A1},男,13800000001,户主,,,\n"
    )
    batch = run_import(write(tmp_path, "mixed.csv", body))
    assert batch.status == ImportStatus.COMMITTED
    assert batch.counts["residents_created"] == 1
    assert registry_snapshot() != before
    batch = import_batch_rollback(actor=None, batch=batch, reason="wrong file")
    assert batch.status == ImportStatus.ROLLED_BACK
    assert registry_snapshot() == before
    assert Resident.objects.get(pk=population["张三"].pk).phone_plain() == zhang_phone
    assert not Resident.objects.filter(name="刘一").exists()
    entry = AuditEntry.objects.get(action="import_rollback")
    assert entry.reason == "wrong file"
    assert set(entry.detail) == {"removed", "restored"}  # counts by labelled keys (tests/test_trial5_io.py)
    # Rolling back twice is refused.
    from lianfang.registry.importing.batches import RollbackError

    with pytest.raises(RollbackError, match="only an imported batch can be rolled back"):
        import_batch_rollback(actor=None, batch=batch)


def test_rollback_of_an_older_import_waits_for_the_later_one(run_import, tmp_path, population):
    from lianfang.registry.importing.batches import RollbackError, import_batch_rollback

    first = run_import("roster.ods")
    body = "阳光小区,1号楼,1单元,501,,刘一,620103198001010013,男,13800000007,户主,,,\n"
    second = run_import(write(tmp_path, "second.csv", body))
    assert second.status == "committed"
    with pytest.raises(RollbackError, match=f"roll back the later import #{second.pk} first"):
        import_batch_rollback(actor=None, batch=first)
    import_batch_rollback(actor=None, batch=second)
    import_batch_rollback(actor=None, batch=first)
    assert registry_snapshot()["residents"].keys() == {r.pk for k, r in population.items() if k[0] in "张李赵王"}


def test_person_living_in_another_household_of_the_community_is_a_conflict(run_import, tmp_path, population):
    body = "阳光小区,1号楼,2单元,202,,张三,11010519491231002X,女,,户主,,,\n"
    batch = run_import(write(tmp_path, "moved.csv", body))
    assert issues(batch) == [
        (
            "csv",
            2,
            "身份证号 (G)",
            "",
            "this person already lives in another household (下西园社区 阳光小区 1号楼 1单元 101); move them first",
        )
    ]
    assert population["张三"].household_id == population["h1"].pk


def test_deaths_are_never_set_and_deceased_people_are_left_alone(run_import, tmp_path, population):
    from lianfang.registry.models import Resident

    Resident.objects.filter(pk=population["张小明"].pk).update(is_deceased=True)
    header = HEADER.rstrip("\n") + ",是否死亡\n"
    body = (
        "阳光小区,1号楼,1单元,101,,张三,11010519491231002X,女,,户主,,是,,是\n"
        "阳光小区,1号楼,1单元,101,,张小明,440524188001010014,男,,户主,,,,否\n"
    )
    batch = run_import(write(tmp_path, "dead.csv", body, header))
    assert issues(batch) == []
    assert issues(batch, "warning") == [
        (
            "csv",
            1,
            "是否死亡 (N)",
            "",
            "column ignored: deaths and other irreversible statuses are never set by an import",
        ),
        ("csv", 3, "", "张小明", "recorded as deceased: the import leaves this person unchanged"),
    ]
    assert Resident.objects.get(pk=population["张三"].pk).is_deceased is False
    xiaoming = Resident.objects.get(pk=population["张小明"].pk)
    assert xiaoming.is_deceased is True
    assert xiaoming.relation == "child"


def test_child_without_document_needs_a_guardian_and_is_matched_on_reimport(run_import, tmp_path, population):
    from lianfang.registry.models import Resident

    header = "小区,楼栋,单元,房号,姓名,证件类型,身份证号,性别,出生日期,监护人证件号码\n"
    body = (
        f"阳光小区,1号楼,2单元,777,刘一,,{A1},男,,\n"
        "阳光小区,1号楼,2单元,777,刘宝,无证件,,女,2026-05-01,620103198001010013\n"
        "阳光小区,1号楼,2单元,777,刘贝,无证件,,女,2026-05-02,\n"
    )
    path = write(tmp_path, "child.csv", body, header)
    batch = run_import(path)
    assert issues(batch) == [
        ("csv", 4, "监护人证件号码 (J)", "", "a person without a document needs a guardian's ID number")
    ]
    path = write(tmp_path, "child.csv", body.rsplit("\n", 2)[0] + "\n", header)
    batch = run_import(path)
    assert issues(batch) == []
    baby = Resident.objects.get(name="刘宝")
    assert baby.document_type == "none"
    assert baby.guardian == Resident.objects.get(name="刘一")
    assert str(baby.birth_date) == "2026-05-01"
    again = run_import(path)
    assert again.status == "unchanged"
    assert Resident.objects.filter(name="刘宝").count() == 1


def test_dry_run_writes_nothing(run_import):
    from lianfang.registry.models import ImportStatus, Resident

    batch = run_import("roster.ods", dry_run=True)
    assert batch.status == ImportStatus.VALIDATED
    assert batch.message == "checked: the file can be imported (dry run, nothing written)"
    assert batch.counts["residents_created"] == 4
    assert not Resident.objects.filter(name="刘一").exists()


def test_import_needs_edit_registry_on_the_target(run_import, outsider, other_community_staff, community_staff):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import("roster.ods", actor=outsider)
    with pytest.raises(PermissionDenied):
        run_import("roster.ods", actor=other_community_staff)
    batch = run_import("roster.ods", actor=community_staff)
    assert batch.status == "committed"
    assert batch.actor == community_staff


def test_no_per_row_queries(run_import, tmp_path, django_assert_max_num_queries):
    """The number of queries does not grow with the rows: 4 rows and 200 rows cost the same."""
    from lianfang.core import idnumber

    def roster(n, start):
        lines = []
        for i in range(n):
            number = idnumber.make("620103", __import__("datetime").date(1980, 1, 1), start + i)
            lines.append(f"阳光小区,1号楼,2单元,{1000 + (start + i) // 3},,人{start + i},{number},,,,,,\n")
        return "".join(lines)

    with django_assert_max_num_queries(30) as small:
        run_import(write(tmp_path, "small.csv", roster(4, 1)))
    with django_assert_max_num_queries(30) as large:
        run_import(write(tmp_path, "large.csv", roster(200, 100)))
    assert len(large.captured_queries) <= len(small.captured_queries) + 2


def test_command_line_import_exit_codes(population, tmp_path, english):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from lianfang.registry.tests.fixtures.importing import FIXTURES

    out = StringIO()
    with pytest.raises(CommandError, match=r"problems.xlsx: 9 errors, nothing written; error report: .*\.xlsx"):
        call_command("import_registry", str(FIXTURES / "problems.xlsx"), community="620103001001", stdout=out)
    assert "error: problems!3 身份证号 (F) '6201**********0013': The same person is already" in out.getvalue()
    out = StringIO()
    call_command("import_registry", str(FIXTURES / "roster.ods"), community="620103001001", dry_run=True, stdout=out)
    assert "Checked (dry run), nothing written" in out.getvalue()
    out = StringIO()
    call_command("import_registry", str(FIXTURES / "roster.ods"), community="620103001001", stdout=out)
    assert "residents +4 ~0 =0" in out.getvalue()
    out = StringIO()
    call_command("import_registry", str(FIXTURES / "roster.ods"), community="620103001001", stdout=out)
    assert "no changes: all 4 rows are already in the registry" in out.getvalue()
    with pytest.raises(CommandError, match="unknown division code 999"):
        call_command("import_registry", str(FIXTURES / "roster.ods"), community="999")
