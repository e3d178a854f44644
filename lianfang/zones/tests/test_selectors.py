"""Tier look-ups for other apps (households, residents, divisions), history of a day, counts."""

from __future__ import annotations

import pytest

from lianfang.divisions.models import Division
from lianfang.zones import selectors, services
from lianfang.zones.tests.conftest import at, d, infect

pytestmark = pytest.mark.django_db


@pytest.fixture
def areas(town, operation, district_commander, qilihe):
    """Sealed 阳光小区, controlled 下西园 (community), precaution Qilihe, all from 27 March 2022."""
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    for area in result.proposals:
        services.control_area_approve(actor=district_commander, area=area, effective_from=at(d("2022-03-27"), 12))
    return {a.tier.key: a for a in result.proposals}


def keys(mapping):
    return {k: (t.key if t else None) for k, t in mapping.items()}


def test_tier_of_households_strictest_wins(town, areas, django_assert_num_queries):
    ids = [town[h].pk for h in ("h1", "h2", "h3", "h4", "h5")]
    with django_assert_num_queries(3):
        tiers = selectors.tier_of_households(ids + [999_999])
    assert keys(tiers) == {
        town["h1"].pk: "sealed",
        town["h2"].pk: "sealed",
        town["h3"].pk: "precaution",
        town["h4"].pk: "controlled",
        town["h5"].pk: "controlled",
        999_999: None,
    }
    assert tiers[town["h1"].pk].pool_size == 1 and tiers[town["h4"].pk].pool_size == 10


def test_tier_history_of_a_chosen_day(town, areas, district_commander):
    h1 = town["h1"].pk
    assert selectors.tier_of_households([h1], on=d("2022-03-26")) == {h1: None}
    # In force from 12:00 on 27 March: the end of that day sees it.
    assert keys(selectors.tier_of_households([h1], on=d("2022-03-27"))) == {h1: "sealed"}
    assert keys(selectors.tier_of_households([h1], on=at(d("2022-03-27"), 11))) == {h1: None}
    services.control_area_lift(
        actor=district_commander, area=areas["sealed"], override_reason="测试：提前解封", at=at(d("2022-04-02"), 10)
    )
    assert keys(selectors.tier_of_households([h1], on=d("2022-04-01"))) == {h1: "sealed"}
    assert keys(selectors.tier_of_households([h1], on=d("2022-04-02"))) == {h1: "controlled"}


def test_many_ids_use_one_range_query(town, areas, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(selectors, "_ID_LIST_LIMIT", 2)
    ids = [town[h].pk for h in ("h1", "h3", "h4")]
    with django_assert_num_queries(3):
        tiers = selectors.tier_of_households(ids)
    assert keys(tiers) == {town["h1"].pk: "sealed", town["h3"].pk: "precaution", town["h4"].pk: "controlled"}
    residents = selectors.tier_of_residents([town["王五"].pk, town["张三"].pk])
    assert keys(residents) == {town["王五"].pk: "precaution", town["张三"].pk: "sealed"}


def test_tier_of_division_and_paths(town, areas):
    assert selectors.tier_of_division(town["unit_a"].code).key == "sealed"
    assert selectors.tier_of_division("620103001001").key == "controlled"  # covering, not the compound inside
    assert selectors.tier_of_division("620103002").key == "precaution"
    assert selectors.tier_of_division("6201") is None
    paths = selectors.tier_of_paths([town["unit_b"].code, town["compound_c"].code])
    assert keys(paths) == {town["unit_b"].code: "precaution", town["compound_c"].code: "controlled"}


def test_tier_of_divisions_with_the_stricter_tier_inside(town, areas, django_assert_num_queries):
    codes = ["6201", "620103", "620103001", "620103001001", town["compound_a"].code, town["unit_b"].code]
    with django_assert_num_queries(2):
        found = selectors.tier_of_divisions(codes)
    summary = {
        code: (t.tier.key if t.tier else None, t.stricter_inside.key if t.stricter_inside else None)
        for code, t in found.items()
    }
    assert summary == {
        "6201": (None, "sealed"),  # outside every area, areas inside it
        "620103": ("precaution", "sealed"),
        "620103001": ("precaution", "sealed"),
        "620103001001": ("controlled", "sealed"),  # the community's own tier, a sealed compound inside
        town["compound_a"].code: ("sealed", None),
        town["unit_b"].code: ("precaution", None),
    }
    assert selectors.tier_of_divisions(["620103"], on=d("2022-03-26")) == {
        "620103": selectors.DivisionTier(tier=None, stricter_inside=None)
    }


def test_active_areas_and_no_tier_without_areas(town, areas, qilihe):
    assert [a.tier.key for a in selectors.active_areas(qilihe)] == ["sealed", "controlled", "precaution"]
    assert selectors.active_areas("620103", on=d("2022-03-01")) == []


def test_counts_by_tier_per_community(town, areas, district_commander, community_staff, django_assert_max_num_queries):
    street = Division.objects.get(code="620103001")
    with django_assert_max_num_queries(7):  # scope, 2 areas, children, 2 counts, tiers
        table = selectors.counts_by_tier(user=district_commander, parent=street)
    assert [t.key for t in table.tiers] == ["sealed", "controlled", "precaution"]
    rows = {child.code: cells for child, cells in table.rows}
    sealed, controlled, precaution = (t.pk for t in table.tiers)
    assert rows["620103001001"] == {
        sealed: {"households": 2, "residents": 4},
        controlled: {"households": 2, "residents": 3},
    }
    assert rows["620103001002"] == {precaution: {"households": 1, "residents": 3}}
    assert table.totals[sealed] == {"households": 2, "residents": 4}
    # Scoped: the community staff see their community only.
    mine = selectors.counts_by_tier(user=community_staff, parent=street)
    assert [c.code for c, _ in mine.rows] == ["620103001001"]
    assert sum(cell["residents"] for cell in mine.totals.values()) == 7


def test_current_operation_and_population_without_areas(town, qilihe):
    assert selectors.current_operation(qilihe) is None
    assert selectors.population_of(["620103001001"]) == {"households": 4, "residents": 7}
    assert selectors.population_of([]) == {"households": 0, "residents": 0}
    assert selectors.tier_of_households([town["h1"].pk]) == {town["h1"].pk: None}
