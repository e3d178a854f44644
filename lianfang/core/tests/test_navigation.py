import datetime as dt

import pytest
from django.urls import reverse

from lianfang.core.navigation import all_items, items_for


def test_every_navigation_entry_resolves():
    for item in all_items():
        assert reverse(item.url_name).startswith("/"), item.url_name


@pytest.fixture
def personas(population, community_staff, street_officer, district_commander):
    """Every role with a division: the conftest personas and a grid worker, volunteer (阳光小区) and
    stationed cadre (下西园)."""
    from lianfang.accounts.models import RoleAssignment, User

    users = {"staff": community_staff, "street": street_officer, "commander": district_commander}
    for name, role, division in (
        ("grid", "grid_worker", population["compound_a"]),
        ("volunteer", "volunteer", population["compound_a"]),
        ("cadre", "stationed_cadre", population["compound_a"].parent),
    ):
        users[name] = User.objects.create_user(name)
        RoleAssignment.objects.create(user=users[name], role=role, division=division, starts_on=dt.date(2020, 1, 1))
    return users


@pytest.mark.django_db
def test_every_link_shown_opens_for_its_reader(personas, client_for):
    """New-user trial: the grid worker and the volunteer were shown Import/export (they can neither
    import nor export). Each link a persona is shown answers 200 for them."""
    for name, user in personas.items():
        client = client_for(user)
        for url, _label in items_for(user):
            assert client.get(url).status_code == 200, (name, url)
    io = reverse("registry:io_index")
    shown = {name: [url for url, _label in items_for(user)] for name, user in personas.items()}
    assert {name for name, urls in shown.items() if io in urls} == {"staff", "street", "commander"}
    assert {name for name, urls in shown.items() if reverse("core:audit_log") in urls} == {"commander"}
