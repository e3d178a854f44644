"""New-user trial 15: bounds and clean text on the zones inputs (evidence people and days, the
approval's effective time, a resident's second infection, full-width residence codes, zero-width
text), on the pages, the API and the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from lianfang.core.forms import moment_text
from lianfang.registry.models import Resident
from lianfang.zones import selectors, services
from lianfang.zones.models import AreaStatus, Infection, ManualEvidence, RuleSet
from lianfang.zones.tests.conftest import at, d, infect, put_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"])
    return put_in_force(
        district_commander, operation, "sealed", [town["compound_a"]], day=d("2022-03-27"), infection=result.infection
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_evidence_people_out_of_range_is_a_form_error_not_a_500(sealed, district_commander, client_for):
    client = client_for(district_commander)
    url = reverse("zones:area_evidence", args=[sealed.pk])
    for people in ("99999999999999999999", "2147483648", "1000001", "-1"):
        response = client.post(
            url,
            {"kind": "round", "day": "2022-04-01", "all_negative": "on", "people": people, "reason": "lab report"},
            follow=True,
        )
        assert response.status_code == 200
        # the field named by its label; long digit runs are masked like an ID number (core.pii.quoted)
        assert [m.split("：")[0] for m in messages_of(response)] == ["人数"], (people, messages_of(response))
    assert ManualEvidence.objects.count() == 0
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.manual_evidence_add(
            actor=district_commander,
            area=sealed,
            kind="round",
            day=d("2022-04-01"),
            all_negative=True,
            people=2147483648,
            reason="lab report",
        )
    assert exc.value.message_dict == {"people": ["2147483648 is outside 0..1000000"]}


def test_evidence_days_before_the_operation_are_refused(sealed, district_commander):
    cases = (
        ("contacts", "1900-01-01", "“1900-01-01” is more than 30 days before the operation started (2022-03-27)"),
        ("round", "2022-03-20", "“2022-03-20” is before the operation started (2022-03-27)"),
    )
    for kind, day, message in cases:
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.manual_evidence_add(
                actor=district_commander, area=sealed, kind=kind, day=d(day), all_negative=True, people=3, reason="x"
            )
        assert exc.value.message_dict["day"][0].startswith(message)
    # a contact exposed shortly before the operation started is fine
    services.manual_evidence_add(
        actor=district_commander,
        area=sealed,
        kind="contacts",
        day=d("2022-03-25"),
        all_negative=True,
        people=3,
        reason="x",
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_merged_evidence_sources_read_as_words(sealed, language):
    with translation.override(language):
        label = selectors.evidence_source_label("fieldops, manual #1")
    expected = {"zh-hans": "密接排查记录、手工录入（#1）", "en": "contact tracing records, entered by hand (#1)"}
    assert label == expected[language]


def test_effective_from_far_ahead_or_before_the_operation_is_refused(town, operation, district_commander):
    proposal = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True).proposals[
        0
    ]
    ahead = timezone.now() + dt.timedelta(hours=25)
    for when, message in (
        (dt.datetime(2099, 1, 1, tzinfo=dt.UTC), "“2099-01-01 08:00” is more than 24 hours ahead"),
        (ahead, f"“{moment_text(ahead)}” is more than 24 hours ahead"),
        (at(d("2020-01-01")), "“2020-01-01 09:00” is before the operation started (2022-03-27)"),
    ):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.control_area_approve(actor=district_commander, area=proposal, effective_from=when)
        assert exc.value.message_dict["effective_from"][0].startswith(message)
    proposal.refresh_from_db()
    assert proposal.status == AreaStatus.PROPOSED
    services.control_area_approve(
        actor=district_commander, area=proposal, effective_from=timezone.now() + dt.timedelta(hours=2)
    )
    proposal.refresh_from_db()
    assert proposal.status == AreaStatus.ACTIVE


def test_approve_page_names_a_far_effective_from(town, operation, district_commander, client_for):
    proposal = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True).proposals[
        0
    ]
    response = client_for(district_commander).post(
        reverse("zones:area_approve", args=[proposal.pk]), {"effective_from": "2099-01-01T00:00"}, follow=True
    )
    assert any("2099-01-01 00:00" in m for m in messages_of(response)), messages_of(response)
    proposal.refresh_from_db()
    assert proposal.status == AreaStatus.PROPOSED


def test_a_resident_is_infected_once_per_operation(town, operation, district_commander, api_for):
    resident = Resident.objects.filter(household=town["h1"]).order_by("id").first()
    payload = {"operation": operation.pk, "resident": resident.pk, "positive_sample_on": "2022-03-28", "propose": False}
    api = api_for(district_commander)
    first = api.post("/api/v1/infections/", payload, format="json")
    assert first.status_code == 201, first.json()
    infection_id = first.json()["infection"]["id"]
    again = api.post("/api/v1/infections/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert again.json()["resident"] == [
        f"{resident.name} (resident {resident.pk}) is already recorded as infection #{infection_id} of this operation"
    ]
    assert Infection.objects.filter(resident=resident).count() == 1


def test_infection_page_refuses_the_same_resident_twice(town, operation, district_commander, client_for):
    resident = Resident.objects.filter(household=town["h1"]).order_by("id").first()
    client = client_for(district_commander)
    data = {"resident": resident.pk, "positive_sample_on": "2022-03-28"}
    assert client.post(reverse("zones:infection_new"), data).status_code == 302
    response = client.post(reverse("zones:infection_new"), data)
    assert response.status_code == 200
    assert any(f"#{Infection.objects.get().pk}" in e for e in response.context["form"].non_field_errors())


def test_full_width_residence_code_reads_as_digits(town, operation, district_commander, client_for, api_for):
    code = town["units_c"][0].code
    wide = code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    response = client_for(district_commander).post(
        reverse("zones:infection_new"),
        {"person_name": "访客", "residence_code": wide, "positive_sample_on": "2022-03-28"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Infection.objects.get().path == code
    body = {
        "operation": operation.pk,
        "person_name": "访客乙",
        "residence": wide,
        "positive_sample_on": "2022-03-28",
        "propose": False,
        "places": [{"code": "６２０１０３００２００１", "kind": "workplace"}],
    }
    created = api_for(district_commander).post("/api/v1/infections/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["infection"]["residence"] == code
    assert created.json()["infection"]["places"][0]["code"] == "620103002001"


def test_zero_width_only_text_is_refused(sealed, town, operation, qilihe, district_commander):
    zero_width = "\u200b\u200b"
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            infect(district_commander, operation, day=d("2022-03-28"), residence=town["units_c"][0], name=zero_width)
        assert exc.value.message_dict["person_name"] == ["must not contain control characters (U+200B)."]
        with pytest.raises(ValidationError) as exc:
            services.manual_evidence_add(
                actor=district_commander, area=sealed, kind="contacts", all_negative=True, reason=zero_width
            )
        assert exc.value.message_dict == {"reason": ["must not contain control characters (U+200B)."]}
        variant = services.rule_set_copy(
            actor=district_commander,
            rule_set=RuleSet.objects.get(key="nhc-9th"),
            key="qilihe-9",
            name="本地",
            name_en="Local",
            district=qilihe,
        )
        with pytest.raises(ValidationError) as exc:
            services.rule_set_update(actor=district_commander, rule_set=variant, values={}, reason=zero_width)
        assert exc.value.message_dict == {"reason": ["must not contain control characters (U+200B)."]}
