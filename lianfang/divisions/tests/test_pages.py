"""Division pages show each listed division's control tier now (zones.selectors.tier_of_divisions)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def tiers(response) -> dict[str, tuple[str | None, str | None]]:
    """``{code: (tier key, stricter tier inside)}`` of the children listed on a division page."""
    return {
        child.code: (
            child.control_tier.key if child.control_tier else None,
            child.stricter_inside.key if child.stricter_inside else None,
        )
        for child, _ in response.context["rows"]
    }


def test_the_district_page_shows_each_streets_tier(
    areas_in_force, district_commander, client_for, django_assert_max_num_queries
):
    client = client_for(district_commander)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("divisions:detail", args=["620103"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    district = response.context["division"]
    assert (district.control_tier.key, district.stricter_inside.key) == ("precaution", "sealed")
    rows = tiers(response)
    assert len(rows) == 15
    assert rows["620103001"] == ("controlled", "sealed")  # the street's area, a sealed compound inside
    assert rows["620103002"] == ("precaution", None)  # the rest of the district
    html = response.content.decode()
    row = html.split('href="/divisions/620103001/"')[1].split("</tr>")[0]
    assert '<span class="tag" data-tier="controlled">管控区</span>' in row
    assert "内有封控区" in row and 'href="/zones/?within=620103001&amp;status=active"' in row
    other = html.split('href="/divisions/620103002/"')[1].split("</tr>")[0]
    assert '<span class="tag" data-tier="precaution">防范区</span>' in other and "内有" not in other
    assert "管控等级" in html


def test_a_community_page_in_english(areas_in_force, population, community_staff, client_for):
    response = client_for(community_staff).get(
        reverse("divisions:detail", args=["620103001001"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    community = response.context["division"]
    assert community.control_tier.key == "controlled"  # covered by the street's area
    assert tiers(response) == {population["compound_a"].code: ("sealed", None)}
    html = response.content.decode()
    header = html.split('data-testid="division-tier"')[1].split("</p>")[0]
    assert "Control tier" in header and "Controlled area" in header and "Sealed area inside" in header


def test_the_compound_page_shows_its_households_tiers(areas_in_force, population, community_staff, client_for):
    response = client_for(community_staff).get(reverse("divisions:detail", args=[population["compound_a"].code]))
    assert response.context["division"].control_tier.key == "sealed"
    assert response.context["division"].stricter_inside is None  # nothing stricter than sealed
    assert {h.pk: h.control_tier.key for h in response.context["households"]} == {
        population["h1"].pk: "sealed",
        population["h2"].pk: "sealed",
    }
    assert response.content.decode().count('data-tier="sealed"') == 1 + 1 + 2  # header, building, households


def test_no_area_in_force_shows_no_tier(population, community_staff, other_community_staff, client_for):
    response = client_for(community_staff).get(reverse("divisions:detail", args=["620103001001"]))
    assert response.context["division"].control_tier is None
    assert tiers(response) == {population["compound_a"].code: (None, None)}
    assert '<span class="muted" data-tier="">—</span>' in response.content.decode()


def test_the_index_shows_the_roots_tiers(areas_in_force, district_commander, other_community_staff, client_for):
    roots = client_for(district_commander).get(reverse("divisions:index")).context["roots"]
    assert [(d.code, d.control_tier.key, d.stricter_inside.key) for d in roots] == [("620103", "precaution", "sealed")]
    roots = client_for(other_community_staff).get(reverse("divisions:index")).context["roots"]
    assert [(d.code, d.control_tier.key, d.stricter_inside) for d in roots] == [("620103001002", "controlled", None)]


@pytest.mark.parametrize(
    ("name", "value"),
    [("parent", "abc"), ("parent", "99999999999999999999"), ("within", "99999999999999999999"), ("within", "abc")],
)
def test_divisions_api_bad_parent_or_within_is_400_naming_the_value(api_for, district_commander, name, value):
    from django.utils import translation

    with translation.override("zh-hans"):
        response = api_for(district_commander).get("/api/v1/divisions/", {name: value}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == [name]
    assert f"“{value}”" in response.json()[name][0]


def test_divisions_api_parent_in_scope_lists_its_children(api_for, district_commander):
    body = api_for(district_commander).get("/api/v1/divisions/", {"parent": "620103001"}).json()
    assert body["count"] > 0 and {row["parent"] for row in body["results"]} == {"620103001"}
