"""Trends over days: each point equals that day's count made here from the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lianfang.reports import trends
from lianfang.reports.tests.conftest import XIYUAN

pytestmark = pytest.mark.django_db


def test_series_equal_the_rows(screening_scene, requests_scene, district_commander):
    from lianfang.zones.models import Infection

    s = screening_scene
    data = trends.build(user=district_commander, division=s["street"], last=s["day"], n_days=5)
    dates = [dt.date.fromisoformat(d) for d in data["dates"]]
    assert dates == [s["day"] - dt.timedelta(days=n) for n in range(4, -1, -1)]
    infections = Infection.objects.filter(path__startswith=XIYUAN)
    assert data["infections"] == [infections.filter(detected_on=d).count() for d in dates]
    sealed = next(t for t in data["areas"]["tiers"] if t["key"] == "sealed")
    assert sealed["values"] == [0, 0, 1, 1, 1]  # in force from two days ago
    assert data["workforce"] == [3] * 5
    assert data["requests"]["open"][-1] == 2 and data["requests"]["overdue"][-1] == 1
    assert data["requests"]["open"][-2] == 1  # yesterday: only the ticket received yesterday
    (rnd,) = data["rounds"]
    assert (rnd["expected"], rnd["sampled"], rnd["percent"]) == (10, 4, 40)
    charts = trends.chart_payload(data, language="en")
    assert set(charts) == {"infections", "areas", "rounds", "requests", "workforce"}
    assert charts["workforce"]["series"][0]["data"] == [3] * 5


def test_trends_page_and_days_parameter(scene, client_for, district_commander):
    client = client_for(district_commander)
    page = client.get(f"{reverse('reports:trends')}?code={XIYUAN}&days=10")
    assert page.status_code == 200 and 'id="chart-data"' in page.content.decode()
    assert client.get(f"{reverse('reports:trends')}?days=500").status_code == 400
    default = trends.days_param(None, scene["day"])
    assert default == 30
