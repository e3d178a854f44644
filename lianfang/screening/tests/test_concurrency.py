"""Two desks add the same person at the same moment: exactly one wins (real threads, real database:
the unique index on (round, person) decides, on SQLite and on PostgreSQL alike)."""

import threading
import time

import pytest
from django.db import OperationalError, connection

from lianfang.screening.models import RoundMember, Sample, SubmissionKey
from lianfang.screening.tests.conftest import key, make_desk

pytestmark = pytest.mark.django_db(transaction=True)


def _race(actor, desks, payloads):
    from lianfang.screening.services.desk import desk_submit

    barrier = threading.Barrier(len(desks))
    results = [None] * len(desks)

    def run(i):
        try:
            barrier.wait()
            for _attempt in range(50):  # the desk page retries a busy server (503) the same way
                try:
                    results[i] = desk_submit(actor=actor, desk=desks[i], payload=payloads[i])
                    break
                except OperationalError:
                    time.sleep(0.02)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(desks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_desks_add_the_same_person_at_once_exactly_one_wins(site, desk, district_commander, population, attempt):
    other = make_desk(site, district_commander, name="2号台")
    payloads = [
        {"key": key(), "kind": "scan", "value": "11010519491231002X", "tube": f"tube-{i}-{attempt}"} for i in range(2)
    ]
    results = _race(district_commander, [desk, other], payloads)
    statuses = sorted(r[0] for r in results)
    assert statuses == [201, 409], results
    loser = next(r[1] for r in results if r[0] == 409)
    assert loser["code"] == "duplicate"
    assert Sample.objects.filter(person_key=f"r{population['张三'].pk}").count() == 1
    member = RoundMember.objects.get(resident=population["张三"])
    assert member.sample is not None and member.result == "pending"
    assert SubmissionKey.objects.filter(key__in=[p["key"] for p in payloads]).count() == 2


def test_the_same_submission_sent_twice_at_once_is_written_once(desk, district_commander, population):
    payload = {"key": key(), "kind": "scan", "value": "440524188001010014", "tube": "tube-same"}
    results = _race(district_commander, [desk, desk], [payload, dict(payload)])
    assert [r[0] for r in results] == [201, 201], results
    assert Sample.objects.count() == 1 and SubmissionKey.objects.filter(key=payload["key"]).count() == 1
