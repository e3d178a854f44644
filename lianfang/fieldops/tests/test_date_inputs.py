"""Dates the field-operations pages fill in and read back.

- The new home-monitoring form's ``starts_on`` / ``ends_on`` are ``<input type="date">`` filled with
  ISO days (``2026-11-30``) in zh-Hans too (core.forms.DayInput): zh-Hans' own format
  ``2026/11/30`` is refused by the browser, which showed the fields empty.
- ``since`` (entry/exit records, page and API) refuses a moment whose day is outside core's usable
  range (core.filters.MomentField) with a 400 naming the parameter and the value, where
  ``0001-01-01`` answered 500 on the page and a nameless "number too large" in the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lianfang.fieldops.tests.test_queries import bad_query_items

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def shanghai_today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


def test_new_monitoring_form_dates_are_iso_in_zh_hans(population, community_staff, client_for):
    today = shanghai_today()
    client = client_for(community_staff)
    for headers in (ZH, EN):
        body = client.get("/fieldops/monitoring/", **headers).content.decode()
        assert f'<input type="date" name="starts_on" value="{today.isoformat()}"' in body
        assert f'<input type="date" name="ends_on" value="{(today + dt.timedelta(days=6)).isoformat()}"' in body
        assert today.strftime("%Y/%m/%d") not in body


@pytest.mark.parametrize("value", ["0001-01-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "9999-01-01"])
def test_passages_page_refuses_since_outside_the_usable_range(population, district_commander, client_for, value):
    client = client_for(district_commander)
    assert bad_query_items(client.get("/fieldops/passages/", {"since": value}, **ZH)) == [
        f"始于（<code>since</code>）：“{value}”超出可用的日期范围（0002-01-01 至 9998-12-31）"
    ]
    assert bad_query_items(client.get("/fieldops/passages/", {"since": value}, **EN)) == [
        f"Since (<code>since</code>): “{value}” is outside the usable date range (0002-01-01 to 9998-12-31)"
    ]


@pytest.mark.parametrize(
    "value", ["0001-01-01", "0001-01-01T00:00:00", "0001-12-31T23:00-10:00", "9999-12-31T23:59:59", "9999-01-01"]
)
def test_passages_api_refuses_since_outside_the_usable_range(population, district_commander, api_for, value):
    api = api_for(district_commander)
    response = api.get("/api/v1/fieldops/passages/", {"since": value}, **EN)
    assert response.status_code == 400
    assert response.json() == {"since": [f"“{value}” is outside the usable date range (0002-01-01 to 9998-12-31)"]}
    response = api.get("/api/v1/fieldops/passages/", {"since": value}, **ZH)
    assert response.status_code == 400
    assert response.json() == {"since": [f"“{value}”超出可用的日期范围（0002-01-01 至 9998-12-31）"]}


def test_since_at_the_edges_of_the_range_is_answered(population, district_commander, client_for, api_for):
    for value in ("0002-01-01", "0002-01-01T00:00:00", "9998-12-31T23:59:59"):
        assert client_for(district_commander).get("/fieldops/passages/", {"since": value}).status_code == 200
        response = api_for(district_commander).get("/api/v1/fieldops/passages/", {"since": value})
        assert response.status_code == 200, value
