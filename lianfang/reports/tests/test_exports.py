"""The daily report as XLSX, PDF, text and JSON, generated and read back; the management command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from lianfang.core.models import AuditEntry
from lianfang.reports import daily, documents, render
from lianfang.reports.tests.conftest import XIYUAN

pytestmark = pytest.mark.django_db


def _sheets(content: bytes) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def report(screening_scene, requests_scene, field_scene, district_commander):
    return daily.build(user=district_commander, division=screening_scene["street"], day=screening_scene["day"])


def test_xlsx_reads_back_with_the_same_numbers(report):
    doc = documents.daily_document(report, language="zh-hans", watermark="导出：commander")
    sheets = _sheets(render.to_xlsx(doc))
    first = next(iter(sheets.values()))
    assert first[0][0] == doc.title and "西园街道" in first[1][0]
    assert report["paragraph"]["zh-hans"] in [row[0] for row in first]
    assert any(row[0] and "commander" in str(row[0]) for row in first)  # watermark

    def sheet(index):
        prefix = str(doc.tables[index].title)[:10]
        return next(rows for title, rows in sheets.items() if title.startswith(prefix))

    tiers = sheet(1)
    body = {row[0]: row[1:4] for row in tiers[3:] if row and row[0]}
    by_key = {t["key"]: t for t in report["tiers"]["tiers"]}
    assert body[by_key["sealed"]["name"]] == [1, by_key["sealed"]["households"], by_key["sealed"]["residents"]]
    assert body[by_key["controlled"]["name"]] == [1, 1, 3]
    workforce = sheet(3)
    total = next(row for row in workforce if row[0] in ("Total", "合计"))
    assert total[-1] == report["workforce"]["totals"]["total"] == 3
    round_line = next(row for row in sheet(4) if row[0] == "第1轮全员核酸")
    rnd = report["testing"]["rounds"][0]
    parts = [c.key for c in documents.coverage_columns()]  # negative … missed: each person in one of them
    assert round_line[1:-1] == [10, *[rnd.get(key, 0) for key in parts]]
    assert sum(round_line[2:-1]) == 10 and round_line[1 + parts.index("missed") + 1] == rnd["missed"]
    assert round_line[-1] == pytest.approx(0.40)


def test_pdf_reads_back_with_the_paragraph_and_the_tables(report):
    doc = documents.daily_document(report, language="zh-hans", watermark="commander 2026")
    content = render.to_pdf(doc)
    assert content.startswith(b"%PDF")
    text = _pdf_text(content)
    assert "西园街道" in text and "第1轮全员核酸" in text and "阳光小区" in text
    assert "commander 2026" in text
    english = _pdf_text(render.to_pdf(documents.daily_document(report, language="en")))
    assert "Key figures" in english and "Control areas by tier" in english


def test_text_and_json(report):
    text = render.to_text(documents.daily_document(report, language="en"))
    assert "Key figures" in text and "第1轮全员核酸" in text
    assert json.loads(json.dumps(report))["population"] == {"households": 5, "residents": 10}


def test_export_view_formats(client_for, district_commander, report):
    client = client_for(district_commander)
    base = f"{reverse('reports:daily_export')}?code={XIYUAN}&date={report['date']}"
    xlsx = client.get(base + "&format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx["Content-Disposition"]
    assert _sheets(xlsx.content)
    pdf = client.get(base + "&format=pdf&lang=en")
    assert pdf.status_code == 200 and "Daily report of 西园街道" in _pdf_text(pdf.content)
    data = client.get(base + "&format=json").json()
    assert data["population"] == report["population"] and data["testing"]["rounds"][0]["sampled"] == 4
    assert client.get(base + "&format=doc").status_code == 400
    assert client.get(base + "&format=pdf&lang=fr").status_code == 400
    # every export is audited, the refused ones are not
    # the daily report holds counts only: not logged as an export of personal data (new-user trial 13)
    assert not AuditEntry.objects.filter(action="export", object_id="daily-report").exists()
    entries = AuditEntry.objects.filter(action="reports.export", object_id="daily-report").order_by("id")
    assert [(e.actor_id, e.division_code, e.detail["format"], e.detail["day"]) for e in entries] == [
        (district_commander.pk, XIYUAN, fmt, report["date"]) for fmt in ("xlsx", "pdf", "json")
    ]
    assert all(e.detail["rows"] > 0 for e in entries)


def test_command_writes_every_format(screening_scene, tmp_path, capsys):
    day = screening_scene["day"].isoformat()
    call_command("daily_report", code="620103", date=day, format="json")
    data = json.loads(capsys.readouterr().out)
    assert data["division"]["code"] == "620103" and data["population"]["residents"] == 10
    call_command("daily_report", code=XIYUAN, date=day, format="text", lang="en")
    assert "Daily report of 西园街道" in capsys.readouterr().out
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    call_command("daily_report", code=XIYUAN, date=day, format="xlsx", output=str(xlsx))
    call_command("daily_report", code=XIYUAN, date=day, format="pdf", output=str(pdf))
    assert _sheets(xlsx.read_bytes()) and "西园街道" in _pdf_text(pdf.read_bytes())


def test_command_refuses_bad_input_and_closes_idempotently(screening_scene, district_commander, capsys):
    from django.core.management.base import CommandError

    from lianfang.reports.models import DailyReport

    with pytest.raises(CommandError, match="no such division"):
        call_command("daily_report", code="999999", format="json")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("daily_report", code=XIYUAN, date="27/03/2022", format="json")
    with pytest.raises(CommandError, match="needs --user"):
        call_command("daily_report", code=XIYUAN, format="json", close=True)
    day = screening_scene["day"].isoformat()
    for _ in range(2):
        call_command("daily_report", code=XIYUAN, date=day, format="json", close=True, user=district_commander.username)
    assert DailyReport.objects.get().status == "closed"
    assert "already closed" in capsys.readouterr().err
