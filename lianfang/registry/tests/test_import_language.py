# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""The problems of an import (stored reasons and the XLSX report) are written in the uploader's language,
whichever language the background worker and the forked validation workers run in."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.text import capfirst

from lianfang.registry.tests.fixtures.importing import (  # noqa: F401
    FIXTURES,
    TODAY,
    XIAXIYUAN,
    english,
    fork_workers,
    registry_snapshot,
)

pytestmark = pytest.mark.django_db

OTHER = {"zh-hans": "en", "en": "zh-hans"}
PROBLEMS_HEADER = {
    "zh-hans": ("级别", "工作表", "行", "列", "值", "原因"),
    "en": ("Severity", "Sheet", "Row", "Column", "Value", "Reason"),
}
# problems.xlsx: (severity, row, reason) of the report's problem sheet, in each language.
REASONS = {
    "zh-hans": [
        ("错误", 3, "同一人已出现在工作表 problems 第 2 行；请处理重复"),
        ("错误", 5, "此人已登记在本次导入范围以外的其他住户中，请先办理迁出"),
        ("错误", 6, "楼栋不存在；最接近的是：1号楼"),
        ("错误", 7, "校验码不符（GB 11643-1999）"),
        ("错误", 8, "出生日期 19800230 不存在"),
        ("错误", 9, "性别 男 与身份证号（女）不符"),
        ("错误", 10, "不是有效的中国电话号码"),
        ("错误", 11, "已被 Excel 损坏（第 15 位之后的数字丢失）——请将该列设为文本后重新导出"),
        ("错误", 12, "小区/村民小组不存在；最接近的是：阳光小区"),
        ("提示", 1, "已忽略此列：死亡等不可逆状态不能通过导入设置"),
        ("提示", 1, "未知列，已忽略"),
    ],
    "en": [
        ("Error", 3, "The same person is already on sheet problems row 2; resolve the duplicate"),
        ("Error", 5, "This person is already registered in another household outside this import; move them first"),
        ("Error", 6, "Unknown building; nearest: 1号楼"),
        ("Error", 7, "Check character does not match (GB 11643-1999)"),
        ("Error", 8, "Birth date 19800230 does not exist"),
        ("Error", 9, "Sex Male disagrees with the ID number (Female)"),
        ("Error", 10, "Not a valid Chinese phone number"),
        ("Error", 11, "Corrupted by Excel (digits past the 15th were lost) — re-export the column as text"),
        ("Error", 12, "Unknown compound/village group; nearest: 阳光小区"),
        ("Warning", 1, "Column ignored: deaths and other irreversible statuses are never set by an import"),
        ("Warning", 1, "Unknown column ignored"),
    ],
}
# The Errors column of row 6 (the unknown building) on the copy of the file's sheet.
ROW6_ERRORS = {
    "zh-hans": "楼栋（B）：楼栋不存在；最接近的是：1号楼",  # full-width colon (new-user trial)
    "en": "楼栋 (B): Unknown building; nearest: 1号楼",
}
WORKER_REASONS = {
    "zh-hans": [
        "人员类别“网格长”不是可接受的取值（可用：市级驻守干部、区级驻守干部、街道（乡镇）工作人员、"
        "社区（居委会）工作人员、网格员、社工委委员、公卫委委员、爱卫会委员、党员、退役军人、志愿者、"
        "医护 / 采样人员、公安 / 安保人员、联户代表）",
        "不是有效的中国电话号码",
        "找不到住户：下西园社区 阳光小区 9号楼 1单元 101",
        "同一人已出现在工作表 workers_problems 第 3 行",
        "包保层级必须是 1、2、3 或 4",
    ],
    "en": [
        "Categories “网格长” is not one of the accepted values (accepted: City-level stationed cadre, "
        "District-level stationed cadre, Street/town staff, Community (residents' committee) staff, Grid worker, "
        "Social work committee member, Public health committee member, Patriotic health committee member, "
        "Party member, Veteran, Volunteer, Medical / sampling staff, Police / security, Household representative)",
        "Not a valid Chinese phone number",
        "Unknown household 下西园社区 阳光小区 9号楼 1单元 101",
        "The same person is already on sheet workers_problems row 3",
        "Responsibility level must be 1, 2, 3 or 4",
    ],
}


def report(batch) -> tuple[list[tuple], dict]:
    """The report's problem sheet as rows and the Errors column of the file's sheet by row number."""
    from openpyxl import load_workbook

    wb = load_workbook(batch.report.path, read_only=True)
    data, problems = wb.worksheets[0], wb.worksheets[-1]
    errors = {}
    for number, row in enumerate(data.iter_rows(values_only=True), start=1):
        errors[number] = row[-2]
    return list(problems.iter_rows(values_only=True)), errors


def forked(monkeypatch) -> None:
    """Validate every sheet in two forked workers, two rows per chunk."""
    fork_workers(monkeypatch, workers=2, chunk=2)


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "forked"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_report_is_in_the_language_the_import_was_queued_in(
    language, parallel, population, community_staff, monkeypatch
):
    """Queued in one language, run by a worker in the other: reasons and report follow the queue's."""
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import import_batch_create, import_batch_run

    if parallel:
        forked(monkeypatch)
    before = registry_snapshot()
    with translation.override(language):
        batch = import_batch_create(
            actor=community_staff,
            target=Division.objects.get(code=XIAXIYUAN),
            file_name="problems.xlsx",
            data=(FIXTURES / "problems.xlsx").read_bytes(),
        )
    with translation.override(OTHER[language]):
        batch = import_batch_run(actor=community_staff, batch=batch, today=TODAY)
    assert batch.status == "invalid"
    assert registry_snapshot() == before  # all or nothing: the valid rows are not written either
    rows, errors = report(batch)
    assert rows[0] == PROBLEMS_HEADER[language]
    assert [(severity, row, reason) for severity, _sheet, row, _column, _value, reason in rows[1:]] == REASONS[language]
    assert errors[6] == ROW6_ERRORS[language]
    stored = [(i["row"], capfirst(i["reason"])) for i in batch.issues]  # stored as made, shown capitalised
    assert stored == [(row, reason) for _severity, row, reason in REASONS[language]]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_explicit_language_wins(language, english, population, community_staff):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import import_batch_create, import_batch_run

    batch = import_batch_create(  # queued in English
        actor=community_staff,
        target=Division.objects.get(code=XIAXIYUAN),
        file_name="problems.xlsx",
        data=(FIXTURES / "problems.xlsx").read_bytes(),
    )
    batch = import_batch_run(actor=community_staff, batch=batch, today=TODAY, language=language)
    rows, _errors = report(batch)
    assert rows[0] == PROBLEMS_HEADER[language]
    assert rows[3][5] == REASONS[language][2][2]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_workers_roster_problems_follow_the_uploader_on_the_web(
    language, population, community_staff, client_for, django_capture_on_commit_callbacks
):
    """Uploaded from a page in one language, run later by the task worker in the other (as ``db_worker``
    does, with no request): nothing is written and the report and API problems are in the page's."""
    from lianfang.registry.models import ImportBatch
    from lianfang.registry.tasks import run_import_batch
    from lianfang.workforce.models import ResponsibilityAssignment, Worker

    client = client_for(community_staff)
    upload = SimpleUploadedFile("workers_problems.xlsx", (FIXTURES / "workers_problems.xlsx").read_bytes())
    with django_capture_on_commit_callbacks(execute=False):  # the task is not run inside the request
        response = client.post(
            "/registry/io/upload/",
            {"division": XIAXIYUAN, "kind": "workers", "file": upload},
            HTTP_ACCEPT_LANGUAGE=language,
        )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    with translation.override(OTHER[language]):
        assert run_import_batch.call(batch.pk, community_staff.pk) == "invalid"
    assert not Worker.objects.exists() and not ResponsibilityAssignment.objects.exists()
    batch.refresh_from_db()
    rows, _errors = report(batch)
    assert rows[0] == PROBLEMS_HEADER[language]
    assert [row[5] for row in rows[1:]] == WORKER_REASONS[language]
    api = client.get(f"/api/v1/registry-imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert [i["reason"] for i in api["issues"]] == WORKER_REASONS[language]


@pytest.mark.parametrize(
    ("language", "cell"),
    [
        ("zh-hans", "楼栋（B）：楼栋不存在；身份证号（D）：校验码不符；同一人已出现"),
        ("en", "楼栋 (B): Unknown building; 身份证号 (D): Check character does not match; The same person"),
    ],
)
def test_report_cell_joins_column_and_reason_with_the_languages_colon(language, cell):
    """New-user trial: the zh report's Errors cell read “楼栋（B）: …” (an ASCII colon); a problem of the
    whole row has no column to name."""
    from lianfang.core.forms import bracketed
    from lianfang.registry.exporters import _issue_cell
    from lianfang.registry.importing.plan import Issue

    with translation.override(language):
        reasons = {
            "zh-hans": ("楼栋不存在", "校验码不符", "同一人已出现"),
            "en": ("unknown building", "Check character does not match", "the same person"),
        }[language]
        issues = [
            Issue("s", 2, bracketed("楼栋", "B"), "9号楼", reasons[0], "error"),
            Issue("s", 2, bracketed("身份证号", "D"), "", reasons[1], "error"),
            Issue("s", 2, "", "", reasons[2], "error"),
        ]
        assert _issue_cell(issues) == cell
