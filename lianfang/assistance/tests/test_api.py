"""``/api/v1/service-requests/`` (idempotent create, actions, timeline), exit passes and supply plans."""

import datetime as dt

import pytest
from django.urls import reverse

from lianfang.assistance.models import Intake, ServiceRequest
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import service_request_accept
from lianfang.assistance.services.passes import exit_pass_issue
from lianfang.assistance.services.supplies import supply_plan_create

pytestmark = pytest.mark.django_db

LIST = reverse("api:service-request-list")


def detail(pk, suffix=""):
    return reverse(f"api:service-request-{suffix or 'detail'}", args=[pk])


def test_create_with_idempotency_key_and_duplicate_linking(grid, api_for):
    api = api_for(grid["staff_user"])
    body = {"household": grid["h1"].pk, "category": "medicine", "description": "胰岛素", "resident": grid["张三"].pk}
    first = api.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["status"], data["priority"], data["channels"], data["linked"], data["replayed"]) == (
        "new",
        "normal",
        ["api"],
        False,
        False,
    )
    retry = api.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert retry.status_code == 200 and retry.json()["id"] == data["id"] and retry.json()["replayed"] is True
    assert Intake.objects.count() == 1
    hotline = api.post(LIST, {**body, "channel": "hotline"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    assert hotline.status_code == 200 and hotline.json()["linked"] is True and hotline.json()["id"] == data["id"]
    assert sorted(api.get(detail(data["id"])).json()["channels"]) == ["api", "hotline"]
    bad = api.post(LIST, {**body, "category": "pizza", "resident": grid["王五"].pk}, format="json")
    assert bad.status_code == 400 and "category" in bad.json()
    assert api.post(LIST, {**body, "resident": grid["王五"].pk}, format="json").status_code == 400


def test_actions_and_timeline(grid, api_for):
    api = api_for(grid["staff_user"])
    pk = api.post(
        LIST, {"household": grid["h2"].pk, "category": "groceries", "description": "米"}, format="json"
    ).json()["id"]
    assert api.post(detail(pk, "start")).status_code == 409  # accept first
    assert api.post(detail(pk, "accept")).json()["status"] == "accepted"
    other = api_for(grid["cadre_user"])
    conflict = other.post(detail(pk, "accept"))
    assert conflict.status_code == 409 and "刘网格" in conflict.json()["detail"] or "staff" in conflict.json()["detail"]
    assert api.post(detail(pk, "triage"), {"priority": "urgent"}, format="json").json()["priority"] == "urgent"
    assert api.post(detail(pk, "fulfil"), {"note": "送到"}, format="json").json()["status"] == "fulfilled"
    assert api.post(detail(pk, "confirm"), {"note": "电话确认"}, format="json").json()["status"] == "confirmed"
    timeline = api.get(detail(pk, "timeline")).json()
    assert [e["kind"] for e in timeline] == ["received", "accepted", "triaged", "fulfilled", "confirmed"]
    closed = api.post(detail(pk, "close"), {"outcome": "other", "note": "x"}, format="json")
    assert closed.status_code == 409


def test_hand_off_over_the_api(grid, api_for):
    api = api_for(grid["staff_user"])
    pk = api.post(LIST, {"household": grid["h1"].pk, "category": "other", "description": "修门"}, format="json").json()[
        "id"
    ]
    api.post(detail(pk, "accept"))
    offered = api.post(detail(pk, "hand-off"), {"to": grid["cadre_user"].pk, "note": "换人"}, format="json")
    assert offered.status_code == 200 and offered.json()["assignee"] == grid["staff_user"].pk
    taken = api_for(grid["cadre_user"]).post(detail(pk, "accept"))
    assert taken.json()["assignee"] == grid["cadre_user"].pk


def test_scope_outsider_gets_404_and_empty_lists(grid, api_for, outsider, other_community_staff):
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="medicine", description="药", channel="qr"
    )
    for user in (outsider, other_community_staff):
        api = api_for(user)
        assert api.get(LIST).json()["count"] == 0
        assert api.get(detail(ticket.pk)).status_code == 404
        assert api.post(detail(ticket.pk, "accept")).status_code == 404
        assert api.get(detail(ticket.pk, "timeline")).status_code == 404
        assert api.get(reverse("api:exit-pass-list")).json()["count"] == 0
        assert api.get(reverse("api:supply-plan-list")).json()["count"] == 0
        created = api.post(
            LIST, {"household": grid["h1"].pk, "category": "medicine", "description": "x"}, format="json"
        )
        # a household out of scope is a field error worded like an unknown id (ids cannot be probed)
        assert (created.status_code, list(created.json())) == (400, ["household"])
    assert ServiceRequest.objects.count() == 1
    rep = api_for(grid["rep_user"])  # a representative sees their households' tickets only
    assert [r["id"] for r in rep.get(LIST).json()["results"]] == [ticket.pk]


def test_filters_and_passes_and_plans(grid, api_for, django_assert_max_num_queries):
    staff = grid["staff_user"]
    trip = service_request_create(
        actor=None, household=grid["h1"], category="medical_trip", description="透析", channel="qr"
    )
    service_request_accept(actor=staff, ticket=trip)
    exit_pass_issue(
        actor=staff,
        ticket=trip,
        resident=grid["张三"],
        destination="医院",
        purpose="透析",
        vehicle="保障车",
        first_day=dt.date.today() + dt.timedelta(days=1),
        days=3,
        every_days=2,
        window_start=dt.time(7),
        window_end=dt.time(12),
    )
    supply_plan_create(actor=staff, division=grid["compound_a"], day=dt.date.today(), name="第一批")
    for i in range(5):
        service_request_create(
            actor=None,
            household=grid["h2"] if i % 2 else grid["h1"],
            category=["other", "groceries", "medicine"][i % 3],
            description=f"#{i}",
            channel="qr",
        )
    api = api_for(staff)
    with django_assert_max_num_queries(12):
        body = api.get(LIST, {"page_size": 50}).json()
    assert body["count"] == 6
    assert api.get(LIST, {"category": "medical_trip"}).json()["count"] == 1
    assert api.get(LIST, {"mine": "true"}).json()["count"] == 1
    assert api.get(LIST, {"channel": "qr", "status": "new"}).json()["count"] == 5
    passes = api.get(reverse("api:exit-pass-list")).json()
    assert passes["count"] == 1 and len(passes["results"][0]["windows"]) == 3
    first = dt.date.today() + dt.timedelta(days=1)
    assert passes["results"][0]["windows"][0] == {  # local time, like every datetime of the API (never "Z")
        "starts_at": f"{first.isoformat()}T07:00:00+08:00",
        "ends_at": f"{first.isoformat()}T12:00:00+08:00",
    }
    assert passes["results"][0]["approved_at"].endswith("+08:00")
    plans = api.get(reverse("api:supply-plan-list")).json()
    assert plans["results"][0]["progress"]["total"] == 2
