"""The field-operations API: creates with idempotency keys, decisions, two-person approval, briefing."""

import pytest
from django.urls import reverse

from lianfang.fieldops.models import BulkStatusChange, IdempotencyKey, PassageRecord, ScreenedPerson
from lianfang.fieldops.services.gates import duty_roster_generate
from lianfang.fieldops.services.monitoring import home_monitoring_start
from lianfang.fieldops.services.patrols import checkpoint_create
from lianfang.fieldops.services.screened import screened_person_create
from lianfang.fieldops.tests.conftest import today

pytestmark = pytest.mark.django_db


def test_passage_create_is_idempotent(areas, gates, guard, population, api_for):
    api = api_for(guard.user)
    body = {"gate": gates["north"].pk, "direction": "out", "purpose": "shopping", "resident": population["张三"].pk}
    first = api.post(reverse("api:fieldops-passage-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    assert (first.json()["decision"], first.json()["reason_code"], first.json()["tier_key"]) == (
        "refused",
        "purpose_not_allowed",
        "sealed",
    )
    again = api.post(reverse("api:fieldops-passage-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert PassageRecord.objects.count() == 1
    other = api.post(
        reverse("api:fieldops-passage-list"),
        {**body, "purpose": "emergency"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    # without a key, each post is a new record; another key is another record
    api.post(reverse("api:fieldops-passage-list"), body, format="json")
    api.post(reverse("api:fieldops-passage-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert PassageRecord.objects.count() == 3
    assert IdempotencyKey.objects.filter(user=guard.user).count() == 2


def test_failed_create_is_not_remembered(areas, gates, guard, api_for):
    api = api_for(guard.user)
    bad = api.post(
        reverse("api:fieldops-passage-list"),
        {
            "gate": gates["north"].pk,
            "direction": "in",
            "purpose": "delivery",
            "visitor_name": "x",
            "visitor_phone": "123",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-9",
    )
    assert bad.status_code == 400 and "123" in bad.json()["visitor_phone"][0]
    good = api.post(
        reverse("api:fieldops-passage-list"),
        {"gate": gates["north"].pk, "direction": "in", "purpose": "delivery", "visitor_name": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-9",
    )
    assert good.status_code == 201


def test_person_create_and_two_person_bulk_via_api(population, community_staff, street_officer, api_for):
    api = api_for(community_staff)
    created = api.post(
        reverse("api:fieldops-person-list"),
        {"category": "inflow", "resident": population["张三"].pk, "origin": "上海市"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="p-1",
    )
    assert created.status_code == 201, created.json()
    person = created.json()
    assert (person["name"], person["id_number"], person["status"], person["precision"]) == (
        "张三",
        "1101**********002X",
        "pending",
        "household",
    )
    bulk = api.post(
        reverse("api:fieldops-bulk-list"),
        {"people": [person["id"]], "to_status": "home_monitoring", "reason_code": "other", "evidence": "上海来兰"},
        format="json",
    )
    assert bulk.status_code == 201
    self_approve = api.post(
        reverse("api:fieldops-bulk-approve", args=[bulk.json()["id"]]), {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert self_approve.status_code == 400 and "second person" in str(self_approve.json())
    approved = api_for(street_officer).post(
        reverse("api:fieldops-bulk-approve", args=[bulk.json()["id"]]), {"note": "同意"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    assert ScreenedPerson.objects.get(pk=person["id"]).status == "home_monitoring"
    again = api_for(street_officer).post(
        reverse("api:fieldops-bulk-approve", args=[bulk.json()["id"]]), {}, format="json"
    )
    assert again.status_code == 409
    assert again.json() == {"detail": "此批量变更已审批"}
    history = api.get(reverse("api:fieldops-person-history", args=[person["id"]])).json()
    assert [(h["from_status"], h["to_status"], h["bulk"]) for h in history] == [
        ("pending", "home_monitoring", BulkStatusChange.objects.get().pk)
    ]


def test_status_change_needs_evidence_via_api(population, community_staff, api_for):
    person = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["张三"],
    )
    api = api_for(community_staff)
    response = api.post(
        reverse("api:fieldops-person-status", args=[person.pk]),
        {"to_status": "home_monitoring", "reason_code": "other", "evidence": "   "},
        format="json",
    )
    assert response.status_code == 400 and "evidence" in response.json()


def test_roster_and_check_in_via_api(areas, gates, community_staff, guard, api_for):
    from lianfang.fieldops.models import DutyShift

    api = api_for(community_staff)
    report = api.post(
        reverse("api:fieldops-shift-generate"),
        {"within": gates["north"].path, "day": today().isoformat()},
        format="json",
    )
    assert report.status_code == 200 and report.json()["created"] == 3
    coverage = api.get(reverse("api:fieldops-gate-coverage"), {"within": gates["north"].path}).json()
    assert coverage[0]["uncovered_hours"] == 24.0
    shift = DutyShift.objects.filter(gate=gates["north"]).order_by("starts_at").last()
    assigned = api.post(reverse("api:fieldops-shift-assign", args=[shift.pk]), {"worker": guard.pk}, format="json")
    assert assigned.status_code == 200 and assigned.json()["worker_name"] == "刘守门"
    coverage = api.get(reverse("api:fieldops-gate-coverage"), {"within": gates["north"].path}).json()
    assert coverage[0]["uncovered_hours"] == 16.0


def test_briefing_via_api(areas, gates, community_staff, guard, population, api_for):
    import datetime as dt

    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=today())
    home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today() + dt.timedelta(days=2),
    )
    body = api_for(community_staff).get(reverse("api:fieldops-briefing"), {"within": "620103001001"}).json()
    sections = {s["key"]: s for s in body["sections"]}
    assert list(sections) == ["duty", "sampling", "deliveries", "check_ins", "disinfection"]
    assert sections["duty"]["count"] == 3 and all(i["late"] for i in sections["duty"]["items"])  # nobody assigned yet
    assert sections["check_ins"]["count"] == 1 and sections["check_ins"]["items"][0]["who"] == "张三"
    assert body["total"] == sum(s["count"] for s in body["sections"])


def test_checkpoint_scan_via_api(population, community_staff, guard, api_for):
    checkpoint = checkpoint_create(actor=community_staff, division=population["compound_a"], name="北门")
    checkpoint_create(actor=community_staff, division=population["compound_a"], name="南门")
    api = api_for(guard.user)
    scanned = api.post(reverse("api:fieldops-patrol-scan"), {"token": checkpoint.token}, format="json")
    assert scanned.status_code == 200 and [s["checkpoint"] for s in scanned.json()["scans"]] == [checkpoint.pk]
    finished = api.post(reverse("api:fieldops-patrol-finish", args=[scanned.json()["id"]]))
    assert finished.json()["status"] == "incomplete" and len(finished.json()["missed"]) == 1
    assert api.post(reverse("api:fieldops-patrol-scan"), {"token": "nope"}, format="json").status_code == 404
