"""A household representative is told when their households are in a control area (read-only)."""

import datetime as dt

import pytest

from lianfang.zones.tests.conftest import QILIHE_START, put_in_force, tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def representative(population):
    """The household representative (L4) of h1 and h2 in 阳光小区, who signs in."""
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.workforce.services import assignment_create, worker_create

    user = User.objects.create_user(username="rep", password="correct-horse-battery", display_name="联户代表")
    RoleAssignment.objects.create(
        user=user, role="household_representative", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    worker = worker_create(
        actor=None,
        name="赵代表",
        categories=["household_representative"],
        base_division=population["unit_a"],
        user=user,
    )
    assignment_create(
        actor=None,
        level=4,
        worker=worker,
        starts_on=dt.date(2020, 1, 1),
        households=[population["h1"], population["h2"]],
    )
    return user


def test_representative_sees_the_area_covering_their_households(
    operation, population, representative, district_commander, client_for, api_for
):
    from lianfang.zones.services import control_area_declare

    day = QILIHE_START + dt.timedelta(days=1)
    sealed = put_in_force(district_commander, operation, "sealed", [population["compound_a"]], day=day)
    elsewhere = put_in_force(district_commander, operation, "sealed", [population["compound_b"]], day=day)
    proposal = control_area_declare(
        actor=district_commander,
        operation=operation,
        tier=tier(operation, "controlled"),
        nodes=[population["compound_a"].parent],
        reason="other",
    )

    body = api_for(representative).get("/api/v1/control-areas/").json()
    assert [a["id"] for a in body["results"]] == [sealed.pk]
    assert api_for(representative).get(f"/api/v1/control-areas/{elsewhere.pk}/").status_code == 404
    assert api_for(representative).get(f"/api/v1/control-areas/{proposal.pk}/").status_code == 404

    page = client_for(representative).get("/zones/")
    assert page.status_code == 200
    assert page.context["operation"] == operation  # the operation in progress, not "no operation"
    assert [row[0].pk for row in page.context["rows"]] == [sealed.pk]
    assert page.context["open_form"] is None and page.context["change_form"] is None  # read-only
    # read-only: writes need MANAGE_ZONES
    refused = api_for(representative).post(f"/api/v1/control-areas/{sealed.pk}/lift/", {"reason": "x"}, format="json")
    assert refused.status_code in (403, 404, 405)


def test_a_user_without_households_still_sees_nothing(operation, population, outsider, district_commander, api_for):
    put_in_force(
        district_commander, operation, "sealed", [population["compound_a"]], day=QILIHE_START + dt.timedelta(days=1)
    )
    assert api_for(outsider).get("/api/v1/control-areas/").json()["count"] == 0


def test_area_page_links_only_the_places_the_viewer_may_open(
    operation, population, representative, district_commander, client_for
):
    compound = population["compound_a"]
    sealed = put_in_force(district_commander, operation, "sealed", [compound], day=QILIHE_START + dt.timedelta(days=1))
    link = f'href="/divisions/{compound.code}/"'

    page = client_for(representative).get(f"/zones/areas/{sealed.pk}/")
    assert page.status_code == 200
    assert page.context["places"] == [(compound, False)]
    places = page.content.decode().split('data-testid="places"')[1].split("</ul>")[0]
    assert compound.short_name in places and "/divisions/" not in places
    assert client_for(representative).get(f"/divisions/{compound.code}/").status_code == 404  # why no link

    page = client_for(district_commander).get(f"/zones/areas/{sealed.pk}/")
    assert page.context["places"] == [(compound, True)]
    assert link in page.content.decode()


def test_area_page_links_the_infection_only_for_viewers_who_may_open_it(
    operation, population, representative, community_staff, district_commander, client_for
):
    """The infection behind an area is outside a representative's households: plain text, no 404 link."""
    from lianfang.zones.tests.conftest import infect

    infection = infect(district_commander, operation, day=QILIHE_START, residence=population["compound_a"]).infection
    sealed = put_in_force(
        district_commander, operation, "sealed", [population["compound_a"]], day=QILIHE_START, infection=infection
    )
    link = f'href="/zones/infections/{infection.pk}/"'

    page = client_for(representative).get(f"/zones/areas/{sealed.pk}/")
    assert page.status_code == 200
    assert page.context["infection_linked"] is False
    assert link not in page.content.decode() and f"#{infection.pk}" in page.content.decode()
    assert client_for(representative).get(f"/zones/infections/{infection.pk}/").status_code == 404  # why no link

    page = client_for(community_staff).get(f"/zones/areas/{sealed.pk}/")
    assert page.context["infection_linked"] is True
    assert link in page.content.decode()
    assert client_for(community_staff).get(f"/zones/infections/{infection.pk}/").status_code == 200
