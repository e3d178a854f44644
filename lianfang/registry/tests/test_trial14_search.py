"""New-user trial 14 (registry search): a 60,000-character search text was a 500 on SQLite ("LIKE or
GLOB pattern too complex") on /registry/search/, /registry/residents/ and /api/v1/residents/: it is a
400 naming the parameter and the limit (core.filters.search_text / SearchFilter), neither searched
nor audited."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db
LONG = "张" * 60_000
LIMIT_EN = "a search text may have at most 100 characters."
LIMIT_ZH = "有 60000 个字符，搜索内容最多 100 个字符。"


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# over-long search text ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "param"), [("registry:search", "q"), ("registry:residents", "q")])
def test_an_over_long_search_text_on_a_page_is_a_400_naming_it(client_for, street_officer, population, name, param):
    response = in_english(client_for(street_officer)).get(reverse(name), {param: LONG})
    translation.activate("zh-hans")
    assert response.status_code == 400
    text = response.content.decode()
    assert f"<code>{param}</code>" in text
    assert "has 60000 characters; " + LIMIT_EN in text


def test_an_over_long_search_text_in_chinese(client_for, street_officer, population):
    response = client_for(street_officer).get(reverse("registry:search"), {"q": LONG})
    assert response.status_code == 400
    assert LIMIT_ZH in response.content.decode()


@pytest.mark.parametrize("param", ["search", "q"])
def test_an_over_long_search_text_in_the_api_is_a_400_naming_it(api_for, street_officer, population, param):
    response = api_for(street_officer).get("/api/v1/residents/", {param: LONG}, HTTP_ACCEPT_LANGUAGE="en")
    translation.activate("zh-hans")
    assert response.status_code == 400
    (message,) = response.json()[param]
    assert message.endswith("has 60000 characters; " + LIMIT_EN)


def test_a_search_text_at_the_limit_still_searches(client_for, api_for, street_officer, population):
    page = client_for(street_officer).get(reverse("registry:search"), {"q": "张" * 100})
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 0
    found = client_for(street_officer).get(reverse("registry:search"), {"q": "张三"})
    assert [r.name for r in found.context["page"].object_list] == ["张三"]
    api = api_for(street_officer).get("/api/v1/residents/", {"search": "张三"})
    assert api.status_code == 200
    assert [r["name"] for r in api.json()["results"]] == ["张三"]


def test_an_over_long_search_is_not_audited(client_for, street_officer, population):
    from lianfang.core.models import AuditEntry

    before = AuditEntry.objects.filter(action="registry.search").count()
    client_for(street_officer).get(reverse("registry:search"), {"q": LONG})
    assert AuditEntry.objects.filter(action="registry.search").count() == before
