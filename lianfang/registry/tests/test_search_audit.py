"""Every look-up of people by name, ID or phone is audited once (action ``registry.search``), with the
query masked — never a whole ID or phone number in the audit log — and the number of rows found."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEntry
from lianfang.registry.services import mask_query

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"  # 张三 (population fixture)
PHONE = "13812345678"


def _searches():
    return list(AuditEntry.objects.filter(action="registry.search").order_by("id"))


def _assert_no_raw_numbers(entry):
    text = json.dumps(entry.detail, ensure_ascii=False)
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text and PHONE not in text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (ID_NUMBER, "1101**********002X"),
        ("110105 1949 1231 002x", "1101**********002X"),
        (PHONE, "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("张三 13812345678", "张三 138****5678"),
        ("张三", "张三"),
        ("zs", "zs"),
        ("5678", "5678"),
        ("002X", "002X"),
    ],
)
def test_mask_query(text, masked):
    assert mask_query(text) == masked


def test_search_page_by_id_number(population, community_staff, client_for):
    page = client_for(community_staff).get(reverse("registry:search"), {"q": ID_NUMBER})
    assert [r.name for r in page.context["page"]] == ["张三"]
    (entry,) = _searches()
    assert entry.actor == community_staff
    assert entry.detail == {"query": {"q": "1101**********002X"}, "results": 1, "where": "page:registry.search"}
    _assert_no_raw_numbers(entry)


def test_search_page_without_query_is_not_audited(population, community_staff, client_for):
    client_for(community_staff).get(reverse("registry:search"))
    client_for(community_staff).get(reverse("registry:search"), {"q": "  "})
    assert _searches() == []


def test_resident_list_search_is_audited_once(population, community_staff, client_for):
    client = client_for(community_staff)
    page = client.get(reverse("registry:residents"), {"q": "张", "search": "张", "phone": PHONE})
    assert [r.name for r in page.context["page"]] == ["张三"]
    (entry,) = _searches()
    assert entry.detail == {
        "query": {"q": "张", "search": "张", "phone": "138****5678"},
        "results": 1,
        "where": "page:registry.residents",
    }
    _assert_no_raw_numbers(entry)
    client.get(reverse("registry:residents"), {"flag": "pregnant"})  # a filter, not a look-up of people
    assert len(_searches()) == 1


def test_api_search_is_audited_once(population, community_staff, api_for):
    api = api_for(community_staff)
    body = api.get("/api/v1/residents/", {"id_number": ID_NUMBER}).json()
    assert [r["id"] for r in body["results"]] == [population["张三"].pk]
    body = api.get("/api/v1/residents/", {"q": "张"}).json()
    assert body["count"] == 2  # 张三, 张小明
    first, second = _searches()
    assert first.detail == {"query": {"id_number": "1101**********002X"}, "results": 1, "where": "api:residents"}
    assert second.detail == {"query": {"q": "张"}, "results": 2, "where": "api:residents"}
    _assert_no_raw_numbers(first)
    api.get("/api/v1/residents/")  # a plain list
    assert api.get("/api/v1/residents/", {"phone": "12"}).status_code == 400  # nothing returned
    assert len(_searches()) == 2


def test_out_of_scope_search_counts_nothing(population, other_community_staff, client_for):
    page = client_for(other_community_staff).get(reverse("registry:search"), {"q": PHONE})
    assert page.context["page"].paginator.count == 0
    (entry,) = _searches()
    assert entry.detail["results"] == 0 and entry.detail["query"] == {"q": "138****5678"}


def test_a_search_shows_on_the_commanders_audit_page(population, community_staff, district_commander, client_for):
    """The entry carries the searcher's division, so the command centre's scoped audit page lists it
    and can filter by it (second new-user trial: searches had no division and never showed)."""
    client_for(community_staff).get(reverse("registry:residents"), {"q": "张三"})
    entry = _searches()[-1]
    assert entry.division_code == "620103001001"
    page = client_for(district_commander).get(reverse("core:audit_log"), {"action": "registry.search"})
    assert page.status_code == 200
    assert [row[0].pk for row in page.context["rows"]] == [entry.pk]
