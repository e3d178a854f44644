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


@pytest.mark.django_db
@pytest.mark.parametrize("url", [HOUSEHOLDS, RESIDENTS, "/registry/residents/"])
def test_within_another_community_or_an_unknown_code_is_400_naming_it(
    population, community_staff, api_for, client_for, url
):
    """New-user trial: ``within=<another community>`` answered an empty list on the registry APIs."""
    api = api_for(community_staff) if url.startswith("/api/") else client_for(community_staff)
    for code in ("620103001002", population["compound_b"].code, "620103001001999", "620102"):
        en = api.get(url, {"within": code}, HTTP_ACCEPT_LANGUAGE="en")
        zh = api.get(url, {"within": code}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert (en.status_code, zh.status_code) == (400, 400), code
        if url.startswith("/api/"):
            assert en.json() == {"within": [f"“{code}” is not the code of a division you may see"]}
            assert zh.json() == {"within": [f"“{code}”不是您可查看的区划的代码"]}
        else:
            assert f"“{code}” is not the code of a division you may see" in en.content.decode()
    bad = api.get(url, {"within": "62x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "“62x” is not a division code" in bad.content.decode()


@pytest.mark.django_db
def test_within_in_scope_and_above_it_keeps_the_callers_rows(population, community_staff, api_for):
    api = api_for(community_staff)
    h1, h2 = population["h1"].pk, population["h2"].pk
    assert _ids(api.get(HOUSEHOLDS, {"within": population["compound_a"].code})) == {h1, h2}
    assert _ids(api.get(HOUSEHOLDS, {"within": "620103001"})) == {h1, h2}  # the street: their part of it
    assert _ids(api.get(HOUSEHOLDS, {"within": population["unit_a"].code})) == {h1}
    assert len(_ids(api.get(RESIDENTS, {"within": "620103001001"}))) == 4


@pytest.mark.django_db
def test_a_grid_worker_names_the_community_of_their_compound(population, api_for):
    import datetime as dt

    from lianfang.accounts.models import RoleAssignment, User

    grid = User.objects.create_user("grid-a")
    RoleAssignment.objects.create(
        user=grid, role="grid_worker", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    api = api_for(grid)
    h1, h2 = population["h1"].pk, population["h2"].pk
    assert _ids(api.get(HOUSEHOLDS, {"community": "620103001001"})) == {h1, h2}
    assert _ids(api.get(HOUSEHOLDS, {"within": "620103001001"})) == {h1, h2}
    assert api.get(HOUSEHOLDS, {"community": "620103001002"}).status_code == 400
    assert api.get(HOUSEHOLDS, {"within": population["compound_b"].code}).status_code == 400


@pytest.mark.django_db
def test_households_by_a_full_width_division_code(population, community_staff, api_for):
    """A code typed with a Chinese input method's full-width digits (６２０…) is read as the digits it
    is (core.filters.normalize_code); out of scope is still the same 400."""
    api = api_for(community_staff)
    h1, h2 = population["h1"].pk, population["h2"].pk
    wide_compound = population["compound_a"].code.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert _ids(api.get(HOUSEHOLDS, {"community": "６２０１０３００１００１"})) == {h1, h2}
    assert _ids(api.get(HOUSEHOLDS, {"compound": f"\u3000{wide_compound}"})) == {h1, h2}
    response = api.get(HOUSEHOLDS, {"community": "６２０１０３００１００２"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"community": ["“620103001002” is not the code of a community you may see"]}
