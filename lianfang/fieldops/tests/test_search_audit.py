"""Every look-up of people in field operations — the gate's resident search (ID number, phone,
name, household QR code) and the screened-people list filtered by name, page and API — is audited
once per request through registry.services.record_search: action ``registry.search``, the query
masked (never a whole ID or phone number; a household QR token never either, see
test_pages.test_gate_page_finds_a_household_by_its_qr_code), the number of people found and where.
A plain list is no search and writes no entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEntry
from lianfang.fieldops.services.screened import screened_person_create

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"  # 张三 (population fixture)
PHONE = "13812345678"  # 张三's phone


def _searches():
    return list(AuditEntry.objects.filter(action="registry.search").order_by("id"))


def _assert_no_raw_numbers(entry):
    text = json.dumps(entry.detail, ensure_ascii=False)
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text and PHONE not in text


@pytest.fixture
def inflow(population, community_staff):
    """Two inflow people of 下西园: 赵丽 and 张三 (names from their resident rows)."""
    return [
        screened_person_create(
            actor=community_staff,
            district=population["h1"].district,
            category="inflow",
            name="",
            resident=population[name],
            origin="上海市",
            arrived_on=dt.date(2026, 11, 25),
        )
        for name in ("赵丽", "张三")
    ]


def test_gate_search_by_id_number_and_phone_is_audited_masked(areas, gates, guard, population, client_for):
    client = client_for(guard.user)
    url = reverse("fieldops:gate", args=[gates["north"].pk])
    assert [r.name for r in client.get(url, {"q": ID_NUMBER}).context["found"]] == ["张三"]
    assert [r.name for r in client.get(url, {"q": PHONE}).context["found"]] == ["张三"]
    by_id, by_phone = _searches()
    assert by_id.actor == guard.user
    assert by_id.detail == {"query": {"q": "1101**********002X"}, "results": 1, "where": "page:fieldops.gate"}
    assert by_phone.detail == {"query": {"q": "138****5678"}, "results": 1, "where": "page:fieldops.gate"}
    _assert_no_raw_numbers(by_id)
    _assert_no_raw_numbers(by_phone)


def test_gate_page_without_a_search_is_not_audited(areas, gates, guard, client_for):
    client = client_for(guard.user)
    url = reverse("fieldops:gate", args=[gates["north"].pk])
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "   "}).status_code == 200
    assert _searches() == []


def test_people_page_search_is_audited_once_and_a_plain_list_not(inflow, community_staff, client_for):
    client = client_for(community_staff)
    url = reverse("fieldops:people")
    assert client.get(url).context["page"].paginator.count == 2
    assert client.get(url, {"q": "", "category": "inflow"}).status_code == 200  # the filter form, no name
    assert _searches() == []
    page = client.get(url, {"q": "赵"})
    assert [p.name for p in page.context["page"]] == ["赵丽"]
    (entry,) = _searches()
    assert entry.actor == community_staff
    assert entry.detail == {"query": {"q": "赵"}, "results": 1, "where": "page:fieldops.people"}


def test_people_page_search_by_a_number_is_masked(inflow, community_staff, client_for):
    page = client_for(community_staff).get(reverse("fieldops:people"), {"q": PHONE})
    assert page.context["page"].paginator.count == 0  # ``q`` is a name filter
    (entry,) = _searches()
    assert entry.detail == {"query": {"q": "138****5678"}, "results": 0, "where": "page:fieldops.people"}
    _assert_no_raw_numbers(entry)


def test_people_api_search_is_audited_once_and_a_plain_list_not(inflow, community_staff, api_for):
    api = api_for(community_staff)
    url = reverse("api:fieldops-person-list")
    assert api.get(url).json()["count"] == 2
    assert api.get(url, {"category": "inflow"}).json()["count"] == 2
    assert _searches() == []
    body = api.get(url, {"q": "张"}).json()
    assert [p["id"] for p in body["results"]] == [inflow[1].pk]
    (entry,) = _searches()
    assert entry.actor == community_staff
    assert entry.detail == {"query": {"q": "张"}, "results": 1, "where": "api:fieldops-people"}
    assert api.get(url, {"q": "张", "within": "abc"}).status_code == 400  # refused: nothing searched
    assert len(_searches()) == 1
