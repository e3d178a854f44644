"""The desk through the API as desks use it at peak: a field worker's token, one ID number per
submission. Query budgets per registration, the token memory, and load shedding (503 + Retry-After)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianfang.screening.models import RoundMember, Sample, SubmissionKey, Tube
from lianfang.screening.tests.conftest import key, stranger_id

pytestmark = pytest.mark.django_db

URL = "api:screening-sample-list"


def _post(api, desk, value, tube="api-tube", k=None):
    body = {"desk": desk.pk, "kind": "scan", "value": value, "tube": tube}
    return api.post(reverse(URL), body, format="json", HTTP_IDEMPOTENCY_KEY=k or key())


def _writes(queries) -> list[str]:
    return [q["sql"].split()[0].upper() for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_a_registration_is_few_statements_and_the_token_is_remembered(desk, community_staff, api_for, population):
    api = api_for(community_staff)
    with CaptureQueriesContext(connection) as first:
        response = _post(api, desk, "11010519491231002X")
    assert response.status_code == 201, response.json()
    # the first time: token + user, role assignments, household scope and the desk, then the rest
    with CaptureQueriesContext(connection) as second:
        response = _post(api, desk, "440524188001010014")
    assert response.status_code == 201 and response.json()["tube"]["people"] == 2
    # the same token and desk again: user, scope and desk are remembered; one look-up (key, round
    # open, resident, member), tube upsert, sample, member, audit entry, stored outcome
    # (on PostgreSQL the sample and the member's state are one statement, a data-modifying CTE)
    if connection.vendor == "postgresql":
        assert _writes(second.captured_queries) == ["SELECT", "INSERT", "WITH", "INSERT", "INSERT"]
    else:
        assert _writes(second.captured_queries) == ["SELECT", "INSERT", "INSERT", "UPDATE", "INSERT", "INSERT"]
    assert len(first.captured_queries) - len(second.captured_queries) >= 3
    zhang = RoundMember.objects.get(resident=population["张三"])
    assert zhang.result == "pending" and zhang.sample.tube.client_key == "api-tube"
    assert Tube.objects.get(client_key="api-tube").people == 2


def test_replay_and_refusals_through_the_api(desk, community_staff, api_for, population):
    api = api_for(community_staff)
    k = key()
    first = _post(api, desk, "11010519491231002X", k=k)
    again = _post(api, desk, "11010519491231002X", k=k)
    assert (first.status_code, again.status_code, again.json()["replayed"]) == (201, 201, True)
    twice = _post(api, desk, "11010519491231002X", tube="api-tube-2")
    assert (twice.status_code, twice.json()["code"]) == (409, "duplicate")
    assert "阳光小区采样点 · 1号台" in twice.json()["message"]
    assert not Tube.objects.filter(client_key="api-tube-2").exists()
    bad = _post(api, desk, "110105194912310021")  # wrong check digit
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_input")  # unreadable: 400, not stored
    stranger = _post(api, desk, stranger_id(3))
    assert stranger.status_code == 201 and stranger.json()["people"][0]["unregistered"] is True
    assert Sample.objects.count() == 2 and SubmissionKey.objects.filter(key=k).count() == 1


def test_a_deleted_token_is_refused_when_the_memory_is_off(desk, community_staff, api_for, population, monkeypatch):
    from rest_framework.authtoken.models import Token

    from lianfang.screening.api.views import DeskTokenAuthentication

    monkeypatch.setattr(DeskTokenAuthentication, "seconds", 0)
    api = api_for(community_staff)
    assert _post(api, desk, "11010519491231002X").status_code == 201
    Token.objects.filter(user=community_staff).delete()
    assert _post(api, desk, "440524188001010014").status_code == 401


def test_a_closed_round_is_refused_even_with_the_desk_remembered(desk, rnd, community_staff, api_for, population):
    from lianfang.screening.services import round_close

    api = api_for(community_staff)
    assert _post(api, desk, "11010519491231002X").status_code == 201
    round_close(actor=None, round=rnd)
    refused = _post(api, desk, "440524188001010014")
    assert (refused.status_code, refused.json()["code"]) == (409, "round_closed")
    assert Sample.objects.count() == 1


def test_the_api_sheds_load_with_503_and_retry_after(desk, community_staff, api_for, population):
    from lianfang.screening import views

    api = api_for(community_staff)
    taken = [views._desk_slots.acquire(timeout=1) for _ in range(views.DESK_CONCURRENCY)]
    try:
        response = _post(api, desk, "11010519491231002X")
        assert response.status_code == 503 and response["Retry-After"] == "2"
    finally:
        for ok in taken:
            if ok:
                views._desk_slots.release()
    assert Sample.objects.count() == 0
    assert _post(api, desk, "11010519491231002X").status_code == 201
