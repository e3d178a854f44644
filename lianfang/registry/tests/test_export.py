# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Export in the template layout: masked by default, round trip is a no-op, unmasked is guarded."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from lianfang.registry.tests.fixtures.importing import (  # noqa: F401
    english,
    issues,
    registry_snapshot,
    run_import,
)

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"


def export(tmp_path, actor=None, code=XIAXIYUAN, file_format="xlsx", **kwargs):
    from lianfang.divisions.models import Division
    from lianfang.registry.exporters import registry_export

    path = tmp_path / f"export-{code}-{kwargs.get('unmasked', False)}.{file_format}"
    count = registry_export(
        actor=actor, target=Division.objects.get(code=code), output=path, file_format=file_format, **kwargs
    )
    return path, count


def sheet_rows(path):
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def test_masked_export_layout(tmp_path, population, english, community_staff):
    path, count = export(tmp_path, actor=community_staff)
    assert count == 4  # 下西园: 张三, 张小明, 李四, 赵丽
    ws, rows = sheet_rows(path)
    assert rows[0][0].startswith("Instructions: one row per resident")
    assert rows[1][:12] == [
        "Resident no.",
        "Community/village",
        "Compound/village group",
        "Building",
        "Unit (stairwell)",
        "Room / house number",
        "Household contact",
        "Household phone",
        "Name",
        "Document type",
        "ID number",
        "Sex",
    ]
    zhang = next(r for r in rows[2:] if r[8] == "张三")
    assert zhang[1:12] == [
        "下西园社区",
        "阳光小区",
        "1号楼",
        "1单元",
        "101",
        "张三",
        "138****5678",
        "张三",
        "Resident identity card",
        "1101**********002X",
        "Female",
    ]
    assert zhang[0] == population["张三"].pk
    header = rows[1]
    assert zhang[header.index("Elderly living alone")] == "yes"
    assert zhang[header.index("Bedridden")] in (None, "")
    # ID and phone columns are text cells.
    id_col = header.index("ID number") + 1
    assert ws.cell(row=3, column=id_col).number_format == "@"
    assert ws.cell(row=3, column=header.index("Phone") + 1).number_format == "@"
    assert "11010519491231002X" not in str(rows)


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize("unmasked", [False, True])
def test_export_then_import_is_a_no_op(tmp_path, population, run_import, district_commander, unmasked, file_format):
    from lianfang.registry.models import ImportStatus

    before = registry_snapshot()
    kwargs = {"unmasked": True, "reason": "round trip"} if unmasked else {}
    path, count = export(tmp_path, actor=district_commander, code="620103001", file_format=file_format, **kwargs)
    assert count == 7
    batch = run_import(path, code="620103001")
    assert issues(batch) == []
    assert issues(batch, "warning") == []
    assert batch.status == ImportStatus.UNCHANGED, batch.message
    assert batch.counts["residents_unchanged"] == 7
    assert registry_snapshot() == before


def test_exported_file_edited_then_imported_updates(tmp_path, population, run_import, district_commander):
    from lianfang.registry.models import Resident

    path, _count = export(tmp_path, actor=district_commander, unmasked=True, reason="fix phones")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[2]]
    for row in ws.iter_rows(min_row=3):
        if row[header.index("Name")].value == "李四":
            row[header.index("Phone")].value = "13900000000"
    wb.save(path)
    batch = run_import(path)
    assert issues(batch) == []
    assert batch.counts["residents_updated"] == 1
    assert Resident.objects.get(name="李四").phone_plain() == "13900000000"


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_unmasked_export_needs_permission_reason_and_is_watermarked(
    tmp_path, population, english, community_staff, district_commander, file_format
):
    from django.contrib.auth.models import AnonymousUser  # noqa: F401
    from django.core.exceptions import PermissionDenied, ValidationError

    from lianfang.accounts.models import RoleAssignment
    from lianfang.core.models import AuditEntry

    with pytest.raises(ValidationError):
        export(tmp_path, actor=community_staff, unmasked=True, file_format=file_format)
    with pytest.raises(PermissionDenied):  # outside their community
        export(tmp_path, actor=community_staff, code="620103001002", unmasked=True, reason="x", file_format=file_format)
    cadre = RoleAssignment.objects.get(user=community_staff)
    cadre.role = "stationed_cadre"  # no EXPORT, no REVEAL_PII
    cadre.save()
    community_staff._lianfang_assignments = None
    community_staff._lianfang_scope = None
    with pytest.raises(PermissionDenied):
        export(tmp_path, actor=community_staff, file_format=file_format)
    path, count = export(
        tmp_path, actor=district_commander, unmasked=True, reason="hospital transfer list", file_format=file_format
    )
    if file_format == "csv":  # the watermark is the first row's (tests/test_export_csv.py)
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    else:
        ws, rows = sheet_rows(path)
        assert "confidential, do not forward" in ws.oddHeader.center.text
    assert rows[0][0].startswith("Unmasked export by commander at ")
    assert "confidential, do not forward. Instructions: one row per resident" in rows[0][0]
    assert "11010519491231002X" in str(rows)
    assert "13812345678" in str(rows)
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.actor == district_commander
    assert entry.reason == "hospital transfer list"
    assert entry.detail["unmasked"] is True
    assert entry.detail["rows"] == count == 4
    assert entry.detail["format"] == file_format
    assert entry.division_code == XIAXIYUAN


def test_export_is_scoped(tmp_path, population, other_community_staff, english):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # the street is above their community
        export(tmp_path, actor=other_community_staff, code="620103001")
    path, count = export(tmp_path, actor=other_community_staff, code="620103001002")
    assert count == 3
    _ws, rows = sheet_rows(path)
    assert {r[8] for r in rows[2:]} == {"王五", "王芳", "王宝宝"}
    baby = next(r for r in rows[2:] if r[8] == "王宝宝")
    header = rows[1]
    assert baby[header.index("ID number")] in (None, "")
    assert baby[header.index("Guardian ID number")] == "6201**********0026"


def test_command_line_export(tmp_path, population, district_commander, english):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    path = tmp_path / "out.xlsx"
    call_command("export_registry", community=XIAXIYUAN, output=str(path), stdout=out)
    assert out.getvalue().strip() == f"4 residents written to {path}"
    assert "1101**********002X" in str(sheet_rows(path)[1])
    with pytest.raises(CommandError, match="--unmasked needs --user"):
        call_command("export_registry", community=XIAXIYUAN, output=str(path), unmasked=True)
    with pytest.raises(CommandError, match="an unmasked export needs a reason"):
        call_command("export_registry", community=XIAXIYUAN, output=str(path), unmasked=True, user="commander")
    call_command(
        "export_registry",
        community=XIAXIYUAN,
        output=str(path),
        unmasked=True,
        user="commander",
        reason="drill",
        stdout=out,
    )
    assert "11010519491231002X" in str(sheet_rows(path)[1])


def test_template_has_text_columns_and_instructions(english):
    from lianfang.registry.exporters import write_template

    buffer = io.BytesIO()
    write_template(buffer)
    ws = load_workbook(buffer).worksheets[0]
    header = [c.value for c in ws[2]]
    assert ws["A1"].value.startswith("Instructions:")
    for name in ("ID number", "Phone", "Household phone", "Guardian ID number"):
        column = header.index(name) + 1
        assert ws.cell(row=3, column=column).number_format == "@"
        assert ws.cell(row=500, column=column).number_format == "@"
    assert ws.cell(row=3, column=header.index("Name") + 1).number_format == "General"
