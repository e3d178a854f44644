# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Third new-user trial, registry: the export's audit entry names its division and reason, an
unmasked export keeps its watermark where a deleted first row cannot take it, the imports API's
errors are lists per field naming the value, a row with a too-long field reports its other bad
fields, a search for a household number is audited as typed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import load_workbook

from lianfang.registry.tests.fixtures.importing import english, issues, run_import  # noqa: F401

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
A1 = "620103198001010013"


def _export(tmp_path, actor, language, **kwargs):
    from lianfang.divisions.models import Division
    from lianfang.registry.exporters import registry_export

    path = tmp_path / f"export-{language}.xlsx"
    with translation.override(language):
        registry_export(actor=actor, target=Division.objects.get(code=XIAXIYUAN), output=path, **kwargs)
    return path


@pytest.mark.parametrize(
    ("language", "mark_end", "joint"),
    [
        ("zh-hans", "导出的未脱敏数据——机密，禁止转发", "。填写说明："),
        ("en", "confidential, do not forward", ". Instructions:"),
    ],
)
def test_unmasked_export_watermark_survives_the_first_row(
    tmp_path, population, district_commander, language, mark_end, joint
):
    path = _export(tmp_path, district_commander, language, unmasked=True, reason="转运名单")
    wb = load_workbook(path)
    with translation.override(language):
        from lianfang.registry.exporters import watermark_text

        entry_at = __import__("lianfang.core.models", fromlist=["AuditEntry"]).AuditEntry.objects.latest("id").at
        mark = watermark_text(district_commander, entry_at)
    assert mark.endswith(mark_end) and "commander" in mark
    first = wb.worksheets[0]["A1"].value
    assert first.startswith(mark + joint)
    assert ". 填写说明" not in first
    for ws in wb.worksheets:
        for part in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter, ws.firstHeader, ws.firstFooter):
            assert part.center.text == mark
    assert wb.properties.creator == "commander"
    assert wb.properties.description == mark and wb.properties.title == mark
    local = timezone.localtime(entry_at).strftime("%Y-%m-%d %H:%M")
    assert local in mark


def test_masked_export_has_no_watermark(tmp_path, population, district_commander):
    wb = load_workbook(_export(tmp_path, district_commander, "zh-hans"))
    ws = wb.worksheets[0]
    assert not ws.oddHeader.center.text and not wb.properties.description
    assert ws["A1"].value.startswith("填写说明：")


def test_the_audit_page_names_the_exported_division_and_the_report_reason(
    tmp_path, population, district_commander, client_for
):
    from lianfang.core import audit
    from lianfang.divisions.models import Division
    from lianfang.registry.models import ImportBatch

    _export(tmp_path, district_commander, "zh-hans", unmasked=True, reason="转运名单")
    division = Division.objects.get(code=XIAXIYUAN)
    batch = ImportBatch.objects.create(division=division, file_name="a.csv", file_sha256="0" * 64)
    audit.record(actor=district_commander, action="export", obj=batch, reason="import_report", detail={"rows": 3})
    client = client_for(district_commander)
    zh = client.get("/audit/?action=export", HTTP_ACCEPT_LANGUAGE="zh-hans")
    report, export = zh.context["rows"]
    assert export[2:5] == ("区划", f"{division.short_name}（{XIAXIYUAN}）", "转运名单")
    assert report[4] == "下载导入问题报告"
    body = zh.content.decode()
    assert f"区划 {division.short_name}（{XIAXIYUAN}）" in body and f"#{division.pk}<" not in body
    assert "import_report" not in body
    en = client.get("/audit/?action=export", HTTP_ACCEPT_LANGUAGE="en")
    assert en.context["rows"][0][4] == "Import error report downloaded"


def _upload(name: str, text: str):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.mark.parametrize(
    ("language", "division", "kind"),
    [
        (
            "zh-hans",
            "您的辖区内没有代码为 “620103999999” 的区划（应为社区、街道或区县代码）",
            "“people” 不是导入类型：请用 registry（住户和居民）或 workers（工作人员）",
        ),
        (
            "en",
            "no division with the code “620103999999” in your area (a community, street or district code)",
            "“people” is not an import kind: use registry or workers",
        ),
    ],
)
def test_imports_api_errors_are_lists_per_field_naming_the_value(
    population, community_staff, api_for, language, division, kind
):
    api = api_for(community_staff)
    csv = "小区,楼栋,单元,房号,姓名,身份证号\n"
    unknown = api.post(
        "/api/v1/registry-imports/",
        {"division": "620103999999", "file": _upload("a.csv", csv)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (unknown.status_code, unknown.json()) == (400, {"division": [division]})
    bad_kind = api.post(
        "/api/v1/registry-imports/",
        {"division": XIAXIYUAN, "kind": "people", "file": _upload("a.csv", csv)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (bad_kind.status_code, bad_kind.json()) == (400, {"kind": [kind]})


def test_a_row_with_a_too_long_field_reports_its_other_bad_fields(run_import, tmp_path):
    header = "小区,楼栋,单元,房号,姓名,身份证号,户籍地址,电话\n"
    row = f"无名小区,1,1,{'7' * 21},{'王' * 61},123,兰州,12345\n"
    path = tmp_path / "long.csv"
    path.write_text(header + row, encoding="utf-8")
    batch = run_import(path)
    assert batch.status == "invalid"
    assert issues(batch) == [
        ("csv", 2, "房号 (D)", "7" * 21, "too long: 21 characters, at most 20"),
        ("csv", 2, "姓名 (E)", "王" * 60 + "…", "too long: 61 characters, at most 60"),
        ("csv", 2, "小区 (A)", "无名小区", "unknown compound/village group; nearest: 阳光小区"),
        ("csv", 2, "电话 (H)", "12345", "not a valid Chinese phone number"),
        (
            "csv",
            2,
            "身份证号 (F)",
            "123",
            "Must be 18 characters (17 digits and a digit or X) or 15 digits, got 3",
        ),
    ]


def test_a_search_for_a_household_number_is_audited_as_typed(population, community_staff, client_for):
    from lianfang.core.models import AuditEntry
    from lianfang.registry.services import mask_query

    assert mask_query("12345") == "12345"
    assert mask_query("户 123456") == "户 123456"
    assert mask_query("0931-8123456") == "093****3456"  # a fixed line with its area code
    assert mask_query("620103198001010013") == "6201**********0013"
    assert mask_query("62010319800101001") == "6201*********1001"  # 17 digits: an ID without its check character
    client_for(community_staff).get("/registry/search/", {"q": "12345"})
    entry = AuditEntry.objects.get(action="registry.search")
    assert entry.detail["query"] == {"q": "12345"}
