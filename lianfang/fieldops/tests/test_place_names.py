"""A screened person without a household (an inflow person, a contact known to a compound) is
located by the name of their place — “下西园社区 阳光小区” — not by a bare 15-digit division code
(new-user trial); the person page keeps the code as secondary information."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lianfang.divisions.selectors import place_name, place_names
from lianfang.fieldops import services

pytestmark = pytest.mark.django_db


def test_place_names_from_the_community_down(population):
    compound = population["compound_a"]
    assert place_name(compound.code) == "下西园社区 阳光小区"
    assert place_names(["620103001001", "620103", "99", ""]) == {
        "620103001001": "下西园社区",
        "620103": "七里河区",
        "99": "99",  # no such division: the code as it was
    }
    assert place_name("") == ""


@pytest.fixture
def inflow(population, community_staff):
    return services.screened_person_create(
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
    assert re.search(r'data-testid="person-place">([^<]*)<', html).group(1) == "下西园社区 阳光小区"
    assert re.search(r'data-testid="person-code">([^<]*)<', html).group(1) == population["compound_a"].code


def test_people_list_names_the_place(population, community_staff, client_for, inflow):
    response = client_for(community_staff).get(reverse("fieldops:people"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    [person] = [p for p in response.context["page"] if p.pk == inflow.pk]
    assert person.place == "下西园社区 阳光小区"
    assert f">{population['compound_a'].code}<" not in response.content.decode()
