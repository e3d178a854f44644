"""The desk's look-up of people (name, pinyin initials, ID or phone) is audited once per request
through registry.services.record_search: action ``registry.search``, the query masked (never a
whole ID or phone number in the audit log), the number of people shown and where it was asked."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"  # 张三 (population fixture), in the round
PHONE = "13812345678"  # 张三's phone


def _searches():
    return list(AuditEntry.objects.filter(action="registry.search").order_by("id"))


def test_desk_name_search_by_id_number_is_audited_masked(desk, population, community_staff, client_for):
    url = reverse("screening:station_search", args=["desk", desk.pk])
    page = client_for(community_staff).get(url, {"q": ID_NUMBER})
    assert [p.name for p in page.context["people"]] == ["张三"]
    (entry,) = _searches()
    assert entry.actor == community_staff
    assert entry.detail == {
        "query": {"q": "1101**********002X"},
        "results": 1,
        "where": "page:screening.station_search",
    }
    text = json.dumps(entry.detail, ensure_ascii=False)
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text


def test_desk_search_by_phone_and_by_name(desk, population, community_staff, client_for):
    client = client_for(community_staff)
    url = reverse("screening:station_search", args=["desk", desk.pk])
    client.get(url, {"q": PHONE})
    client.get(url, {"q": "张"})  # 张三, 张小明 (下西园: the staff's community, in the round)
    by_phone, by_name = _searches()
    assert by_phone.detail == {"query": {"q": "138****5678"}, "results": 1, "where": "page:screening.station_search"}
    assert PHONE not in json.dumps(by_phone.detail)
    assert by_name.detail == {"query": {"q": "张"}, "results": 2, "where": "page:screening.station_search"}


def test_desk_page_and_empty_search_are_not_audited(desk, population, community_staff, client_for):
    client = client_for(community_staff)
    assert client.get(reverse("screening:station", args=["desk", desk.pk])).status_code == 200
    url = reverse("screening:station_search", args=["desk", desk.pk])
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "  "}).status_code == 200
    assert _searches() == []
