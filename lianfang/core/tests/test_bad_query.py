"""A query parameter the server cannot use is a 400 naming the parameter and the value, never a 500
(new-user trial: ``within=abc``, an id past 2**63 − 1, ``day=2026-13-45``)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests with Accept-Language: en leave English active in this thread; restore it after."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


BAD_WITHIN = [
    "/api/v1/residents/",
    "/api/v1/households/",
    "/api/v1/service-requests/",
    "/api/v1/divisions/",
    *[
        f"/api/v1/fieldops/{name}/"
        for name in (
            "gates",
            "shifts",
            "checkpoints",
            "patrols",
            "passages",
            "people",
            "tests",
            "bulk-changes",
            "transfers",
            "monitoring",
            "check-ins",
            "disinfection-schedules",
            "disinfection-logs",
            "notices",
            "alerts",
        )
    ],
    "/api/v1/fieldops/briefing/",
    "/api/v1/fieldops/gates/coverage/",
    "/registry/residents/",
    "/assistance/tickets/",
    "/fieldops/people/",
    "/fieldops/alerts/",
    "/fieldops/passages/",
    "/fieldops/transfers/",
    "/fieldops/roster/",
    "/fieldops/monitoring/",
    "/fieldops/briefing/",
]
HUGE = "99999999999999999999"
BAD_ID = [
    ("/api/v1/residents/", "household"),
    ("/api/v1/assignments/", "household"),
    ("/api/v1/assignments/", "worker"),
    ("/api/v1/deployments/", "worker"),
    ("/api/v1/teams/", "member"),
    ("/workforce/assignments/", "household"),
    ("/workforce/assignments/", "worker"),
    ("/workforce/deployments/", "worker"),
    ("/registry/residents/", "household"),
    ("/api/v1/fieldops/briefing/", "team"),
    ("/fieldops/briefing/", "team"),
]
BAD_DAY = [
    "/fieldops/roster/",
    "/fieldops/monitoring/",
    "/fieldops/monitoring/cards/",
    "/fieldops/briefing/",
    "/api/v1/fieldops/briefing/",
    "/api/v1/fieldops/gates/coverage/",
]
# The registry's API answers through core.api.BadQueryMixin; its message names the parameter only.
REGISTRY_API = ("/api/v1/residents/", "/api/v1/households/")


def _get(client_for, user, url, params):
    client = client_for(user)
    client.raise_request_exception = False
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


def _message(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("url", BAD_WITHIN)
def test_bad_within_is_400_naming_it(client_for, district_commander, url):
    response = _get(client_for, district_commander, url, {"within": "abc"})
    assert response.status_code == 400, (url, response.content[:300])
    assert "within" in _message(response)
    if url not in REGISTRY_API:  # registry's own message names the parameter, not the value
        assert "abc" in _message(response)


@pytest.mark.parametrize(("url", "name"), BAD_ID)
def test_id_past_64_bits_is_400_naming_it(client_for, district_commander, url, name):
    response = _get(client_for, district_commander, url, {name: HUGE})
    assert response.status_code == 400, (url, response.content[:300])
    if url.startswith("/api/v1/residents/"):
        return  # registry's filter: BadQueryMixin's generic "too large" message (no parameter name)
    assert name in _message(response) and HUGE in _message(response)


@pytest.mark.parametrize("url", BAD_DAY)
def test_impossible_day_is_400_naming_it(client_for, district_commander, url):
    response = _get(client_for, district_commander, url, {"day": "2026-13-45"})
    assert response.status_code == 400, (url, response.content[:300])
    assert "day" in _message(response) and "2026-13-45" in _message(response)
    assert "YYYY-MM-DD" in _message(response)


def test_bad_query_page_is_translated_with_a_way_home(client_for, district_commander):
    response = client_for(district_commander).get("/fieldops/roster/", {"day": "2026-13-45"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "请求有误" in text and "不是日期" in text and "返回我的首页" in text


def test_round_coverage_bad_within_is_400_naming_it(population, district_commander, api_for):
    """screening's coverage action reads ``within`` with core.filters.query_code like every list."""
    from lianfang.divisions.models import Division
    from lianfang.screening.services.rounds import round_open

    nodes = list(Division.objects.filter(code__in=["620103001001", "620103001002"]))
    rnd = round_open(actor=district_commander, name="第1轮", nodes=nodes)
    api = api_for(district_commander)
    url = f"/api/v1/screening/rounds/{rnd.pk}/coverage/"
    for bad in ("abc", "-1", HUGE + "1"):
        response = api.get(url, {"within": bad}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, (bad, response.content[:300])
        assert response.json() == {"within": [f"“{bad}” is not a division code (1 to 20 digits)"]}
    # full-width digits are read as the code (core.filters.normalize_code, new-user trial 13)
    assert api.get(url, {"within": "６２０１０３００１００１"}).json()["within"] == "620103001001"
    body = api.get(url, {"within": "620103001001", "by": "compound"}).json()
    assert body["within"] == "620103001001" and body["totals"]["expected"] == 4
    assert api.get(url, {"within": "620103001001", "by": "street"}).status_code == 400
