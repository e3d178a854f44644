"""Patrols: checkpoints with QR tokens, rounds with scan times, missed checkpoints flagged."""

import pytest
from django.core.exceptions import ValidationError

from lianfang.fieldops.models import Alert, AlertKind, PatrolRound, PatrolScan
from lianfang.fieldops.services.patrols import (
    checkpoint_create,
    patrol_round_finish,
    patrol_round_start,
    patrol_rounds_close_stale,
    patrol_scan,
)
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoints(population, community_staff):
    compound = population["compound_a"]
    return [checkpoint_create(actor=community_staff, division=compound, name=n) for n in ("北门", "1号楼", "垃圾站")]


def test_checkpoints_have_distinct_secret_tokens(checkpoints):
    tokens = {c.token for c in checkpoints}
    assert len(tokens) == 3 and all(len(t) >= 20 for t in tokens)
    assert [c.position for c in checkpoints] == [1, 2, 3]


def test_complete_round(checkpoints, guard, l3_person):
    day = today()
    for minute, checkpoint in zip((0, 7, 15), checkpoints, strict=True):
        patrol_scan(actor=guard.user, checkpoint=checkpoint, at=at(day, 21, minute))
    patrol = PatrolRound.objects.get()
    assert patrol.started_at == at(day, 21, 0) and patrol.worker == guard
    assert [s.scanned_at for s in patrol.scans.all()] == [at(day, 21, 0), at(day, 21, 7), at(day, 21, 15)]
    patrol_round_finish(actor=guard.user, patrol=patrol, at=at(day, 21, 20))
    patrol.refresh_from_db()
    assert (patrol.status, patrol.missed) == ("complete", [])
    assert not Alert.objects.exists()


def test_missed_checkpoint_is_flagged_to_the_l3_person(checkpoints, guard, l3_person):
    day = today()
    patrol_scan(actor=guard.user, checkpoint=checkpoints[0], at=at(day, 21))
    patrol_scan(actor=guard.user, checkpoint=checkpoints[0], at=at(day, 21, 3))  # scanned twice: first time kept
    patrol_scan(actor=guard.user, checkpoint=checkpoints[2], at=at(day, 21, 10))
    patrol = PatrolRound.objects.get()
    assert PatrolScan.objects.filter(round=patrol).count() == 2
    assert PatrolScan.objects.get(round=patrol, checkpoint=checkpoints[0]).scanned_at == at(day, 21)
    patrol_round_finish(actor=guard.user, patrol=patrol, at=at(day, 21, 30))
    patrol.refresh_from_db()
    assert (patrol.status, patrol.missed) == ("incomplete", [checkpoints[1].pk])
    alert = Alert.objects.get(kind=AlertKind.MISSED_CHECKPOINT)
    assert (alert.recipient, alert.message, alert.detail["missed"]) == (l3_person, "1号楼", [checkpoints[1].pk])


def test_stale_round_closes_itself(checkpoints, guard):
    day = today()
    patrol_scan(actor=guard.user, checkpoint=checkpoints[0], at=at(day, 1))
    assert patrol_rounds_close_stale(now=at(day, 2, 59)) == 0  # the rule set allows 120 minutes
    assert patrol_rounds_close_stale(now=at(day, 3, 1)) == 1
    patrol = PatrolRound.objects.get()
    assert (patrol.status, patrol.status_reason, len(patrol.missed)) == ("incomplete", "timed_out", 2)
    assert patrol_rounds_close_stale(now=at(day, 4)) == 0


def test_a_new_round_after_finishing(checkpoints, guard):
    day = today()
    patrol_scan(actor=guard.user, checkpoint=checkpoints[0], at=at(day, 1))
    patrol_round_finish(actor=guard.user, patrol=PatrolRound.objects.get(), at=at(day, 1, 30))
    patrol_scan(actor=guard.user, checkpoint=checkpoints[0], at=at(day, 5))
    assert PatrolRound.objects.count() == 2


def test_place_without_checkpoints_cannot_be_patrolled(population, guard):
    with pytest.raises(ValidationError) as exc:
        patrol_round_start(actor=guard.user, division=population["compound_a"])
    assert "阳光小区" in str(exc.value)
