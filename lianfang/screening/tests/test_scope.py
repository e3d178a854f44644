"""Scope on every page and endpoint: an outsider gets 404 or an empty list; staff of another
community do not see a round's rows outside their community; list pages keep to query budgets."""

import pytest
from django.urls import reverse

from lianfang.screening.models import PoolFollowUp, SamplingTask, Tube
from lianfang.screening.services.results import ResultLine, results_record
from lianfang.screening.tests.conftest import close, key, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(rnd, desk, district_commander, population):
    """A closed positive tube with a follow-up, an open home task."""
    for number in ("11010519491231002X", "440524188001010014"):
        assert submit(district_commander, desk, "scan", number, tube="tube-a")[0] == 201
    close(district_commander, desk, "tube-a", "QL0001")
    results_record(actor=district_commander, lines=[ResultLine(1, "QL0001", "positive", "Lab", "")], path="620103")
    results_record(actor=district_commander, lines=[ResultLine(1, "QL0001", "negative", "Lab", "")], path="620103")
    return {
        "round": rnd,
        "desk": desk,
        "tube": Tube.objects.get(barcode="QL0001"),
        "follow_up": PoolFollowUp.objects.get(),
        "task": SamplingTask.objects.filter(kind="home_visit").get(),
    }


def pages(w):
    r = w["round"]
    return [
        reverse("screening:round", args=[r.pk]),
        reverse("screening:coverage", args=[r.pk]),
        reverse("screening:tasks", args=[r.pk]),
        reverse("screening:station", args=["desk", w["desk"].pk]),
        reverse("screening:station", args=["task", w["task"].pk]),
        reverse("screening:station_search", args=["desk", w["desk"].pk]) + "?q=张",
        reverse("screening:follow_up", args=[w["follow_up"].pk]),
        reverse("screening:household_qr", args=[w["follow_up"].members.first().household_id]),
        reverse("api:screening-round-detail", args=[r.pk]),
        reverse("api:screening-round-coverage", args=[r.pk]),
        reverse("api:screening-desk-detail", args=[w["desk"].pk]),
        reverse("api:screening-tube-detail", args=[w["tube"].pk]),
        reverse("api:screening-follow-up-detail", args=[w["follow_up"].pk]),
        reverse("api:screening-task-detail", args=[w["task"].pk]),
    ]


LISTS = [
    "api:screening-round-list",
    "api:screening-site-list",
    "api:screening-desk-list",
    "api:screening-task-list",
    "api:screening-tube-list",
    "api:screening-sample-list",
    "api:screening-result-list",
    "api:screening-held-result-list",
    "api:screening-follow-up-list",
]


def test_outsider_gets_404_and_empty_lists(world, outsider, client_for, api_for):
    client = client_for(outsider)
    for url in pages(world):
        assert client.get(url).status_code == 404, url
    api = api_for(outsider)
    for name in LISTS:
        body = api.get(reverse(name)).json()
        assert body["count"] == 0 and body["results"] == [], name
    response = client.post(
        reverse("screening:station_submit", args=["desk", world["desk"].pk]),
        {"key": key(), "kind": "scan", "value": "620103198501150012", "tube": "tube-x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    for name in ("screening:index", "screening:follow_ups", "screening:results"):
        page = client.get(reverse(name))
        assert page.status_code == 200
    assert list(client.get(reverse("screening:index")).context["rounds"]) == []
    assert list(client.get(reverse("screening:follow_ups")).context["follow_ups"]) == []
    assert list(client.get(reverse("screening:results")).context["held"]) == []
    assert client.get(reverse("screening:missed")).status_code == 404
    assert client.get(reverse("screening:round_new")).status_code == 403


def test_staff_of_the_other_community_see_the_round_but_not_these_rows(
    world, other_community_staff, client_for, api_for
):
    client = client_for(other_community_staff)
    assert client.get(reverse("screening:round", args=[world["round"].pk])).status_code == 200
    assert client.get(reverse("screening:station", args=["desk", world["desk"].pk])).status_code == 404
    assert client.get(reverse("screening:follow_up", args=[world["follow_up"].pk])).status_code == 404
    api = api_for(other_community_staff)
    assert api.get(reverse("api:screening-round-list")).json()["count"] == 1
    assert api.get(reverse("api:screening-sample-list")).json()["count"] == 0
    coverage = api.get(reverse("api:screening-round-coverage", args=[world["round"].pk])).json()
    assert coverage["totals"]["expected"] == 3


def test_every_page_renders_for_the_commander_within_budget(
    world, district_commander, client_for, django_assert_max_num_queries
):
    client = client_for(district_commander)
    for url in pages(world)[:8] + [
        reverse("screening:index"),
        reverse("screening:results"),
        reverse("screening:follow_ups"),
        reverse("screening:advisor"),
        reverse("screening:missed") + "?code=620103001",
        reverse("screening:round_new"),
    ]:
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200, url
    held = client.get(reverse("screening:results")).content.decode()
    assert "Contradicts the recorded result" in held or "与已录入结果矛盾" in held
    with django_assert_max_num_queries(10):
        assert client.get(reverse("api:screening-sample-list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("api:screening-follow-up-list")).status_code == 200


def test_api_creates_need_an_idempotency_key_and_replay(rnd, site, district_commander, api_for, population):
    api = api_for(district_commander)
    url = reverse("api:screening-desk-list")
    assert api.post(url, {"site": site.pk, "name": "API台"}, format="json").status_code == 400
    first = api.post(url, {"site": site.pk, "name": "API台"}, format="json", HTTP_IDEMPOTENCY_KEY="desk-create-1")
    again = api.post(url, {"site": site.pk, "name": "API台"}, format="json", HTTP_IDEMPOTENCY_KEY="desk-create-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["mode"] == "pool_20"  # from the area's rule set
    desk_id = first.json()["id"]
    sample = {"desk": desk_id, "kind": "scan", "value": "11010519491231002X", "tube": "api-tube-1"}
    r1 = api.post(reverse("api:screening-sample-list"), sample, format="json", HTTP_IDEMPOTENCY_KEY="sample-key-0001")
    r2 = api.post(reverse("api:screening-sample-list"), sample, format="json", HTTP_IDEMPOTENCY_KEY="sample-key-0001")
    assert (r1.status_code, r2.status_code, r2.json()["replayed"]) == (201, 201, True)
    close_ = {"desk": desk_id, "kind": "close", "value": "API00001", "tube": "api-tube-1"}
    assert (
        api.post(
            reverse("api:screening-sample-list"), close_, format="json", HTTP_IDEMPOTENCY_KEY="close-key-001"
        ).status_code
        == 200
    )
    batch = {
        "lab": "Lab",
        "lines": [{"barcode": "API00001", "result": "negative"}, {"barcode": "X1,X2,X3", "result": "negative"}],
    }
    res = api.post(reverse("api:screening-result-list"), batch, format="json", HTTP_IDEMPOTENCY_KEY="results-0001")
    assert res.status_code == 201 and (res.json()["applied"], res.json()["held"]) == (1, 1)
    again = api.post(reverse("api:screening-result-list"), batch, format="json", HTTP_IDEMPOTENCY_KEY="results-0001")
    assert again.json() == res.json()
    rounds = api.post(
        reverse("api:screening-round-list"),
        {"name": "API轮", "codes": ["620103001001"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="round-create-1",
    )
    assert rounds.status_code == 201 and rounds.json()["expected_people"] == 4


def test_desk_page_sheds_load_with_503_and_retry_after(desk, district_commander, client_for):
    from lianfang.screening import views

    client = client_for(district_commander)
    url = reverse("screening:station_submit", args=["desk", desk.pk])
    taken = [views._desk_slots.acquire(timeout=1) for _ in range(views.DESK_CONCURRENCY)]
    try:
        response = client.post(
            url, {"key": key(), "kind": "scan", "value": "x", "tube": "tube-1"}, content_type="application/json"
        )
        assert response.status_code == 503 and response["Retry-After"] == "2"
    finally:
        for ok in taken:
            if ok:
                views._desk_slots.release()
    response = client.post(
        url,
        {"key": key(), "kind": "scan", "value": "11010519491231002X", "tube": "tube-1"},
        content_type="application/json",
    )
    assert response.status_code == 201
