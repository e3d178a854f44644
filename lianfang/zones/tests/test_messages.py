"""Refusals and bad input read naturally, in the reader's language: a 403 is the translated page with
the reason (never an empty body), a permission message names the division (never its raw code) and
the capability as a phrase, and a bad value is named with its parameter."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from lianfang.zones.tests.conftest import d, infect, put_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(town, operation, district_commander):
    """A sealed area in force over 幸福小区 and a proposal (from an infection) still to decide."""
    sealed = put_in_force(district_commander, operation, "sealed", [town["compound_c"]], day=d("2022-03-28"))
    result = infect(district_commander, operation, day=d("2022-03-28"), household=town["h4"], propose=True)
    return {"sealed": sealed, "proposal": result.proposals[0], "operation": operation}


@pytest.mark.parametrize("language,title", [("en", "Not allowed"), ("zh-hans", "无权访问")])
def test_page_refusals_are_the_translated_403_page(proposed, community_staff, client_for, language, title):
    client = client_for(community_staff)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    posts = [
        (reverse("zones:area_lift", args=[proposed["sealed"].pk]), {"note": "x"}),
        (reverse("zones:area_approve", args=[proposed["proposal"].pk]), {"note": "x"}),
        (reverse("zones:area_withdraw", args=[proposed["proposal"].pk]), {"note": "x"}),
        (reverse("zones:operation_open"), {"name": "x"}),
    ]
    for url, data in posts:
        response = client.post(url, data, **headers)
        body = response.content.decode()
        assert response.status_code == 403, url
        assert f"<h1>{title}</h1>" in body, url
    lift = client.post(posts[0][0], posts[0][1], **headers).content.decode()
    if language == "en":
        assert "You may not declare and lift control areas in" in lift
    else:
        assert "您无权在" in lift and "划定和解除管控区域" in lift
    assert "620103001001" not in lift


def test_api_refusal_names_the_division_and_the_action(town, operation, community_staff, api_for):
    payload = {
        "operation": operation.pk,
        "household": town["h4"].pk,
        "person_name": "孙七",
        "onset_on": "2022-03-27",
        "positive_sample_on": "2022-03-28",
    }
    api = api_for(community_staff)
    english = api.post("/api/v1/infections/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 403
    detail = english.json()["detail"]
    # new-user trial 13: a grid worker recording an infection read about drawing control areas
    assert detail == "You may not record infections in 西园街道 › 下西园社区 › 幸福小区 › 1号楼 › 1单元."
    chinese = api.post("/api/v1/infections/", payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    detail = chinese.json()["detail"]
    assert detail == "您无权在西园街道 › 下西园社区 › 幸福小区 › 1号楼 › 1单元登记感染者。"


def test_denied_message_places():
    from lianfang.accounts.selectors import denied_message

    with translation.override("en"):
        assert denied_message("manage_zones", "") == "You may not declare and lift control areas in the whole city."
        unknown = denied_message("manage_zones", "99")
        assert unknown == "You may not declare and lift control areas in an unknown division."


def test_denied_message_names_the_path_below_the_district(qilihe):
    from lianfang.accounts.selectors import denied_message

    with translation.override("en"):
        assert denied_message("manage_zones", "620103001001") == (
            "You may not declare and lift control areas in 西园街道 › 下西园社区."
        )
    with translation.override("zh-hans"):
        assert denied_message("export", "620103") == "您无权在七里河区导出个人信息。"


def test_unknown_rows_are_named_in_the_reader_language(town, operation, district_commander, api_for):
    payload = {"operation": operation.pk, "resident": 999999, "person_name": "某", "onset_on": "2022-03-27"}
    body = api_for(district_commander).post(
        "/api/v1/infections/", payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert body.status_code == 400
    assert body.json()["resident"] == ["未找到居民999999"]


@pytest.mark.parametrize(
    "query,param,english,chinese",
    [
        ("active_on=2026-02-30", "active_on", "“2026-02-30” is not a date (YYYY-MM-DD)", "2026-02-30"),
        ("operation=abc", "operation", "“abc” is not one of the choices you may pick", "abc"),
    ],
)
def test_bad_filter_values_are_named(district_commander, api_for, query, param, english, chinese):
    api = api_for(district_commander)
    en = api.get(f"/api/v1/control-areas/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert en.status_code == 400 and en.json() == {param: [english]}
    zh = api.get(f"/api/v1/control-areas/?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400 and chinese in zh.json()[param][0] and "有效" not in zh.json()[param][0]


def test_unknown_place_kind_is_named(town, operation, district_commander, api_for):
    payload = {
        "operation": operation.pk,
        "household": town["h4"].pk,
        "person_name": "孙七",
        "onset_on": "2022-03-27",
        "places": [{"code": "620103002001", "kind": "cinema"}],
    }
    body = api_for(district_commander).post(
        "/api/v1/infections/", payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert body.status_code == 400
    assert "“cinema”不是地点类型，可用：workplace（工作地）、visited（到访地）" in str(body.json()), body.json()
    english = api_for(district_commander).post("/api/v1/infections/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "“cinema” is not a place kind; send one of: workplace (Workplace), visited (Place visited)" in str(
        english.json()
    ), english.json()
