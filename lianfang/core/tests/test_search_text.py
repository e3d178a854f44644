"""A search text (``q``) longer than core.filters.SEARCH_MAX_LENGTH is a 400 naming the parameter and
the limit, never a 500 (new-user trial 14: ``/fieldops/people/?q=`` with 60,000 characters made
SQLite's LIKE fail with "LIKE or GLOB pattern too complex")."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from lianfang.core.filters import SEARCH_MAX_LENGTH, BadQuery, SearchField, search_text

LONG = "张" * 60_000


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests with Accept-Language: en leave English active in this thread; restore it after."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_search_text_strips_and_passes_a_short_text():
    assert search_text("  张三 ") == "张三"
    assert search_text(None) == ""
    assert search_text("x" * SEARCH_MAX_LENGTH) == "x" * SEARCH_MAX_LENGTH


def test_search_text_refuses_a_long_text_naming_the_parameter_and_the_limit():
    with translation.override("en"):
        with pytest.raises(BadQuery) as caught:
            search_text("x" * 101, name="query")
        assert caught.value.errors == {
            "query": ["“" + "x" * 40 + "…” has 101 characters; a search text may have at most 100 characters."]
        }
        assert str(caught.value.errors.labels["query"]) == "Search text"
    with translation.override("zh-hans"), pytest.raises(BadQuery) as caught:
        search_text("x" * 101)
    assert caught.value.errors["q"] == ["“" + "x" * 40 + "…” 有 101 个字符，搜索内容最多 100 个字符。"]


def test_search_text_refuses_a_nul_character():
    with translation.override("en"), pytest.raises(BadQuery) as caught:
        search_text("张\x00三")
    assert list(caught.value.errors) == ["q"]


def test_search_field_refuses_a_long_text_with_the_same_message():
    field = SearchField(required=False, max_length=5)
    assert field.clean(" abc ") == "abc"
    with translation.override("en"), pytest.raises(Exception) as caught:  # noqa: PT011
        field.clean("abcdef")
    assert caught.value.messages == ["“abcdef” has 6 characters; a search text may have at most 5 characters."]


@pytest.mark.parametrize(
    "url",
    [
        "/fieldops/people/",
        "/api/v1/fieldops/people/",
        "/workforce/workers/",
        "/api/v1/workers/",
    ],
)
def test_long_search_is_400_naming_q_and_the_limit(client_for, district_commander, url):
    client = client_for(district_commander)
    client.raise_request_exception = False
    response = client.get(url, {"q": LONG}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, (url, response.content[:300])
    text = response.content.decode()
    assert "has 60000 characters; a search text may have at most 100 characters." in text
    assert "q" in text and LONG[:41] not in text  # the value is quoted cut, not echoed whole
    if url == "/fieldops/people/":
        assert "Name contains (<code>q</code>)" in text
    if url == "/workforce/workers/":
        assert "Name or pinyin initials (q)" in text
