"""A calendar-valid day at the edge of Python's range (0001-01-01, 9999-12-31) is a 400 naming the
value on the reports API (query and body), pages and the close form — core.filters'
validate_usable_day — never a 500 OverflowError from the report's day arithmetic (a trend's days
before ``date``, the end of the day)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DISTRICT = "620103"


def _zh(day: str) -> str:
    return f"“{day}”超出可用的日期范围（0002-01-01 至 9998-12-31）"


def _en(day: str) -> str:
    return f"“{day}” is outside the usable date range (0002-01-01 to 9998-12-31)"


@pytest.mark.parametrize("path", ["/api/v1/reports/daily/", "/api/v1/reports/trends/"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_api_reads_refuse_a_day_outside_the_usable_range(api_for, district_commander, path, day):
    api = api_for(district_commander)
    response = api.get(path, {"code": DISTRICT, "date": day, "days": 120} if "trends" in path else {"date": day}, **ZH)
    assert (response.status_code, response.json()) == (400, {"date": [_zh(day)]})
    english = api.get(path, {"date": day}, **EN)
    assert (english.status_code, english.json()) == (400, {"date": [_en(day)]})


def test_api_close_body_refuses_a_day_outside_the_usable_range(api_for, district_commander):
    from lianfang.reports.models import DailyReport

    api = api_for(district_commander)
    response = api.post("/api/v1/reports/daily/close/", {"code": DISTRICT, "date": "9999-12-31"}, format="json", **ZH)
    assert (response.status_code, response.json()) == (400, {"date": [_zh("9999-12-31")]})
    assert not DailyReport.objects.exists()


@pytest.mark.parametrize("url", ["/reports/daily/", "/reports/trends/"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_pages_refuse_a_day_outside_the_usable_range(client_for, district_commander, url, day):
    response = client_for(district_commander).get(url, {"code": DISTRICT, "date": day}, **ZH)
    assert response.status_code == 400
    assert response.context["errors"] == [_zh(day)]


def test_close_form_refuses_a_day_outside_the_usable_range(client_for, district_commander):
    from lianfang.reports.models import DailyReport

    client = client_for(district_commander)
    response = client.post(reverse("reports:daily_close"), {"code": DISTRICT, "date": "0001-01-01"}, **EN)
    assert response.status_code == 400
    assert _en("0001-01-01") in str(response.context["errors"])
    assert not DailyReport.objects.exists()
