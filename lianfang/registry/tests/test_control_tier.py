"""Household pages show each household's control tier now (封控/管控/防范, zones.selectors): the list in a
constant number of queries, the detail page, in the page's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianfang.registry.services import household_create
from lianfang.zones.tests.conftest import QILIHE_START, put_in_force
from lianfang.zones.tests.conftest import operation as operation  # noqa: F401 (fixture)
from lianfang.zones.tests.conftest import rule_sets as rule_sets  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def areas(operation, population, qilihe, district_commander):  # noqa: F811
    """阳光小区 (h1, h2) sealed, the whole district a precaution area (h3 in 园林小区)."""
    day = QILIHE_START + dt.timedelta(days=1)
    put_in_force(district_commander, operation, "sealed", [population["compound_a"]], day=day)
    put_in_force(district_commander, operation, "precaution", [qilihe], day=day)


def _tiers(page) -> dict[int, str | None]:
    return {h.pk: (h.control_tier.key if h.control_tier else None) for h in page.context["households"]}


def test_list_shows_each_households_tier(areas, population, street_officer, client_for):
    page = client_for(street_officer).get(reverse("registry:my_households"))
    h1, h2, h3 = population["h1"].pk, population["h2"].pk, population["h3"].pk
    assert _tiers(page) == {h1: "sealed", h2: "sealed", h3: "precaution"}
    body = page.content.decode()  # zh-Hans by default
    assert body.count('data-tier="sealed">封控区<') == 2 and body.count('data-tier="precaution">防范区<') == 1
    assert "管控等级" in body
    # staff of a place see the place's households, not "my households" (new-user trial 13)
    assert "<h1>辖区住户</h1>" in body and "我的包联住户" not in body


def test_list_without_areas_shows_no_tier(population, street_officer, client_for):
    page = client_for(street_officer).get(reverse("registry:my_households"))
    assert set(_tiers(page).values()) == {None}


def test_list_queries_do_not_grow_with_households(areas, population, street_officer, client_for):
    client = client_for(street_officer)
    url = reverse("registry:my_households")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    for room in range(1, 11):
        household_create(actor=None, node=population["unit_a"], room=f"9{room:02}", contact_name="新户")
    with CaptureQueriesContext(connection) as thirteen:
        page = client.get(url)
    assert len(page.context["households"]) == 13
    assert set(_tiers(page).values()) == {"sealed", "precaution"}
    assert len(thirteen) == len(three)


def test_detail_shows_the_tier_in_english_too(areas, population, community_staff, client_for):
    client = client_for(community_staff)
    page = client.get(reverse("registry:household", args=[population["h1"].pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["household"].control_tier.key == "sealed"
    tier = page.content.decode().split('data-testid="control-tier"')[1].split("</p>")[0]
    assert "Control tier" in tier and 'data-tier="sealed"' in tier
    assert page.context["household"].control_tier.name_en in tier


def test_detail_separates_labels_and_values_with_the_languages_colon(areas, population, community_staff, client_for):
    """Trial 6: the household page read "管控等级: 封控区" and "联系人: …" (an ASCII colon in zh-Hans)."""
    client = client_for(community_staff)
    url = reverse("registry:household", args=[population["h1"].pk])
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<p data-testid="control-tier">管控等级：<span class="tag" data-tier="sealed">' in zh
    assert f"联系人：{population['h1'].contact_name or '—'} · " in zh
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<p data-testid="control-tier">Control tier: <span class="tag" data-tier="sealed">' in en
