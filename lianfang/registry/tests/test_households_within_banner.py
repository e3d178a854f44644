"""New-user trial: /registry/households/?within=<a code wider than the user's scope> lists only the
user's own households (core.filters.ScopedWithinFilter), so the banner names the place actually shown
(the user's own area), not the wider place they typed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from lianfang.conftest import XIAXIYUAN, _user

pytestmark = pytest.mark.django_db


def rooms(response) -> list[str]:
    return sorted(h.room for h in response.context["households"].object_list)


def test_community_staff_naming_the_district_see_their_community_named(client_for, community_staff, population):
    client = client_for(community_staff)
    page = client.get(reverse("registry:my_households"), {"within": "620103"})
    assert page.status_code == 200 and rooms(page) == ["101", "202"]
    text = page.content.decode()
    assert f"只显示西园街道 › 下西园社区（{XIAXIYUAN}）的住户。" in text
    assert "七里河区" not in text and "（620103）" not in text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("registry:my_households"), {"within": "620103001"}).content.decode()
    assert f"Only the households in 西园街道 › 下西园社区 ({XIAXIYUAN})." in english


def test_grid_worker_naming_the_district_see_their_compound_named(client_for, population):
    compound = population["compound_a"]
    worker = _user("grid", "grid_worker", compound.code)
    page = client_for(worker).get(reverse("registry:my_households"), {"within": "620103"})
    assert page.status_code == 200 and rooms(page) == ["101", "202"]
    text = page.content.decode()
    assert f"只显示西园街道 › 下西园社区 › 阳光小区（{compound.code}）的住户。" in text
    assert "七里河区" not in text and "（620103）" not in text


def test_within_inside_the_scope_still_names_itself(client_for, street_officer, population):
    page = client_for(street_officer).get(reverse("registry:my_households"), {"within": XIAXIYUAN})
    assert f"只显示西园街道 › 下西园社区（{XIAXIYUAN}）的住户。" in page.content.decode()


def test_a_commander_naming_the_district_sees_it_named(client_for, district_commander, population):
    page = client_for(district_commander).get(reverse("registry:my_households"), {"within": "620103"})
    assert page.status_code == 200 and rooms(page) == ["101", "202", "301"]
    assert 'data-testid="within"' in page.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_banner_names_the_own_community(population, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/registry/households/?within=620103")
    banner = page.get_by_test_id("within").inner_text()
    assert banner.startswith(f"只显示西园街道 › 下西园社区（{XIAXIYUAN}）的住户。")
    assert "七里河区" not in banner
