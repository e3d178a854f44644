"""API: /api/v1/rule-sets/, /api/v1/infections/, /api/v1/control-areas/ — scope, filters, writes."""

from __future__ import annotations

import pytest

from lianfang.zones import services
from lianfang.zones.models import AreaStatus, ControlArea
from lianfang.zones.tests.conftest import at, d, infect

pytestmark = pytest.mark.django_db


@pytest.fixture
def areas(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    by_tier = {a.tier.key: a for a in result.proposals}
    for key in ("sealed", "precaution"):
        services.control_area_approve(actor=district_commander, area=by_tier[key], effective_from=at(d("2022-03-27")))
    return by_tier


def test_outsider_sees_nothing(areas, outsider, api_for):
    api = api_for(outsider)
    for url in ("/api/v1/rule-sets/", "/api/v1/infections/", "/api/v1/control-areas/"):
        response = api.get(url)
        assert response.status_code == 200 and response.json()["count"] == 0, url
    assert api.get(f"/api/v1/control-areas/{areas['sealed'].pk}/").status_code == 404
    assert api.get(f"/api/v1/control-areas/{areas['sealed'].pk}/clock/").status_code == 404
    assert api.get(f"/api/v1/infections/{areas['sealed'].infection_id}/").status_code == 404
    assert api.get("/api/v1/rule-sets/nhc-8th-era/").status_code == 404


def test_rule_sets(areas, community_staff, api_for):
    api = api_for(community_staff)
    body = api.get("/api/v1/rule-sets/nhc-9th/").json()
    assert [t["key"] for t in body["tiers"]] == ["high", "medium", "low"]
    assert body["quarantine"]["close"]["centralized_test_days"] == [1, 2, 3, 5, 7]
    high = body["tiers"][0]
    assert high["lift_rules"][0]["to_tier"] == "medium" and high["pool_size"] == 1
    assert api.get("/api/v1/rule-sets/?shipped=true").json()["count"] == 3


def test_control_areas_scoped_and_filtered(areas, district_commander, community_staff, other_community_staff, api_for):
    api = api_for(district_commander)
    listing = api.get("/api/v1/control-areas/").json()
    assert [a["tier"] for a in listing["results"]] == ["sealed", "controlled", "precaution"]
    sealed = listing["results"][0]
    assert sealed["nodes"] == [areas["sealed"].nodes.get().code] and sealed["status"] == "active"
    assert api.get("/api/v1/control-areas/?tier=controlled").json()["results"][0]["status"] == "proposed"
    assert api.get("/api/v1/control-areas/?status=active").json()["count"] == 2
    assert api.get("/api/v1/control-areas/?within=620103001001").json()["count"] == 2
    assert api.get("/api/v1/control-areas/?covers=620103001002").json()["count"] == 1  # the precaution area
    assert api.get("/api/v1/control-areas/?active_on=2022-03-27").json()["count"] == 2
    assert api.get("/api/v1/control-areas/?active_on=2022-03-26").json()["count"] == 0
    assert api.get("/api/v1/control-areas/?within=abc").status_code == 400
    # Community staff see the areas inside their community and the district's precaution area covering
    # it (in force); another community sees the precaution area only (not the proposal, not the compound).
    mine = api_for(community_staff).get("/api/v1/control-areas/").json()
    assert [a["tier"] for a in mine["results"]] == ["sealed", "controlled", "precaution"]
    other = api_for(other_community_staff).get("/api/v1/control-areas/").json()
    assert [a["id"] for a in other["results"]] == [areas["precaution"].pk]


def test_control_area_list_query_budget(areas, district_commander, api_for, django_assert_max_num_queries):
    api = api_for(district_commander)
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/control-areas/")
    assert response.json()["count"] == 3


def test_clock_endpoint(areas, district_commander, api_for):
    body = api_for(district_commander).get(f"/api/v1/control-areas/{areas['sealed'].pk}/clock/").json()
    assert body["last_infection_on"] == "2022-03-27"
    assert [c["code"] for c in body["conditions"]] == ["quiet_days", "round", "contacts"]
    assert body["conditions"][0]["met"] is True and body["conditions"][1]["met"] is None
    assert body["ready"] is False


def test_enter_an_infection(town, operation, district_commander, community_staff, api_for):
    payload = {
        "operation": operation.pk,
        "household": town["h4"].pk,
        "person_name": "孙七",
        "positive_sample_on": "2022-03-28",
        "places": [{"code": "620103002001", "kind": "workplace"}],
    }
    response = api_for(district_commander).post("/api/v1/infections/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["infection"]["residence"] == town["units_c"][0].code
    assert body["infection"]["places"] == [{"code": "620103002001", "kind": "workplace", "visited_on": None}]
    proposals = ControlArea.objects.filter(pk__in=body["proposals"])
    assert {a.tier.key for a in proposals} == {"sealed", "controlled", "precaution"}
    assert all(a.status == AreaStatus.PROPOSED for a in proposals)
    # Bad input names the field; community staff cannot manage zones.
    bad = api_for(district_commander).post(
        "/api/v1/infections/", {**payload, "positive_sample_on": "2031-01-01"}, format="json"
    )
    assert bad.status_code == 400 and "positive_sample_on" in bad.json()
    assert api_for(community_staff).post("/api/v1/infections/", payload, format="json").status_code == 403
    assert api_for(district_commander).get("/api/v1/infections/?within=620103001001").json()["count"] == 1
    assert api_for(district_commander).get("/api/v1/infections/?within=620103001002").json()["count"] == 0


@pytest.mark.parametrize("url", ["/api/v1/control-areas/?covers=abc", "/api/v1/control-areas/?covers=６２０Ｘ"])
def test_a_code_that_is_not_digits_is_a_400_naming_the_parameter(url, areas, district_commander, api_for):
    response = api_for(district_commander).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    name, value = url.split("?")[1].split("=")
    shown = "620X" if value == "６２０Ｘ" else value  # named as read (NFKC), like within
    assert response.json() == {name: [f"“{shown}” is not a division code (1 to 20 digits)"]}


def test_a_covers_of_full_width_digits_reads_as_the_code(areas, district_commander, api_for):
    """``covers`` reads its code with core.filters.CodeField like ``within`` (６２０１０３… was a 400)."""
    api = api_for(district_commander)
    full_width = api.get("/api/v1/control-areas/?covers=６２０１０３００１００１")
    assert full_width.status_code == 200
    assert full_width.json()["count"] == 2  # controlled, precaution: as covers=620103001001
    assert full_width.json() == api.get("/api/v1/control-areas/?covers=620103001001").json()


def test_a_within_of_full_width_digits_reads_as_the_code(areas, district_commander, api_for):
    """core.filters.CodeField normalises ``within`` with NFKC (new-user trial: ６２０１０３ was refused)."""
    api = api_for(district_commander)
    assert (
        api.get("/api/v1/control-areas/?within=６２０１０３").json()
        == api.get("/api/v1/control-areas/?within=620103").json()
    )


def test_ascii_codes_of_any_level_filter(areas, district_commander, api_for):
    api = api_for(district_commander)
    assert api.get("/api/v1/control-areas/?within=62").json()["count"] == 3  # the province: 1-20 digits
    assert api.get("/api/v1/control-areas/?within=6").status_code == 400  # no division: not an empty list
    assert api.get("/api/v1/control-areas/?covers=620103001001").json()["count"] == 2  # controlled, precaution
    assert api.get("/api/v1/infections/?within=620103001001").json()["count"] == 1
    assert api.get("/api/v1/infections/?within=620103001002").json()["count"] == 0
