"""A screened person without a household (an inflow person, a contact known to a compound) is
located by the name of their place — “下西园社区 › 阳光小区”, divisions.selectors.place_names below
the street — not by a bare 15-digit division code (new-user trial); the person page keeps the code as
secondary information."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianfang.fieldops.services.screened import screened_person_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def inflow(population, community_staff):
    return screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="何三",
        division=population["compound_a"],
        address="3号楼门口",
        origin="北京市",
    )


def test_person_page_names_the_place_and_keeps_the_code_aside(population, community_staff, client_for, inflow):
    html = client_for(community_staff).get(reverse("fieldops:person", args=[inflow.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    assert re.search(r'data-testid="person-place">([^<]*)<', html).group(1) == "下西园社区 › 阳光小区"
    assert re.search(r'data-testid="person-code">([^<]*)<', html).group(1) == population["compound_a"].code


def test_people_list_names_the_place(population, community_staff, client_for, inflow):
    response = client_for(community_staff).get(reverse("fieldops:people"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    [person] = [p for p in response.context["page"] if p.pk == inflow.pk]
    assert person.place == "下西园社区 › 阳光小区"
    assert f">{population['compound_a'].code}<" not in response.content.decode()


def test_people_list_names_places_in_one_query_however_many(population, community_staff, client_for, inflow):
    client = client_for(community_staff)
    with CaptureQueriesContext(connection) as one_place:
        client.get(reverse("fieldops:people"))
    community = population["compound_a"].parent
    for n, division in enumerate((community, community, population["compound_a"])):
        screened_person_create(
            actor=community_staff,
            district=community.district,
            category="inflow",
            name=f"何{n}",
            division=division,
            address="门口",
            origin="北京市",
        )
    with CaptureQueriesContext(connection) as more_places:
        response = client.get(reverse("fieldops:people"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert {p.place for p in response.context["page"]} == {"下西园社区 › 阳光小区", "下西园社区"}
    assert len(more_places) == len(one_place)
