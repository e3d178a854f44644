"""New-user trial findings on rounds and their pages: no English inside Chinese answers, permission
before the Idempotency-Key header, real labels and place names, ``within`` out of scope a 404, and
bad query values a 400 naming the parameter and value (never ignored or clamped)."""

import pytest
from django.urls import reverse

from lianfang.conftest import _user
from lianfang.screening.models import SamplingTask

pytestmark = pytest.mark.django_db
ROUNDS = "api:screening-round-list"
OTHER_COMMUNITY = "620103001002"  # 上西园: in the round, outside 下西园's staff scope


def test_round_create_checks_permission_first_then_a_translated_header(api_for, population, qilihe):
    grid = _user("grid", "grid_worker", "620103001001")
    body = {"name": "第2轮", "codes": ["620103001001"]}
    refused = api_for(grid).post(reverse(ROUNDS), body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 403  # before the missing header is mentioned
    assert refused.json() == {"detail": "您没有执行该操作的权限。"}
    commander = _user("commander2", "district_commander", "620103")
    no_key = api_for(commander).post(reverse(ROUNDS), body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert no_key.status_code == 400
    assert no_key.json() == {"Idempotency-Key": "请求头 Idempotency-Key 必填：8-64 位字母、数字或 - _ :"}


def test_round_create_names_out_of_scope_codes_in_chinese(api_for, district_commander, population):
    body = {"name": "第2轮", "codes": ["620103001001", "620104001"]}  # another district's street
    response = api_for(district_commander).post(
        reverse(ROUNDS), body, format="json", HTTP_IDEMPOTENCY_KEY="round-key-0001", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert response.json() == {"codes": ["未知或超出权限范围：620104001"]}


def test_missed_page_labels_n_and_refuses_bad_values(client_for, community_staff, rnd):
    client = client_for(community_staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("screening:missed")
    page = client.get(url, {"n": "2"})
    assert page.status_code == 200 and page.context["n"] == 2
    assert '<label>Last N rounds: <input type="number" name="n" value="2"' in page.content.decode()
    zh = client.get(url, {"n": "2"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<label>最近 N 轮： <input type="number" name="n" value="2"' in zh  # one full-width colon ends the label
    for bad in ("abc", "-5", "0", "21"):
        response = client.get(url, {"n": bad})
        assert response.status_code == 400
        assert f"<li><code>n</code>: “{bad}” is not a number of rounds from 1 to 20</li>" in response.content.decode()
    zh = client.get(url, {"n": "-5"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "<li><code>n</code>：“-5”不是 1 到 20 之间的轮次数</li>" in zh.content.decode()
    assert client.get(url).context["n"] == 3  # the rule set's window when absent


def test_tasks_page_refuses_an_unknown_status(client_for, api_for, district_commander, rnd):
    client = client_for(district_commander)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("screening:tasks", args=[rnd.pk])
    assert len(client.get(url).context["tasks"]) == 1  # open by default: 王五's home visit
    assert len(client.get(url, {"status": "done"}).context["tasks"]) == 0
    response = client.get(url, {"status": "zzz"})
    assert response.status_code == 400
    message = "“zzz” is not a task status (allowed: open, done, cancelled)"
    assert f"<li><code>status</code>: {message}</li>" in response.content.decode()
    api = api_for(district_commander).get(reverse("api:screening-task-list"), {"status": "zzz"})
    assert api.status_code == 400 and list(api.json()) == ["status"] and "zzz" in api.json()["status"][0]


def test_task_sample_page_names_the_place(client_for, district_commander, rnd):
    task = SamplingTask.objects.get(round=rnd)
    page = client_for(district_commander).get(reverse("screening:station", args=["task", task.pk]))
    assert page.status_code == 200
    assert page.context["place"] == "上西园社区 › 园林小区 › 1号楼 › 1单元"
    assert task.path not in page.content.decode()


def test_coverage_within_out_of_scope_is_404_malformed_400(client_for, api_for, community_staff, rnd):
    page_url = reverse("screening:coverage", args=[rnd.pk])
    api_url = reverse("api:screening-round-coverage", args=[rnd.pk])
    client, api = client_for(community_staff), api_for(community_staff)
    assert client.get(page_url, {"within": "620103001001"}).status_code == 200
    mine = api.get(api_url, {"within": "620103001001"})
    assert mine.status_code == 200 and mine.json()["totals"]["expected"] == 4
    for code in (OTHER_COMMUNITY, "620103002001", "999999"):  # another community's, unknown
        assert client.get(page_url, {"within": code}).status_code == 404
        assert api.get(api_url, {"within": code}).status_code == 404
        detail = reverse("screening:round", args=[rnd.pk])
        assert client.get(detail, {"within": code}).status_code == 404
    bad = api.get(api_url, {"within": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and bad.json() == {"within": ["“abc” is not a division code (1 to 20 digits)"]}
    page = client.get(page_url, {"within": "abc"})
    assert page.status_code == 400 and "<code>within</code>" in page.content.decode()


def test_coverage_within_a_division_above_the_callers_scope_counts_their_part(client_for, api_for, population, rnd):
    """A grid worker of one unit follows a report's drill-down to its community (the demo crawl's link):
    200, the figures of their own part only; a sibling community stays a 404."""
    grid = _user("grid-unit-a", "grid_worker", population["unit_a"].code)
    api_url = reverse("api:screening-round-coverage", args=[rnd.pk])
    narrowed = api_for(grid).get(api_url, {"within": "620103001001"})
    assert narrowed.status_code == 200 and narrowed.json()["totals"]["expected"] == 2  # h1's two residents
    assert (
        client_for(grid).get(reverse("screening:round", args=[rnd.pk]), {"within": "620103001001"}).status_code == 200
    )
    assert api_for(grid).get(api_url, {"within": OTHER_COMMUNITY}).status_code == 404
