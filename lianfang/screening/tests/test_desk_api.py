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


class _Clock:
    """Stands in for the ``time`` module of screening.api.views: ``monotonic()`` is ``now``."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    from lianfang.screening.api import views

    monkeypatch.setattr(views.DeskTokenAuthentication, "seconds", 10)
    monkeypatch.setattr(views.DeskTokenAuthentication, "scope_seconds", 60)
    c = _Clock()
    monkeypatch.setattr(views, "time", c)
    return c


def _auth_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if "authtoken_token" in q["sql"] or "accounts_roleassignment" in q["sql"]]


def test_the_token_is_checked_by_one_statement_after_ten_seconds(desk, community_staff, api_for, population, clock):
    from rest_framework.authtoken.models import Token

    api = api_for(community_staff)
    assert _post(api, desk, "11010519491231002X").status_code == 201
    clock.now += 5
    with CaptureQueriesContext(connection) as within:
        assert _post(api, desk, "440524188001010014").status_code == 201
    assert _auth_statements(within.captured_queries) == []  # remembered: nothing asked
    clock.now += 6  # 11 s after loading: the token is checked, the scope is still the one loaded
    with CaptureQueriesContext(connection) as checked:
        assert _post(api, desk, stranger_id(1)).status_code == 201
    auth = _auth_statements(checked.captured_queries)
    assert len(auth) == 1 and auth[0].startswith("SELECT 1 FROM") and "is_active" in auth[0]
    Token.objects.filter(user=community_staff).delete()
    assert _post(api, desk, stranger_id(2)).status_code == 201  # within 10 s of the last check
    clock.now += 10
    assert _post(api, desk, stranger_id(3)).status_code == 401
    assert Sample.objects.count() == 4


def test_a_deactivated_user_is_refused_after_ten_seconds(desk, community_staff, api_for, population, clock):
    api = api_for(community_staff)
    assert _post(api, desk, "11010519491231002X").status_code == 201
    type(community_staff).objects.filter(pk=community_staff.pk).update(is_active=False)
    clock.now += 11
    assert _post(api, desk, "440524188001010014").status_code == 401
    assert Sample.objects.count() == 1


def test_a_removed_role_takes_effect_after_sixty_seconds(desk, community_staff, api_for, population, clock):
    from lianfang.accounts.models import RoleAssignment

    api = api_for(community_staff)
    assert _post(api, desk, "11010519491231002X").status_code == 201
    RoleAssignment.objects.filter(user=community_staff).delete()
    clock.now += 30  # token checked again (still valid), the role assignments and desk still the ones loaded
    assert _post(api, desk, "440524188001010014").status_code == 201
    clock.now += 31  # 61 s: everything loaded afresh, the desk is out of reach
    refused = _post(api, desk, stranger_id(1))
    assert refused.status_code == 400 and list(refused.json()) == ["desk"]
    assert Sample.objects.count() == 2


def test_a_closed_round_is_refused_even_with_the_desk_remembered(desk, rnd, community_staff, api_for, population):
    from lianfang.screening.services.rounds import round_close

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
