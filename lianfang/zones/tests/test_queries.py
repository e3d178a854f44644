"""Query parameters of the zones pages: a value that cannot be read is a 400 naming the parameter and
the value (in the reader's language), never silently ignored; a grid worker's ``within`` of their own
community is their own part; the upgrade service checks its caller itself."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lianfang.conftest import _user
from lianfang.core.models import AuditEntry
from lianfang.divisions.models import Division
from lianfang.zones import services
from lianfang.zones.models import ControlArea, ControlAreaEvent
from lianfang.zones.tests.conftest import at, d, infect, put_in_force

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def in_force(town, operation, district_commander):
    """The sealed compound 阳光小区, the controlled community 下西园 and the precaution district, in
    force from 27 March 2022 12:00."""
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    for area in result.proposals:
        services.control_area_approve(actor=district_commander, area=area, effective_from=at(d("2022-03-27"), 12))
    return {a.tier.key: a for a in result.proposals}


@pytest.fixture
def grid_worker(town):
    """A grid worker assigned to 阳光小区 (compound_a of 下西园 620103001001)."""
    return _user("grid", "grid_worker", town["compound_a"].code)


def bad_query_items(response) -> list[str]:
    """The ``<li>`` texts of the 400 page's list of bad parameters."""
    body = response.content.decode()
    assert 'data-testid="bad-query"' in body, body
    block = body.split('data-testid="bad-query">', 1)[1].split("</ul>", 1)[0]
    return [item.split("</li>", 1)[0] for item in block.split("<li>")[1:]]


@pytest.mark.parametrize(
    ("url", "query", "zh", "en"),
    [
        (
            "zones:tiers",
            {"day": "abc"},
            "日期（<code>day</code>）：“abc”不是日期（格式为 YYYY-MM-DD）",
            "Date (<code>day</code>): “abc” is not a date (YYYY-MM-DD)",
        ),
        (
            "zones:map",
            {"day": "2022-02-30"},
            "日期（<code>day</code>）：“2022-02-30”不是日期（格式为 YYYY-MM-DD）",
            "Date (<code>day</code>): “2022-02-30” is not a date (YYYY-MM-DD)",
        ),
        (
            "zones:index",
            {"active_on": "yesterday"},
            "生效日期（<code>active_on</code>）：“yesterday”不是日期（格式为 YYYY-MM-DD）",
            "In force on (<code>active_on</code>): “yesterday” is not a date (YYYY-MM-DD)",
        ),
        (
            "zones:infections",
            {"detected_after": "2022-13-01"},
            "发现日期不早于（<code>detected_after</code>）：“2022-13-01”不是日期（格式为 YYYY-MM-DD）",
            "Detected on or after (<code>detected_after</code>): “2022-13-01” is not a date (YYYY-MM-DD)",
        ),
        (
            "zones:tiers",
            {"within": "62x"},
            "所属区划代码（<code>within</code>）：“62x”不是区划代码（应为1至20位数字）",
            "Division code (<code>within</code>): “62x” is not a division code (1 to 20 digits)",
        ),
    ],
)
def test_a_bad_value_is_a_400_naming_parameter_and_value(in_force, district_commander, client_for, url, query, zh, en):
    client = client_for(district_commander)
    response = client.get(reverse(url), query, **ZH)
    assert response.status_code == 400
    assert bad_query_items(response) == [zh]
    response = client.get(reverse(url), query, **EN)
    assert response.status_code == 400
    assert bad_query_items(response) == [en]


def test_index_and_infections_answer_400_for_an_unknown_choice_or_operation(in_force, district_commander, client_for):
    client = client_for(district_commander)
    tier = client.get(reverse("zones:index"), {"tier": "purple"}, **EN)
    assert tier.status_code == 400
    assert bad_query_items(tier)[0].startswith("Tier (<code>tier</code>): ") and "purple" in bad_query_items(tier)[0]
    operation = client.get(reverse("zones:infections"), {"operation": "999999"}, **EN)
    assert operation.status_code == 400 and "999999" in bad_query_items(operation)[0]
    # good values still filter
    sealed = client.get(reverse("zones:index"), {"tier": "sealed", "active_on": "2022-03-28"})
    assert [row[0].tier.key for row in sealed.context["rows"]] == ["sealed"]


def test_map_data_answers_400_json_for_a_bad_day(in_force, district_commander, client_for):
    client = client_for(district_commander)
    response = client.get(reverse("zones:map_data"), {"day": "2022-3-28x"}, **ZH)
    assert response.status_code == 400
    assert response.json() == {"day": ["“2022-3-28x”不是日期（格式为 YYYY-MM-DD）"]}
    response = client.get(reverse("zones:map_data"), {"day": "2022-3-28x"}, **EN)
    assert response.json() == {"day": ["“2022-3-28x” is not a date (YYYY-MM-DD)"]}


def test_tiers_day_is_kept_in_the_drill_down_links(in_force, district_commander, client_for):
    response = client_for(district_commander).get(reverse("zones:tiers"), {"within": "620103001", "day": "2022-03-26"})
    assert response.status_code == 200
    assert 'href="?within=620103001001&amp;day=2022-03-26"' in response.content.decode()
    rows = {c.code: cells for c, cells in response.context["table"].rows}
    assert rows["620103001001"] == {None: {"households": 4, "residents": 7}}  # nothing in force on the 26th


def test_grid_worker_following_a_link_to_their_community_sees_their_own_part(in_force, town, grid_worker, client_for):
    client = client_for(grid_worker)
    response = client.get(reverse("zones:tiers"), {"within": "620103001001"})
    assert response.status_code == 200
    table = response.context["table"]
    assert response.context["parent"].code == "620103001001"
    # only their compound (幸福小区 of the same community is not theirs), every figure theirs only
    assert [
        (c.code, {t.key: n["residents"] for t in table.tiers for k, n in cells.items() if k == t.pk})
        for c, cells in table.rows
    ] == [(town["compound_a"].code, {"sealed": 4})]
    assert {t.key for t in table.tiers} == {"sealed"}
    assert response.context["crumbs"] == []  # no breadcrumb to a page they may not open
    # their compound itself, as before
    assert client.get(reverse("zones:tiers"), {"within": town["compound_a"].code}).status_code == 200
    # an unrelated community, the street, an unknown code: 400 naming the code, as the list pages
    for code in ("620103001002", "620103002001", "620103001999"):
        refused = client.get(reverse("zones:tiers"), {"within": code})
        assert refused.status_code == 400 and code in refused.content.decode(), code


def test_upgrade_propose_checks_its_caller(town, operation, district_commander, community_staff, street_officer):
    community = Division.objects.get(code="620103001001")
    controlled = put_in_force(district_commander, operation, "controlled", [community], day=d("2022-03-27"))
    areas, events, audit = ControlArea.objects.count(), ControlAreaEvent.objects.count(), AuditEntry.objects.count()
    with pytest.raises(PermissionDenied) as refused:
        services.control_area_upgrade_propose(actor=community_staff, area=controlled)
    assert str(refused.value) == "You may not declare and lift control areas in 西园街道 › 下西园社区."
    assert (ControlArea.objects.count(), ControlAreaEvent.objects.count(), AuditEntry.objects.count()) == (
        areas,
        events,
        audit,
    )
    # the street officer manages zones in their street: the proposal is made (and only once)
    upgrade = services.control_area_upgrade_propose(actor=street_officer, area=controlled)
    assert (upgrade.tier.key, upgrade.predecessor, upgrade.status) == ("sealed", controlled, "proposed")
    assert services.control_area_upgrade_propose(actor=None, area=controlled) == upgrade
    assert ControlArea.objects.count() == areas + 1
