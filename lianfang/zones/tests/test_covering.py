"""Areas declared above a community are read by its staff, never changed by them (models.visible_to).

下西园 (620103001001) and 上西园 (620103001002) are communities of 西园街道 (620103001); 西湖街道
(620103002) is a sibling street with its community 620103002001.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lianfang.divisions.models import Division
from lianfang.zones import services
from lianfang.zones.models import AreaStatus, ControlArea, ControlAreaEvent, ManualEvidence
from lianfang.zones.tests.conftest import QILIHE_START, at, put_in_force, tier

pytestmark = pytest.mark.django_db

DAY = QILIHE_START + dt.timedelta(days=1)


@pytest.fixture
def areas(town, qilihe, operation, district_commander):
    """In force: the district's precaution area, a controlled area over 西园街道, a sealed area over
    one compound of each of its two communities (path: the street) and a controlled area over the
    sibling street 西湖街道; proposed: a sealed area over 西园街道."""
    street = Division.objects.get(code="620103001")
    sibling = Division.objects.get(code="620103002")
    return {
        "precaution": put_in_force(district_commander, operation, "precaution", [qilihe], day=DAY),
        "street": put_in_force(district_commander, operation, "controlled", [street], day=DAY),
        "spanning": put_in_force(
            district_commander, operation, "sealed", [town["compound_a"], town["compound_b"]], day=DAY
        ),
        "sibling": put_in_force(district_commander, operation, "controlled", [sibling], day=DAY),
        "proposal": services.control_area_declare(
            actor=district_commander, operation=operation, tier=tier(operation, "sealed"), nodes=[street], at=at(DAY)
        ),
    }


def _user(username: str, role: str, code: str):
    from lianfang.conftest import _user as make

    return make(username, role, code)


@pytest.fixture
def sibling_community_staff(qilihe):
    """Staff of 620103002001, a community of the sibling street 西湖街道."""
    return _user("xihu-staff", "community_staff", "620103002001")


@pytest.fixture
def grid_worker(town):
    """A grid worker assigned to 阳光小区 (a compound of 下西园)."""
    return _user("grid", "grid_worker", town["compound_a"].code)


def test_areas_above_a_community_are_visible_to_its_staff(
    areas, community_staff, other_community_staff, grid_worker, sibling_community_staff, street_officer
):
    visible = {
        user: set(ControlArea.objects.visible_to(user).values_list("pk", flat=True))
        for user in (community_staff, other_community_staff, grid_worker, sibling_community_staff, street_officer)
    }
    ids = {key: area.pk for key, area in areas.items()}
    covering = {ids["precaution"], ids["street"], ids["spanning"]}
    assert visible[community_staff] == covering
    assert visible[other_community_staff] == covering  # the street covers each of its communities
    assert visible[grid_worker] == covering  # an area over the compound's community, street, district
    assert visible[sibling_community_staff] == {ids["precaution"], ids["sibling"]}
    # the street's officer sees every area of the street, the proposal included, and the district's
    assert visible[street_officer] == covering | {ids["proposal"]}


def test_community_staff_read_the_street_area_on_the_page_and_the_api(areas, community_staff, client_for, api_for):
    street = areas["street"]
    page = client_for(community_staff).get(reverse("zones:area", args=[street.pk]))
    assert page.status_code == 200
    assert page.context["can_manage"] is False and page.context["can_override"] is False
    assert "change_form" not in page.context and "evidence_form" not in page.context
    assert reverse("zones:area_lift", args=[street.pk]) not in page.content.decode()
    event = street.events.get(kind="approved")
    assert client_for(community_staff).get(reverse("zones:notice", args=[street.pk, event.pk])).status_code == 200

    api = api_for(community_staff)
    body = api.get(f"/api/v1/control-areas/{street.pk}/").json()
    assert body["tier"] == "controlled" and body["path"] == "620103001" and body["nodes"] == ["620103001"]
    assert api.get(f"/api/v1/control-areas/{street.pk}/clock/").status_code == 200
    assert api.get(f"/api/v1/control-areas/{areas['proposal'].pk}/").status_code == 404  # a proposal above


def test_community_staff_cannot_change_the_street_area(areas, community_staff, client_for, api_for):
    street = areas["street"]
    events = ControlAreaEvent.objects.filter(area=street).count()
    client = client_for(community_staff)
    for name in ("area_approve", "area_withdraw", "area_nodes", "area_lift", "area_downgrade", "area_evidence"):
        response = client.post(
            reverse(f"zones:{name}", args=[street.pk]),
            {"reason": "x", "note": "x", "override_reason": "x", "nodes": ["620103001001"], "kind": "round"},
        )
        assert response.status_code == 403, name
    api = api_for(community_staff)
    url = f"/api/v1/control-areas/{street.pk}/"
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api, method)(url, {"status": "lifted"}, format="json").status_code in (403, 405), method
    for action in ("lift", "downgrade", "approve", "withdraw", "clock"):
        assert api.post(f"{url}{action}/", {"reason": "x"}, format="json").status_code in (403, 404, 405), action
    street.refresh_from_db()
    assert street.status == AreaStatus.ACTIVE and street.ended_at is None
    assert ControlAreaEvent.objects.filter(area=street).count() == events
    assert not ManualEvidence.objects.filter(area=street).exists()


def test_services_refuse_a_reader_without_the_capability_at_the_areas_place(
    areas, community_staff, street_officer, district_commander
):
    """The street officer manages zones in the street, yet only reads the district's precaution area."""
    precaution, street = areas["precaution"], areas["street"]
    community = Division.objects.get(code="620103001001")
    for actor, area in ((community_staff, street), (street_officer, precaution), (community_staff, precaution)):
        assert ControlArea.objects.visible_to(actor).filter(pk=area.pk).exists()
        with pytest.raises(PermissionDenied):
            services.control_area_lift(actor=actor, area=area, override_reason="x")
        with pytest.raises(PermissionDenied):
            services.control_area_downgrade(actor=actor, area=area, override_reason="x")
        with pytest.raises(PermissionDenied):
            services.manual_evidence_add(
                actor=actor, area=area, kind="round", day=DAY, all_negative=True, people=10, reason="x"
            )
    proposal = areas["proposal"]
    with pytest.raises(PermissionDenied):
        services.control_area_approve(actor=community_staff, area=proposal)
    with pytest.raises(PermissionDenied):
        services.control_area_withdraw(actor=community_staff, area=proposal, reason="x")
    with pytest.raises(PermissionDenied):
        services.control_area_nodes_set(actor=community_staff, area=proposal, nodes=[community])
    assert ControlArea.objects.get(pk=proposal.pk).status == AreaStatus.PROPOSED
    assert {a.status for a in ControlArea.objects.exclude(pk=proposal.pk)} == {AreaStatus.ACTIVE}


def test_the_street_officer_reads_the_district_area_but_gets_403_on_its_actions(areas, street_officer, client_for):
    precaution = areas["precaution"]
    client = client_for(street_officer)
    page = client.get(reverse("zones:area", args=[precaution.pk]))
    assert page.status_code == 200 and page.context["can_manage"] is False
    for name in ("area_lift", "area_downgrade", "area_evidence"):
        assert client.post(reverse(f"zones:{name}", args=[precaution.pk]), {"note": "x"}).status_code == 403, name
    # their own street's area: they manage it
    assert client.get(reverse("zones:area", args=[areas["street"].pk])).context["can_manage"] is True


def test_other_branches_stay_invisible(
    areas, town, district_commander, community_staff, sibling_community_staff, client_for, api_for
):
    for user, hidden in ((community_staff, areas["sibling"]), (sibling_community_staff, areas["street"])):
        assert client_for(user).get(reverse("zones:area", args=[hidden.pk])).status_code == 404
        assert api_for(user).get(f"/api/v1/control-areas/{hidden.pk}/").status_code == 404
        assert client_for(user).post(reverse("zones:area_lift", args=[hidden.pk]), {"note": "x"}).status_code == 404
    # an area wholly inside one community is not shown to another community of the street
    sealed = put_in_force(district_commander, areas["street"].operation, "sealed", [town["compound_c"]], day=DAY)
    assert sealed.path == town["compound_c"].code
    assert api_for(sibling_community_staff).get(f"/api/v1/control-areas/{sealed.pk}/").status_code == 404
    assert ControlArea.objects.visible_to(community_staff).filter(pk=sealed.pk).exists()


def test_lists_include_the_covering_areas_once(
    areas, community_staff, client_for, api_for, django_assert_max_num_queries
):
    ids = {areas["precaution"].pk, areas["street"].pk, areas["spanning"].pk}
    client = client_for(community_staff)
    with django_assert_max_num_queries(14):
        index = client.get(reverse("zones:index"))
    page = index.context["page"]
    assert page.paginator.count == 3
    assert {row[0].pk for row in index.context["rows"]} == ids
    spanning = next(row[0] for row in index.context["rows"] if row[0].pk == areas["spanning"].pk)
    assert spanning.node_count == 2  # one row per area, its nodes counted once
    assert {row["tier__name_en"]: row["n"] for row in index.context["summary"]} == {
        "Sealed area": 1,
        "Controlled area": 1,
        "Precaution area": 1,
    }
    body = api_for(community_staff).get("/api/v1/control-areas/").json()
    assert body["count"] == 3 and sorted(a["id"] for a in body["results"]) == sorted(ids)
    assert api_for(community_staff).get("/api/v1/control-areas/?tier=controlled").json()["count"] == 1
    assert {a.pk for a in client.get(reverse("zones:map")).context["areas"]} == ids
