"""The desk's submissions through the plain Django view (api.views.sample_submit) answer exactly as
the DRF view does: the same statuses, bytes and headers for registrations, replays, refusals, 404s,
and DRF's own answers for everything the plain view leaves to it (authentication failures, CSRF,
throttling, invalid fields, GET). ``Accept: application/json, */*`` sends a request to the DRF view."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from lianfang.screening.models import Sample
from lianfang.screening.tests.conftest import key

pytestmark = pytest.mark.django_db

URL = "api:screening-sample-list"
TO_DRF = {"HTTP_ACCEPT": "application/json, */*"}


@pytest.fixture(autouse=True)
def no_throttle_history():
    cache.clear()  # DeskThrottle keeps its history in the default cache, keyed by user id


def _post(client, body, k=None, **extra):
    return client.post(reverse(URL), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=k or key(), **extra)


def _token_client(user) -> Client:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def _headers(response) -> dict:
    return {h: response.get(h) for h in ("Content-Type", "Allow", "Vary", "Retry-After", "WWW-Authenticate")}


def _same(plain, drf) -> None:
    assert (plain.status_code, plain.content, _headers(plain)) == (drf.status_code, drf.content, _headers(drf))


def test_registration_replay_and_refusals_answer_as_drf_does(desk, community_staff, population):
    api = _token_client(community_staff)
    k = key()
    first = _post(api, {"desk": desk.pk, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"}, k=k)
    assert first.status_code == 201 and first.json()["tube"]["people"] == 1
    assert first["Content-Type"] == "application/json" and first["Allow"] == "GET, POST, HEAD, OPTIONS"
    # the replay of the first answer, through each view: the same bytes (DRF's compact JSON, UTF-8)
    body = {"desk": desk.pk, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"}
    _same(_post(api, body, k=k), _post(api, body, k=k, **TO_DRF))
    assert '"name":"张*"' in _post(api, body, k=k).content.decode()
    # refusals: the same person twice (409, stored under its own key), a wrong check digit (400, unreadable)
    for value in ("11010519491231002X", "110105194912310021"):
        body = {"desk": desk.pk, "kind": "scan", "value": value, "tube": "tube-2"}
        plain, drf = _post(api, body), _post(api, body, **TO_DRF)
        assert plain.status_code == (409 if value == "11010519491231002X" else 400)
        _same(plain, drf)
    assert Sample.objects.count() == 1


def test_out_of_scope_desk_and_forbidden_answer_as_drf_does(desk, outsider, other_community_staff, population):
    body = {"desk": desk.pk, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"}
    for user in (outsider, other_community_staff):
        api = _token_client(user)
        plain, drf = _post(api, body), _post(api, body, **TO_DRF)
        assert (plain.status_code, plain.json()) in (
            (403, plain.json()),
            (400, {"desk": [f"{desk.pk} 不存在或不在您的范围内"]}),
        )
        assert plain.status_code == 400 or "detail" in plain.json()
        _same(plain, drf)
    assert Sample.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "scan", "value": "11010519491231002X", "tube": "tube-1"},  # neither desk nor task
        {"desk": "DESK", "kind": "scan", "value": "11010519491231002X"},  # no tube
        {"desk": "DESK", "kind": "scan", "value": "11010519491231002X", "tube": " "},
        {"desk": "DESK", "kind": "shout", "value": "11010519491231002X", "tube": "tube-1"},
        {"desk": "DESK", "kind": "scan", "value": "x" * 101, "tube": "tube-1"},
        {"desk": "DESK", "kind": "scan", "value": "11010519491231002X", "tube": "tube-1", "at": "yesterday"},
        {"desk": "DESK", "kind": "scan", "value": "11010519491231002X", "tube": "tube-1", "name": None},
        [1, 2],
        # not row ids (new-user trial 8: the plain view answered "-1 不存在…", DRF "“-1”不是编号…")
        {"desk": -1, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"},
        {"desk": 0, "task": 1, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"},
        {"desk": 2**63, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"},
        {"task": -5, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"},
    ],
)
def test_what_the_plain_view_leaves_to_drf_gets_drf_answers(desk, community_staff, population, body):
    api = _token_client(community_staff)
    if isinstance(body, dict) and body.get("desk") == "DESK":
        body = {**body, "desk": desk.pk}
    plain, drf = _post(api, body), _post(api, body, **TO_DRF)
    assert plain.status_code == 400
    _same(plain, drf)


def test_fields_drf_would_accept_still_register(desk, community_staff, population):
    api = _token_client(community_staff)
    body = {"desk": str(desk.pk), "kind": " scan ", "value": "11010519491231002X", "tube": " tube-1 ", "extra": 1}
    response = _post(api, body)
    assert response.status_code == 201 and response.json()["tube"]["key"] == "tube-1"
    at = _post(api, {"desk": desk.pk, "kind": "scan", "value": "440524188001010014", "tube": "tube-1", "at": None})
    assert at.status_code == 201 and at.json()["tube"]["people"] == 2


def test_authentication_as_drf(desk, community_staff, population):
    body = {"desk": desk.pk, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"}
    for client in (Client(), Client(HTTP_AUTHORIZATION="Token nonsense"), Client(HTTP_AUTHORIZATION="Token a b")):
        plain, drf = _post(client, body), _post(client, body, **TO_DRF)
        assert plain.status_code == 401 and plain["WWW-Authenticate"] == "Token"
        _same(plain, drf)
    # the page's session: CSRF checked as DRF's SessionAuthentication does
    page = Client(enforce_csrf_checks=True)
    page.force_login(community_staff)
    refused = _post(page, body)
    assert refused.status_code == 403  # DRF's "CSRF Failed" in the reader's words (core's exception handler)
    assert refused.json()["detail"].startswith("CSRF 校验失败：")
    secret = "a" * 32
    page.cookies["csrftoken"] = secret
    assert _post(page, body, HTTP_X_CSRFTOKEN=secret).status_code == 201
    assert Sample.objects.count() == 1


def test_the_throttle_counts_once_and_answers_429_with_retry_after(desk, community_staff, population, monkeypatch):
    from lianfang.screening.api.views import DeskThrottle

    monkeypatch.setattr(DeskThrottle, "rate", "3/min")
    api = _token_client(community_staff)
    values = ["11010519491231002X", "440524188001010014"]
    codes = [_post(api, {"desk": desk.pk, "kind": "scan", "value": v, "tube": "tube-1"}).status_code for v in values]
    bad = _post(api, {"desk": desk.pk, "kind": "scan", "tube": "tube-1", "value": "x" * 101})  # DRF: counted once
    assert codes + [bad.status_code] == [201, 201, 400]
    throttled = _post(api, {"desk": desk.pk, "kind": "scan", "value": values[0], "tube": "tube-1"})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert list(throttled.json()) == ["detail"]
    assert Sample.objects.count() == 2


def test_the_list_stays_on_drf_and_the_schema_documents_the_post(desk, community_staff, population):
    from drf_spectacular.generators import SchemaGenerator

    api = _token_client(community_staff)
    _post(api, {"desk": desk.pk, "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"})
    listed = api.get(reverse(URL))
    assert listed.status_code == 200 and listed.json()["count"] == 1
    operations = SchemaGenerator().get_schema(request=None, public=True)["paths"]["/api/v1/screening/samples/"]
    assert set(operations) == {"get", "post"}
    assert {"201", "200", "409"} <= set(operations["post"]["responses"])
