"""Counts on the board and the partner-list import read in English grammar (“(1 day)”, “1 row: 1 new
request”, not “1 days” / “1 rows”), zh-Hans unchanged."""

import io
import re

import pytest
from django.urls import reverse

from lianfang.assistance.tests.test_import import HEADER, xlsx

pytestmark = pytest.mark.django_db


def _text(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</p>', html, re.S)
    assert match, testid
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_board_median_titles_count_days(grid, district_commander, client_for):
    client = client_for(district_commander)
    page = client.get(reverse("assistance:index"), {"days": 1}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Median time to accept (1 day)</div>" in page
    assert "Median time to fulfil (1 day)</div>" in page
    page = client.get(reverse("assistance:index"), {"days": 7}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Median time to accept (7 days)</div>" in page
    page = client.get(reverse("assistance:index"), {"days": 1}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "受理用时中位数（近 1 天）</div>" in page
    assert "办结用时中位数（近 1 天）</div>" in page


def _post(client, rows, language):
    upload = io.BytesIO(xlsx([HEADER, *rows]))
    upload.name = "list.xlsx"
    page = client.post(
        reverse("assistance:import"), {"partner_name": "物业", "file": upload}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 200
    return page.content.decode()


def test_import_summary_counts_one_row_and_one_request(grid, client_for):
    client = client_for(grid["staff_user"])
    one = [["P-1", grid["h1"].pk, "", "other", "换灯泡", "", "", ""]]
    page = _post(client, one, "en")
    assert _text(page, "import-summary") == "1 row: 1 new request, 0 linked to open requests, 0 imported before."
    page = _post(client, one, "zh-hans")
    assert _text(page, "import-summary") == "共 1 行：新建诉求 0 条，合并到未办结诉求 0 条，此前已导入 1 条。"
    two = [
        ["P-2", grid["h2"].pk, "", "other", "修水管", "", "", ""],
        ["P-3", grid["h2"].pk, "", "groceries", "送菜", "", "", ""],
    ]
    page = _post(client, two, "en")
    assert _text(page, "import-summary") == "2 rows: 2 new requests, 0 linked to open requests, 0 imported before."
