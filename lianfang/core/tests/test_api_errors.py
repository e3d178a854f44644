"""API error answers are translated and never name a model: an out-of-scope or unknown id is DRF's
"Not found." in the caller's language (new-user trial: "No Household matches the given query.")."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_out_of_scope_and_unknown_ids_answer_not_found_translated(population, community_staff, api_for):
    api = api_for(community_staff)
    other = population["h3"].pk  # 上西园: outside 下西园's staff scope
    for url in (f"/api/v1/households/{other}/", "/api/v1/households/999999/"):
        zh = api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        en = api.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert (zh.status_code, zh.json()) == (404, {"detail": "未找到。"})
        assert (en.status_code, en.json()) == (404, {"detail": "Not found."})
    mine = api.get(f"/api/v1/households/{population['h1'].pk}/")
    assert mine.status_code == 200 and mine.json()["id"] == population["h1"].pk


def test_an_unknown_api_route_answers_json_and_a_page_route_the_page(population, community_staff, api_for, client):
    api = api_for(community_staff)
    zh = api.get("/api/v1/nonexistent/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = api.get("/api/v1/nonexistent/", HTTP_ACCEPT_LANGUAGE="en")
    assert (zh.status_code, zh["Content-Type"], zh.json()) == (404, "application/json", {"detail": "未找到。"})
    assert (en.status_code, en.json()) == (404, {"detail": "Not found."})
    page = client.get("/nonexistent/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "未找到" in page.content.decode() and "URLconf" not in page.content.decode()


def test_a_null_character_is_named_plainly(population, community_staff, client_for):
    """New-user trial 13: Django's zh-Hans reads “不允许是用空字符串” for a NUL in the input."""
    client = client_for(community_staff)
    zh = client.get("/registry/residents/", {"q": "张\x00三"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400 and "不能包含空字符（NUL）。" in zh.content.decode()
    assert "不允许是用空字符串" not in zh.content.decode()
    en = client.get("/registry/residents/", {"q": "张\x00三"}, HTTP_ACCEPT_LANGUAGE="en")
    assert en.status_code == 400 and "Null characters are not allowed." in en.content.decode()
