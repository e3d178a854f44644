"""New-user trial 16, patrols: the checkpoint QR token is shown only to those who set checkpoints
up (API, print page, patrols page), and an implausibly fast scan is refused."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianfang.fieldops.models import FieldRuleSet, PatrolRound, PatrolScan
from lianfang.fieldops.services.patrols import checkpoint_create, patrol_round_finish, patrol_scan
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def checkpoints(population, community_staff):
    compound = population["compound_a"]
    return [checkpoint_create(actor=community_staff, division=compound, name=n) for n in ("北门", "1号楼", "垃圾站")]


def test_the_api_gives_the_token_to_the_manager_only(checkpoints, community_staff, guard, api_for):
    url = reverse("api:fieldops-checkpoint-list")
    managed = api_for(community_staff).get(url).json()["results"]
    assert [(c["name"], c["token"]) for c in managed] == [(c.name, c.token) for c in checkpoints]
    walked = api_for(guard.user).get(url).json()["results"]
    assert [(c["name"], c["token"]) for c in walked] == [("北门", None), ("1号楼", None), ("垃圾站", None)]
    one = api_for(guard.user).get(reverse("api:fieldops-checkpoint-detail", args=[checkpoints[0].pk])).json()
    assert one["token"] is None and one["name"] == "北门"


def test_the_print_page_is_for_the_manager_only(checkpoints, community_staff, guard, client_for):
    url = reverse("fieldops:checkpoints_print")
    code = checkpoints[0].path
    refused = client_for(guard.user).get(url, {"within": code}, **ZH)
    assert refused.status_code == 403
    assert "设置巡查点" in refused.content.decode()
    assert checkpoints[0].token not in refused.content.decode()
    page = client_for(guard.user).get(reverse("fieldops:checkpoints"), {"within": code}, **ZH).content.decode()
    assert 'data-testid="print-qr"' not in page and "北门" in page
    for c in checkpoints:
        assert c.token not in page
    allowed = client_for(community_staff).get(url, {"within": code}, **ZH)
    assert allowed.status_code == 200
    page = client_for(community_staff).get(reverse("fieldops:checkpoints"), {"within": code}, **ZH).content.decode()
    assert 'data-testid="print-qr"' in page


def test_a_scan_too_soon_after_the_previous_one_is_refused(checkpoints, guard):
    day = today()
    start = at(day, 21)
    patrol_scan(actor=guard.user, checkpoint=checkpoints[0], at=start)
    with pytest.raises(ValidationError) as exc:
        patrol_scan(actor=guard.user, checkpoint=checkpoints[1], at=start + dt.timedelta(seconds=7))
    assert exc.value.message_dict == {
        "checkpoint": [
            "1号楼 was not recorded: it was scanned 7 seconds after 北门 (at 21:00:00), but two checkpoints of a "
            "round are at least 30 seconds' walk apart. Scan it again when you are there."
        ]
    }
    assert PatrolScan.objects.count() == 1
    patrol_scan(actor=guard.user, checkpoint=checkpoints[1], at=start + dt.timedelta(seconds=30))
    patrol_scan(actor=guard.user, checkpoint=checkpoints[2], at=start + dt.timedelta(seconds=75))
    patrol = PatrolRound.objects.get()
    patrol_round_finish(actor=guard.user, patrol=patrol, at=start + dt.timedelta(seconds=80))
    patrol.refresh_from_db()
    assert (patrol.status, patrol.missed) == ("complete", [])


def test_the_minimum_comes_from_the_rule_set_and_zero_switches_it_off(checkpoints, guard):
    FieldRuleSet.objects.update(patrol_min_scan_seconds=0)
    start = at(today(), 21)
    for second, checkpoint in enumerate(checkpoints):
        patrol_scan(actor=guard.user, checkpoint=checkpoint, at=start + dt.timedelta(seconds=second))
    assert PatrolScan.objects.count() == 3


def test_the_scan_page_shows_the_refusal(checkpoints, guard, client_for):
    client = client_for(guard.user)
    first = client.post(reverse("fieldops:patrol_scan", args=[checkpoints[0].token]), **ZH)
    assert first.status_code == 200
    second = client.post(reverse("fieldops:patrol_scan", args=[checkpoints[1].token]), **ZH).content.decode()
    assert "1号楼 未记录" in second and "30 秒" in second
    assert PatrolScan.objects.count() == 1
