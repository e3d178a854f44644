# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""CSV export (new-user trial: the export form offered ``format=csv`` and answered XLSX): UTF-8 with a
BOM, the template layout, masked by default. tests/test_export.py runs its round trip (an exported
CSV imports without changing anything) and its unmasked guards (permission, reason, watermark,
audit) on both formats."""

from __future__ import annotations

import csv
import io

import pytest

from lianfang.registry.tests.fixtures.importing import (  # noqa: F401
    english,
    issues,
    registry_snapshot,
    run_import,
)
from lianfang.registry.tests.test_export import export, sheet_rows

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
BOM = b"\xef\xbb\xbf"


def export_csv(tmp_path, actor=None, code=XIAXIYUAN, **kwargs):
    """tests/test_export.py's ``export`` as CSV (the round trip of both formats is tested there)."""
    return export(tmp_path, actor=actor, code=code, file_format="csv", **kwargs)


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"))))


def test_csv_export_has_the_template_layout_masked(tmp_path, population, english, community_staff):
    from lianfang.registry.exporters import headers

    path, count = export_csv(tmp_path, actor=community_staff)
    assert count == 4
    rows = csv_rows(path.read_bytes())
    assert rows[0][0].startswith("Instructions: one row per resident")
    assert rows[1] == headers()
    # the same cells as the XLSX export (tests/test_export.py checks their values), as text
    _ws, sheet = sheet_rows(export(tmp_path, actor=community_staff)[0])
    assert rows[2:] == [["" if v is None else str(v) for v in row] for row in sheet[2:]]
    zhang = next(r for r in rows[2:] if r[8] == "张三")
    assert (zhang[0], zhang[7], zhang[10]) == (str(population["张三"].pk), "138****5678", "1101**********002X")
    assert zhang[rows[1].index("Elderly living alone")] == "yes"
    assert "11010519491231002X" not in str(rows)


def test_csv_formula_like_text_is_inert_and_round_trips(tmp_path, population, run_import, district_commander):
    """A text starting with = + - @ is written with that character full-width (no live formula when a
    spreadsheet opens the CSV); the importer folds it back, so the import changes nothing."""
    from lianfang.registry.models import ImportStatus, Resident

    Resident.objects.filter(pk=population["李四"].pk).update(registration_address='=HYPERLINK("http://x","y")')
    before = registry_snapshot()
    path, _count = export_csv(tmp_path, actor=district_commander)
    text = path.read_bytes().decode("utf-8-sig")
    assert '＝HYPERLINK(""http://x"",""y"")' in text
    assert ",=" not in text
    batch = run_import(path)
    assert issues(batch) == []
    assert batch.status == ImportStatus.UNCHANGED, batch.message
    assert registry_snapshot() == before


def test_registry_export_refuses_an_unknown_format(tmp_path, population, district_commander):
    from lianfang.divisions.models import Division
    from lianfang.registry.exporters import registry_export

    with pytest.raises(ValueError, match="unknown export format 'pdf': use xlsx or csv"):
        registry_export(
            actor=district_commander,
            target=Division.objects.get(code=XIAXIYUAN),
            output=tmp_path / "x",
            file_format="pdf",
        )


def test_export_page_answers_csv_when_asked(client_for, population, community_staff, english):
    from lianfang.core.models import AuditEntry

    client = client_for(community_staff)
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="registry-{XIAXIYUAN}-')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = csv_rows(response.content)
    assert len(rows) == 2 + 4
    assert "1101**********002X" in str(rows)
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN, "format": "csv", "unmasked": "on"})
    assert response.status_code == 400
    response = client.post(
        "/registry/io/export/", {"division": XIAXIYUAN, "format": "csv", "unmasked": "on", "reason": "visit"}
    )
    assert response.status_code == 200
    assert "11010519491231002X" in str(csv_rows(response.content))
    assert [e.detail["format"] for e in AuditEntry.objects.filter(action="export").order_by("id")] == ["csv", "csv"]
    # no format: XLSX, as before
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN})
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_export_page_refuses_an_unknown_format_naming_it(client_for, population, community_staff, english):
    client = client_for(community_staff)
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN, "format": "pdf"})
    assert response.status_code == 400
    assert "“pdf”不是可用的导出格式：请用 xlsx 或 csv" in response.content.decode()
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN, "format": "pdf"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "“pdf” is not an export format: use xlsx or csv" in response.content.decode()


def test_command_line_exports_csv(tmp_path, population, english):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    path = tmp_path / "out.csv"
    call_command("export_registry", community=XIAXIYUAN, output=str(path), stdout=out)
    assert out.getvalue().strip() == f"4 residents written to {path}"
    rows = csv_rows(path.read_bytes())
    assert len(rows) == 2 + 4
    assert "1101**********002X" in str(rows)
    with pytest.raises(CommandError) as raised:
        call_command("export_registry", community=XIAXIYUAN, output=str(tmp_path / "out.pdf"))
    assert str(raised.value) == f"--output must be an .xlsx or .csv file: {tmp_path / 'out.pdf'}"
