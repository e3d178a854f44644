"""Which round a report is about: a community's own round never replaces the round over the whole
place on the street's or district's page (new-user trial 15)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lianfang.reports import overview, sources
from lianfang.reports.tests.conftest import XIA, XIYUAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_rounds(screening_scene, district_commander):
    """The scene's round over 西园街道 and, opened after it, 下西园社区's own round."""
    from lianfang.screening.services.rounds import round_open

    later = screening_scene["round"].opened_at + timezone.timedelta(seconds=1)
    community = round_open(actor=district_commander, name="下西园补采", nodes=[screening_scene["xia"]], at=later)
    return screening_scene["round"], community


def test_the_street_page_keeps_the_street_round(two_rounds, district_commander, screening_scene):
    street_round, community_round = two_rounds
    day = screening_scene["day"]
    assert sources.current_round(user=district_commander, code=XIYUAN, day=day) == street_round
    data = overview.build(user=district_commander, division=screening_scene["street"])
    assert data["round"]["round"]["name"] == "第1轮全员核酸"


def test_the_community_page_shows_its_latest_round(two_rounds, district_commander, screening_scene):
    _street_round, community_round = two_rounds
    assert sources.current_round(user=district_commander, code=XIA, day=screening_scene["day"]) == community_round


def test_above_every_round_the_broadest_one_is_shown(two_rounds, district_commander, screening_scene):
    street_round, _community_round = two_rounds
    district = XIYUAN[:6]  # neither round covers the whole district: the street's is the broader
    assert sources.current_round(user=district_commander, code=district, day=screening_scene["day"]) == street_round
