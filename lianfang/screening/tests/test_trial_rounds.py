"""New-user trial findings on rounds and their pages: no English inside Chinese answers, permission
before the Idempotency-Key header, real labels and place names, ``within`` out of scope a 400 naming it, and
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
        line = f"<li>Last N rounds (<code>n</code>): “{bad}” is not a number of rounds from 1 to 20</li>"
        assert line in response.content.decode()
    zh = client.get(url, {"n": "-5"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "<li>最近 N 轮（<code>n</code>）：“-5”不是 1 到 20 之间的轮次数</li>" in zh.content.decode()
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
    assert f"<li>Status (<code>status</code>): {message}</li>" in response.content.decode()
    api = api_for(district_commander).get(reverse("api:screening-task-list"), {"status": "zzz"})
    assert api.status_code == 400 and list(api.json()) == ["status"] and "zzz" in api.json()["status"][0]


def test_task_sample_page_names_the_place(client_for, district_commander, rnd):
    task = SamplingTask.objects.get(round=rnd)
    page = client_for(district_commander).get(reverse("screening:station", args=["task", task.pk]))
    assert page.status_code == 200
    assert page.context["place"] == "上西园社区 › 园林小区 › 1号楼 › 1单元"
    assert task.path not in page.content.decode()


OUT_OF_SCOPE = {
    "zh-hans": "所属区划代码（<code>within</code>）：“{}”不是您可查看的区划的代码",
    "en": "Division code (<code>within</code>): “{}” is not the code of a division you may see",
}
MALFORMED = "Division code (<code>within</code>): “{}” is not a division code (1 to 20 digits)"


@pytest.fixture(params=["community_staff", "grid_unit_a"])
def caller(request, population):
    """Two users of different scopes, with what ``within`` reaches for them: the community staff of
    下西园 (its 4 residents) and a grid worker of one of its units (h1's 2 residents; the community
    above them counts their part only, a sibling unit nothing). ``mine``: code → residents expected;
    ``others``: codes that reach nothing of theirs (another community, another street, a sibling unit
    or compound, unknown codes)."""
    unknown = ["620103001999", "999999"]
    if request.param == "community_staff":
        user = request.getfixturevalue("community_staff")
        mine = {"620103001001": 4, population["compound_a"].code: 4, population["unit_a"].code: 2}
        others = [OTHER_COMMUNITY, "620103002001", population["compound_b"].code, *unknown]
    else:
        user = _user("grid-unit-a", "grid_worker", population["unit_a"].code)
        mine = {"620103001001": 2, population["compound_a"].code: 2, population["unit_a"].code: 2}
        others = [OTHER_COMMUNITY, population["h2"].path, population["compound_b"].code, *unknown]
    return {"user": user, "mine": mine, "others": others}


def test_within_reaching_nothing_of_the_callers_is_a_400_naming_it(client_for, api_for, caller, rnd):
    """The round page, its coverage page and the coverage API answer a ``within`` that names nothing the
    caller may see with the 400 every ``within`` answers (core.filters.query_scoped_code: the page in
    the reader's language with the parameter's label, the API ``{"within": ["…"]}``), not a 404; a
    malformed one too; one they reach still counts their rows."""
    client, api = client_for(caller["user"]), api_for(caller["user"])
    pages = [reverse("screening:round", args=[rnd.pk]), reverse("screening:coverage", args=[rnd.pk])]
    api_url = reverse("api:screening-round-coverage", args=[rnd.pk])
    for code in caller["others"]:
        for url in pages:
            for language, line in OUT_OF_SCOPE.items():
                refused = client.get(url, {"within": code}, HTTP_ACCEPT_LANGUAGE=language)
                assert refused.status_code == 400, (url, code)
                assert f"<li>{line.format(code)}</li>" in refused.content.decode(), (url, code)
        refused = api.get(api_url, {"within": code}, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 400, code
        assert refused.json() == {"within": [f"“{code}” is not the code of a division you may see"]}
    for bad in ("abc", "6201-03"):
        for url in pages:
            page = client.get(url, {"within": bad}, HTTP_ACCEPT_LANGUAGE="en")
            assert page.status_code == 400 and f"<li>{MALFORMED.format(bad)}</li>" in page.content.decode()
        refused = api.get(api_url, {"within": bad}, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 400
        assert refused.json() == {"within": [f"“{bad}” is not a division code (1 to 20 digits)"]}
    for code, expected in caller["mine"].items():
        mine = api.get(api_url, {"within": code})
        assert mine.status_code == 200 and mine.json()["within"] == code
        assert mine.json()["totals"]["expected"] == expected, code
        assert sum(row["expected"] for row in mine.json()["rows"]) == expected, code
        for url in pages:
            page = client.get(url, {"within": code})
            assert page.status_code == 200 and page.context["within"] == code
            assert page.context["totals"].counts["expected"] == expected, (url, code)
            assert sum(row.counts["expected"] for row in page.context["rows"]) == expected, (url, code)
