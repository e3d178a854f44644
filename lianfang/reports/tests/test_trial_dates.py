"""Dates a tester asked for: a day before any report rule set is a 400 naming it and the first day
one was in force (API, pages, exports, the close form), never a 500; a source app's refusal of the
day (fieldops: no field rule set) is a 400 on the records page; every time of the daily report and
the overview is in local time (+08:00); the close API files its errors under ``date``, its field; a
query parameter an endpoint does not take is a 400 naming it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.reports.tests.conftest import XIYUAN

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DISTRICT = "620103"


def _no_rules_zh(day: str) -> str:
    return f"“{day}”没有生效的报表规则（最早的报表规则于 2020-01-01 生效）。"


def _no_rules_en(day: str) -> str:
    return f"No report rule set was in force on “{day}” (the first took effect on 2020-01-01)."


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/daily/?code=620103&date={day}",
        "/api/v1/reports/trends/?code=620103&date={day}",
        "/api/v1/reports/trends/?code=620103&date={day}&days=7",
    ],
)
@pytest.mark.parametrize("day", ["2000-01-01", "0002-01-01", "0714-03-05", "2019-12-31"])
def test_api_reads_of_a_day_before_any_rule_set_are_400(api_for, district_commander, url, day):
    api = api_for(district_commander)
    response = api.get(url.format(day=day), **ZH)
    assert response.status_code == 400
    assert response.json() == {"date": [_no_rules_zh(day)]}
    english = api.get(url.format(day=day), **EN)
    assert english.status_code == 400 and english.json() == {"date": [_no_rules_en(day)]}


def test_api_read_of_the_first_day_of_the_rule_set_answers(api_for, district_commander):
    api = api_for(district_commander)
    assert api.get("/api/v1/reports/daily/?code=620103&date=2020-01-01").status_code == 200
    trends = api.get("/api/v1/reports/trends/?code=620103&date=2020-01-01&days=2")
    assert trends.status_code == 200 and trends.json()["dates"] == ["2019-12-31", "2020-01-01"]


@pytest.mark.parametrize("day", ["2000-01-01", "0002-01-01"])
def test_api_close_of_a_day_before_any_rule_set_is_400(api_for, district_commander, day):
    from lianfang.reports.models import DailyReport

    api = api_for(district_commander)
    body = {"code": DISTRICT, "date": day}
    response = api.post("/api/v1/reports/daily/close/", body, format="json", **ZH)
    assert response.status_code == 400 and response.json() == {"date": [_no_rules_zh(day)]}
    english = api.post("/api/v1/reports/daily/close/", body, format="json", **EN)
    assert english.status_code == 400 and english.json() == {"date": [_no_rules_en(day)]}
    assert not DailyReport.objects.exists()


def test_api_close_of_a_future_day_names_the_date_field(api_for, district_commander):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    api = api_for(district_commander)
    body = {"code": DISTRICT, "date": tomorrow}
    response = api.post("/api/v1/reports/daily/close/", body, format="json", **ZH)
    assert response.status_code == 400
    assert response.json() == {"date": [f"“{tomorrow}”尚未到来"]}
    english = api.post("/api/v1/reports/daily/close/", body, format="json", **EN)
    assert english.json() == {"date": [f"“{tomorrow}” is in the future"]}


def test_api_close_refusals_name_the_date_field(screening_scene, api_for, district_commander):
    from lianfang.screening.models import PoolFollowUpStep

    day = screening_scene["day"].isoformat()
    api = api_for(district_commander)
    PoolFollowUpStep.objects.filter(kind="retest").update(due_at=timezone.now() - dt.timedelta(minutes=1))
    blocked = api.post("/api/v1/reports/daily/close/", {"code": XIYUAN, "date": day}, format="json", **EN)
    assert blocked.status_code == 400
    assert blocked.json() == {"date": ["1 positive pool lacks follow-up: P-0001 (step overdue)"]}
    PoolFollowUpStep.objects.filter(kind="retest").update(due_at=timezone.now() + dt.timedelta(hours=1))
    assert api.post("/api/v1/reports/daily/close/", {"code": XIYUAN, "date": day}, format="json").status_code == 200
    again = api.post("/api/v1/reports/daily/close/", {"code": XIYUAN, "date": day}, format="json", **EN)
    assert again.status_code == 400 and again.json() == {"date": [f"the report of {day} is already closed"]}


@pytest.mark.parametrize(
    "url",
    [
        "/reports/daily/?code=620103&date={day}",
        "/reports/trends/?code=620103&date={day}",
        "/reports/trends/?code=620103&date={day}&days=7",
        "/reports/daily/export/?code=620103&date={day}&format=json",
        "/reports/daily/export/?code=620103&date={day}&format=xlsx",
    ],
)
@pytest.mark.parametrize("day", ["2000-01-01", "0002-01-01"])
def test_pages_of_a_day_before_any_rule_set_are_400(client_for, district_commander, url, day):
    client = client_for(district_commander)
    response = client.get(url.format(day=day), **ZH)
    assert response.status_code == 400
    assert response.context["errors"] == [_no_rules_zh(day)]
    assert f'<ul data-testid="errors"><li>{_no_rules_zh(day)}</li></ul>' in response.content.decode()


@pytest.mark.parametrize("day", ["2000-01-01", "0002-01-01"])
def test_close_form_of_a_day_before_any_rule_set_is_400(client_for, district_commander, day):
    from lianfang.reports.models import DailyReport

    client = client_for(district_commander)
    response = client.post(reverse("reports:daily_close"), {"code": DISTRICT, "date": day}, **ZH)
    assert response.status_code == 400 and response.context["errors"] == [_no_rules_zh(day)]
    english = client.post(reverse("reports:daily_close"), {"code": DISTRICT, "date": day}, **EN)
    assert english.status_code == 400 and english.context["errors"] == [_no_rules_en(day)]
    assert not DailyReport.objects.exists()


def test_close_form_of_a_future_day_is_400(client_for, district_commander):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_for(district_commander).post(
        reverse("reports:daily_close"), {"code": DISTRICT, "date": tomorrow}, **ZH
    )
    assert response.status_code == 400 and response.context["errors"] == [f"“{tomorrow}”尚未到来"]


def test_records_page_answers_a_source_apps_refusal_of_the_day_with_400(client_for, district_commander):
    url = f"{reverse('reports:records', args=['gates'])}?code={DISTRICT}&date=2000-01-01"
    response = client_for(district_commander).get(url, **ZH)
    assert response.status_code == 400
    message = "“2000-01-01”没有生效的一线工作规则（最早的一线工作规则于 2020-01-01 生效）。"
    assert response.context["errors"] == [message]
    assert f"<li>{message}</li>" in response.content.decode()


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat()


def test_daily_report_times_are_local(screening_scene, api_for, client_for, district_commander):
    from lianfang.screening.models import PoolFollowUpStep

    rnd = screening_scene["round"]
    day = screening_scene["day"].isoformat()
    PoolFollowUpStep.objects.filter(kind="retest").update(due_at=timezone.now() - dt.timedelta(minutes=1))
    due = PoolFollowUpStep.objects.get(kind="retest").due_at
    before = timezone.now()
    body = api_for(district_commander).get(f"/api/v1/reports/daily/?code={XIYUAN}&date={day}").json()
    report = body["report"]
    assert report["generated_at"].endswith("+08:00")
    assert before <= dt.datetime.fromisoformat(report["generated_at"]) <= timezone.now()
    first = report["testing"]["rounds"][0]
    assert (first["opened_at"], first["deadline"]) == (_local(rnd.opened_at), _local(rnd.deadline))
    assert first["opened_at"].endswith("+08:00") and first["deadline"].endswith("+08:00")
    assert body["blockers"][0]["due"] == _local(due) and body["blockers"][0]["due"].endswith("+08:00")
    export = client_for(district_commander).get(
        f"{reverse('reports:daily_export')}?code={XIYUAN}&date={day}&format=json"
    )
    data = json.loads(export.content)
    assert data["generated_at"].endswith("+08:00")
    assert (data["testing"]["rounds"][0]["opened_at"], data["testing"]["rounds"][0]["deadline"]) == (
        _local(rnd.opened_at),
        _local(rnd.deadline),
    )


def test_closed_day_and_overview_times_are_local(screening_scene, api_for, district_commander):
    from lianfang.reports.models import DailyReport

    rnd = screening_scene["round"]
    day = screening_scene["day"].isoformat()
    api = api_for(district_commander)
    assert api.post("/api/v1/reports/daily/close/", {"code": XIYUAN, "date": day}, format="json").status_code == 200
    closed = api.get(f"/api/v1/reports/daily/?code={XIYUAN}&date={day}").json()
    row = DailyReport.objects.get(path=XIYUAN)
    assert closed["closed_at"] == _local(row.closed_at) and closed["closed_at"].endswith("+08:00")
    assert closed["report"]["generated_at"].endswith("+08:00")
    overview = api.get(f"/api/v1/reports/overview/?code={XIYUAN}").json()
    assert overview["figures_at"].endswith("+08:00")
    assert overview["round"]["round"]["deadline"] == _local(rnd.deadline)
    pool = overview["pools"]["rows"][0]
    assert pool["result_at"].endswith("+08:00") and pool["next_due"].endswith("+08:00")


@pytest.mark.parametrize(
    ("url", "name", "accepted"),
    [
        ("/api/v1/reports/overview/?code=620103&date=2000-01-01", "date", "code"),
        ("/api/v1/reports/trends/?day=2000-01-01", "day", "code, date, days"),
        ("/api/v1/reports/daily/?code=620103&day=2000-01-01", "day", "code, date"),
        ("/api/v1/reports/daily/?code=620103&days=7", "days", "code, date"),
        ("/api/v1/reports/layouts/control-area-list/rows/?code=620103&on=2000-01-01", "on", "code, date"),
    ],
)
def test_api_refuses_a_parameter_it_does_not_take(api_for, district_commander, url, name, accepted):
    api = api_for(district_commander)
    response = api.get(url, **ZH)
    assert response.status_code == 400
    assert response.json() == {name: [f"“{name}”不是此接口的参数（可用：{accepted}）"]}
    english = api.get(url, **EN)
    assert english.json() == {name: [f"“{name}” is not a parameter of this endpoint (accepted: {accepted})"]}


def test_api_takes_its_own_parameters_and_format(api_for, district_commander):
    api = api_for(district_commander)
    overview = api.get("/api/v1/reports/overview/?code=620103&format=json")
    assert overview.status_code == 200 and overview.json()["date"] == timezone.localdate().isoformat()
    today = timezone.localdate().isoformat()
    trends = api.get(f"/api/v1/reports/trends/?code=620103&date={today}&days=3")
    assert trends.status_code == 200 and trends.json()["dates"][-1] == today
