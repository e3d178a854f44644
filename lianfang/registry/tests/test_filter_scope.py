"""Filters naming a row or a division out of the caller's scope answer 400 naming the parameter and
the value (registry.filtersets ScopedIdFilter / DivisionCodeFilter), like every other list API, and
give the same rows as before for values in scope."""

from __future__ import annotations

import pytest

HOUSEHOLDS = "/api/v1/households/"
RESIDENTS = "/api/v1/residents/"


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"), [("en", "is not the id of a household you may see"), ("zh-hans", "不是您可查看的住户的编号")]
)
def test_residents_of_another_communitys_household_is_400(population, community_staff, api_for, language, words):
    api = api_for(community_staff)
    foreign = population["h3"].pk
    response = api.get(RESIDENTS, {"household": foreign}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.json() == {"household": [f"“{foreign}” {words}" if language == "en" else f"“{foreign}”{words}"]}


@pytest.mark.django_db
def test_residents_of_a_household_in_scope_and_bad_ids(population, community_staff, api_for):
    api = api_for(community_staff)
    h1 = population["h1"]
    assert _ids(api.get(RESIDENTS, {"household": h1.pk})) == {population["张三"].pk, population["张小明"].pk}
    for value in ["999999", "0", "-1", "abc", str(2**63)]:  # nonexistent or not an id
        response = api.get(RESIDENTS, {"household": value}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, value
        assert list(response.json()) == ["household"] and value in response.json()["household"][0]


@pytest.mark.django_db
def test_households_by_another_communitys_compound_or_community_is_400(population, community_staff, api_for):
    api = api_for(community_staff)
    compound_b = population["compound_b"].code
    response = api.get(HOUSEHOLDS, {"compound": compound_b}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"compound": [f"“{compound_b}” is not the code of a compound you may see"]}
    response = api.get(HOUSEHOLDS, {"community": "620103001002"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"community": ["“620103001002” is not the code of a community you may see"]}
    response = api.get(HOUSEHOLDS, {"community": "62x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "62x" in response.json()["community"][0]
    # a compound code given as a community, and an unknown code, are not a community either
    assert api.get(HOUSEHOLDS, {"community": population["compound_a"].code}).status_code == 400
    assert api.get(HOUSEHOLDS, {"community": "620103001009"}).status_code == 400


@pytest.mark.django_db
def test_households_filters_in_scope_unchanged(population, community_staff, street_officer, api_for):
    api = api_for(community_staff)
    h1, h2, h3 = population["h1"].pk, population["h2"].pk, population["h3"].pk
    assert _ids(api.get(HOUSEHOLDS, {"compound": population["compound_a"].code})) == {h1, h2}
    assert _ids(api.get(HOUSEHOLDS, {"community": "620103001001"})) == {h1, h2}
    street = api_for(street_officer)
    assert _ids(street.get(HOUSEHOLDS, {"community": "620103001002"})) == {h3}
    assert _ids(street.get(HOUSEHOLDS, {"compound": population["compound_b"].code})) == {h3}
    assert _ids(street.get(HOUSEHOLDS)) == {h1, h2, h3}


@pytest.mark.django_db
def test_residents_page_answers_400_for_a_foreign_household(population, community_staff, client_for):
    client = client_for(community_staff)
    foreign = population["h3"].pk
    response = client.get("/registry/residents/", {"household": foreign}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f"“{foreign}” is not the id of a household you may see" in response.content.decode()
    response = client.get("/registry/residents/", {"household": population["h1"].pk})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 2
    assert 'type="number" name="household"' in response.content.decode()  # typed, not a list of households
