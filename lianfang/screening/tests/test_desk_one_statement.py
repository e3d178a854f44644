"""The desk's usual registration outside a transaction (as under gunicorn): on PostgreSQL it is one
statement (screening.deskpath), elsewhere the transaction of samples_register. Both must write and
answer exactly alike, refuse alike and leave nothing half-written; these tests run on both
databases with the same expectations (transactional tests: the request is not wrapped in the test's
transaction, so the one-statement path is the one taken on PostgreSQL)."""

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianfang.core.models import AuditEntry
from lianfang.screening.models import RoundMember, Sample, SubmissionKey, Tube
from lianfang.screening.tests.conftest import key, make_desk, stranger_id, submit

pytestmark = pytest.mark.django_db(transaction=True)

ZHANG = "11010519491231002X"


def _writes(queries) -> list[str]:
    return [q["sql"].split()[0].upper() for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_one_registration_is_one_write_and_answers_as_its_replay(desk, community_staff, api_for, population):
    api = api_for(community_staff)
    url = reverse("api:screening-sample-list")
    body = {"desk": desk.pk, "kind": "scan", "value": "440524188001010014", "tube": "t-one"}
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key())  # token, scope and desk remembered
    k = key()
    with CaptureQueriesContext(connection) as queries:
        first = api.post(url, {**body, "value": ZHANG}, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert first.status_code == 201, first.json()
    if connection.vendor == "postgresql":  # one look-up, then tube, sample, member, audit and outcome at once
        assert _writes(queries.captured_queries) == ["SELECT", "WITH"]
    else:
        writes = ["INSERT", "INSERT", "UPDATE", "INSERT", "INSERT"]  # tube, sample, member, audit, outcome
        assert _writes(queries.captured_queries) == ["SELECT", "BEGIN", *writes, "COMMIT"]
    answer = first.json()
    tube = Tube.objects.get(client_key="t-one")
    assert answer["tube"] == {
        "key": "t-one",
        "id": tube.pk,
        "people": 2,
        "capacity": 10,
        "mode": "pool_10",
        "status": "open",
        "barcode": "",
    }
    assert answer["people"] == [{"name": "张*", "id": "1101**********002X", "unregistered": False, "guardian": ""}]
    assert (answer["status"], answer["warnings"]) == ("ok", [])
    again = api.post(url, {**body, "value": ZHANG}, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert again.status_code == 201 and again.json() == {**answer, "replayed": True}
    sample = Sample.objects.get(idempotency_key=k)
    member = RoundMember.objects.get(resident=population["张三"])
    assert (sample.tube_id, sample.member_id, sample.purpose, sample.unregistered) == (
        tube.pk,
        member.pk,
        "screening",
        False,
    )
    assert (member.sample_id, member.result, member.awaiting_home_visit) == (sample.pk, "pending", False)
    entry = AuditEntry.objects.get(action="screening.sample", detail__key=k)
    assert (entry.actor, entry.object_type, entry.object_id, entry.division_code) == (
        community_staff,
        "screening.tube",
        str(tube.pk),
        tube.path,
    )
    assert (entry.reason, entry.detail) == ("sampled", {"people": 1, "key": k, "unregistered": 0})
    stored = SubmissionKey.objects.get(key=k)
    assert (stored.scope, stored.user, stored.status_code, stored.response) == ("desk", community_staff, 201, answer)


def test_the_audit_entry_is_announced_to_the_reports_cache(desk, district_commander, population):
    seen = []

    def listen(sender, instance, created, **kwargs):
        seen.append((instance.action, instance.object_id, created))

    post_save.connect(listen, sender=AuditEntry, dispatch_uid="test-one-statement")
    try:
        status, body = submit(district_commander, desk, "scan", ZHANG, tube="t-announce")
    finally:
        post_save.disconnect(dispatch_uid="test-one-statement", sender=AuditEntry)
    assert status == 201
    assert seen == [("screening.sample", str(body["tube"]["id"]), True)]


def test_an_unregistered_person_is_kept_to_verify(desk, district_commander, population):
    number = stranger_id(41)
    status, body = submit(district_commander, desk, "scan", number, tube="t-stranger")
    assert status == 201, body
    assert body["people"][0]["unregistered"] is True
    assert body["warnings"] == ["(unregistered) is not in the registry: kept as unregistered, to verify"]
    sample = Sample.objects.get(tube__client_key="t-stranger")
    assert (sample.unregistered, sample.resident_id, sample.member_id) == (True, None, None)
    assert sample.id_number_plain() == number


def test_a_full_tube_refuses_and_writes_nothing(desk, district_commander, population):
    for i in range(10):
        status, body = submit(district_commander, desk, "scan", stranger_id(100 + i), tube="t-full")
        assert status == 201, body
    entries = AuditEntry.objects.filter(action="screening.sample").count()
    status, body = submit(district_commander, desk, "scan", ZHANG, tube="t-full")
    assert (status, body["code"]) == (409, "tube_full")
    assert body["message"] == "The tube is full (10 of 10): scan its barcode to close it"
    assert Tube.objects.get(client_key="t-full").people == 10
    assert not Sample.objects.filter(resident=population["张三"]).exists()
    assert RoundMember.objects.get(resident=population["张三"]).sample_id is None
    assert AuditEntry.objects.filter(action="screening.sample").count() == entries


def test_a_closed_tube_and_another_desks_tube_refuse(site, desk, district_commander, population):
    assert submit(district_commander, desk, "scan", ZHANG, tube="t-closed")[0] == 201
    assert submit(district_commander, desk, "close", "BC000777", tube="t-closed")[0] == 200
    status, body = submit(district_commander, desk, "scan", "440524188001010014", tube="t-closed")
    assert (status, body["code"], body["message"]) == (409, "tube_closed", "Tube BC000777 is already closed")
    other = make_desk(site, district_commander, name="2号台")
    assert submit(district_commander, other, "scan", "620103198501150012", tube="t-other")[0] == 201
    status, body = submit(district_commander, desk, "scan", "440524188001010014", tube="t-other")
    assert (status, body["code"], body["message"]) == (409, "bad_input", "Tube t-other belongs to another desk")
    assert Tube.objects.get(client_key="t-other").people == 1
    assert not Sample.objects.filter(resident=population["张小明"]).exists()


def test_the_same_person_twice_is_refused_with_where(site, desk, district_commander, population):
    assert submit(district_commander, desk, "scan", ZHANG, tube="t-first")[0] == 201
    k = key()
    status, body = submit(district_commander, desk, "scan", ZHANG, tube="t-second", key=k)
    assert (status, body["code"]) == (409, "duplicate")
    assert body["message"].startswith("张* was already sampled in this round at 阳光小区采样点 · 1号台 (")
    assert not Tube.objects.filter(client_key="t-second").exists()  # the tube's first person: not created
    assert SubmissionKey.objects.get(key=k).status_code == 409  # the refusal is replayed to a retry
    assert submit(district_commander, desk, "scan", ZHANG, tube="t-second", key=k) == (409, {**body, "replayed": True})
