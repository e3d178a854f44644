"""A request body the API cannot read and a ``page`` it cannot serve are answered in the caller's
language, naming what is wrong (new-user trial: DRF's English "JSON parse error - Expecting value: line 1
column 10 (char 9)" and "Invalid page." for ``page=abc``)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db

CREATES = [
    "/api/v1/service-requests/",
    "/api/v1/screening/rounds/",
    "/api/v1/infections/",
    "/api/v1/fieldops/passages/",
    "/api/v1/fieldops/notices/",
    "/api/v1/reports/daily/close/",
]


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _post(api, url, body, lang, content_type="application/json"):
    return api.post(
        url, data=body, content_type=content_type, HTTP_ACCEPT_LANGUAGE=lang, HTTP_IDEMPOTENCY_KEY="cr-parse-0001"
    )


@pytest.mark.parametrize("url", CREATES)
def test_malformed_json_on_every_create_is_a_translated_400(population, district_commander, api_for, url):
    api = api_for(district_commander)
    zh = _post(api, url, '{"room": ', "zh-hans")
    en = _post(api, url, '{"room": ', "en")
    assert (zh.status_code, zh.json()) == (400, {"detail": "请求正文不是有效的 JSON：第 1 行第 10 列应为一个值。"})
    assert (en.status_code, en.json()) == (
        400,
        {"detail": "The request body is not valid JSON: a value is expected at line 1, column 10."},
    )


@pytest.mark.parametrize(
    ("body", "zh", "en"),
    [
        (
            "{room: 1}",
            "第 1 行第 2 列应为双引号括起的字段名",
            "a field name in double quotes is expected at line 1, column 2",
        ),
        (
            '{"a": 1}\n x',
            "第 2 行第 2 列JSON 值结束后还有多余的文字",
            "there is more text after the end of the JSON value at line 2, column 2",
        ),
        ('{"a" 1}', "第 1 行第 6 列应为“:”", "“:” is expected at line 1, column 6"),
        ('{"a": "x', "第 1 行第 7 列开始的字符串没有结束", "a string starting here is not closed at line 1, column 7"),
    ],
)
def test_each_json_mistake_is_named(population, district_commander, api_for, body, zh, en):
    api = api_for(district_commander)
    assert _post(api, CREATES[0], body, "zh-hans").json() == {"detail": f"请求正文不是有效的 JSON：{zh}。"}
    assert _post(api, CREATES[0], body, "en").json() == {"detail": f"The request body is not valid JSON: {en}."}


def test_nan_bytes_and_multipart_are_named(population, district_commander, api_for):
    api = api_for(district_commander)
    url = CREATES[0]
    nan = _post(api, url, '{"a": NaN}', "en")
    assert (nan.status_code, nan.json()) == (
        400,
        {"detail": "The request body is not valid JSON: NaN and Infinity are not JSON numbers."},
    )
    assert _post(api, url, b'{"a": "\xff"}', "zh-hans").json() == {
        "detail": "请求正文不是有效的 JSON：它不是 utf-8 编码的文本。"
    }
    broken = _post(api, url, b"--x\r\n", "zh-hans", content_type="multipart/form-data")
    assert (broken.status_code, broken.json()) == (400, {"detail": "请求正文不是有效的 multipart 表单。"})


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "１"])
def test_a_page_that_is_not_a_number_is_a_400_naming_page_and_value(population, community_staff, api_for, value):
    api = api_for(community_staff)
    for url in ("/api/v1/households/", "/api/v1/residents/", "/api/v1/divisions/"):
        zh = api.get(url, {"page": value}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        en = api.get(url, {"page": value}, HTTP_ACCEPT_LANGUAGE="en")
        assert (zh.status_code, zh.json()) == (400, {"page": [f"“{value}”不是页码（应为从 1 起的整数）"]})
        assert (en.status_code, en.json()) == (
            400,
            {"page": [f"“{value}” is not a page number (a whole number from 1 up)"]},
        )


def test_a_page_past_the_last_is_a_404_naming_it_and_the_last_page(population, community_staff, api_for):
    api = api_for(community_staff)
    zh = api.get("/api/v1/residents/", {"page": "999999", "page_size": "2"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = api.get("/api/v1/residents/", {"page": "999999", "page_size": "2"}, HTTP_ACCEPT_LANGUAGE="en")
    # 下西园: 4 residents, 2 a page → 2 pages
    assert (zh.status_code, zh.json()) == (404, {"detail": "没有第 999999 页（参数 page）：最后一页是第 2 页。"})
    assert (en.status_code, en.json()) == (
        404,
        {"detail": "There is no page 999999 (the “page” parameter): the last page is 2."},
    )
    last = api.get("/api/v1/residents/", {"page": "2", "page_size": "2"})
    assert last.status_code == 200 and len(last.json()["results"]) == 2 and last.json()["next"] is None
    assert api.get("/api/v1/residents/", {"page": "last", "page_size": "2"}).json() == last.json()
    assert api.get("/api/v1/residents/", {"page": ""}).json()["count"] == 4
