"""A desk registers only whom its operator may register, and tells no more than the operator needs
(new-user trial, P1): a resident picked by id must be visible to the caller AND in the round's
population, else the answer is the one for an unknown id; a person from elsewhere scanned by ID
number is sampled (flagged) but the answer shows no registry detail the caller could not see."""

import pytest
from django.urls import reverse

from lianfang.conftest import make_compound
from lianfang.screening.models import Sample
from lianfang.screening.services.base import echo
from lianfang.screening.tests.conftest import key, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(population):
    """A resident of 西园街道 outside the round's two communities."""
    from lianfang.divisions.models import Division
    from lianfang.registry.services import household_create, resident_create, validate_resident

    community = (
        Division.objects.filter(code__startswith="620103001", code__regex=r"^\d{12}$")
        .exclude(code__in=["620103001001", "620103001002"])
        .order_by("code")
        .first()
    )
    _compound, units = make_compound(community, 1, "远方小区")
    household = household_create(actor=None, node=units[0], room="909", contact_name="钱七", phone="13612345678")
    data = validate_resident(name="钱七", document_number="620103197707070013", phone="")
    return resident_create(actor=None, household=household, data=data)


def _post(api, desk, value, kind="resident", tube="QLH0299002", **extra):
    body = {"desk": desk.pk, "kind": kind, "value": value, "tube": tube, **extra}
    return api.post(reverse("api:screening-sample-list"), body, format="json", HTTP_IDEMPOTENCY_KEY=key())


def test_resident_pick_outside_scope_or_round_answers_as_unknown(
    desk, population, elsewhere, community_staff, district_commander, api_for
):
    api = api_for(community_staff)  # 下西园 only; the round covers 下西园 and 上西园
    unknown = _post(api, desk, "99999999")
    assert unknown.status_code == 409 and unknown.json()["code"] == "not_found"
    hidden = _post(api, desk, str(population["王芳"].pk))  # in the round, not visible to the caller
    assert hidden.status_code == 409
    assert {k: v for k, v in hidden.json().items() if k != "message"} == {
        k: v for k, v in unknown.json().items() if k != "message"
    }
    pk = str(population["王芳"].pk)
    assert hidden.json()["message"].replace(echo(pk), "N") == unknown.json()["message"].replace(echo("99999999"), "N")
    commander = api_for(district_commander)  # sees the resident, who is not in the round
    outside = _post(commander, desk, str(elsewhere.pk))
    assert outside.status_code == 409 and outside.json()["code"] == "not_found"
    assert not Sample.objects.filter(resident__in=[population["王芳"], elsewhere]).exists()
    mine = _post(api, desk, str(population["李四"].pk))
    assert mine.status_code == 201, mine.json()
    assert mine.json()["people"][0]["name"] == "李*"


def test_id_scan_of_someone_from_elsewhere_is_sampled_without_registry_details(
    desk, population, elsewhere, community_staff
):
    status, body = submit(community_staff, desk, "scan", "620103199001010026")  # 王芳, 上西园: in the round
    assert status == 201
    assert body["people"] == [
        {"name": "(registered outside your area)", "id": body["people"][0]["id"], "unregistered": False, "guardian": ""}
    ]
    assert body["people"][0]["id"].startswith("6201") and "王" not in str(body)
    status, body = submit(community_staff, desk, "scan", "620103197707070013", tube="tube-2")  # 钱七, elsewhere
    assert status == 201
    assert "钱" not in str(body)
    assert body["warnings"] == ["(registered outside your area) lives outside this round's area"]
    assert Sample.objects.get(resident=elsewhere).member_id is None  # kept, flagged


def test_household_qr_from_elsewhere_shows_no_names(desk, population, community_staff):
    from lianfang.screening.services.scans import household_qr_payload

    desk.mode = "household"
    desk.save()
    status, body = submit(community_staff, desk, "scan", household_qr_payload(population["h3"]))
    assert status == 201, body
    assert len(body["people"]) == 3
    assert {p["name"] for p in body["people"]} == {"(registered outside your area)"}
    assert "王" not in str(body)


def test_name_search_lists_only_pickable_residents(desk, population, elsewhere, district_commander, client_for):
    client = client_for(district_commander)
    url = reverse("screening:station_search", args=["desk", desk.pk])
    assert f'data-resident="{elsewhere.pk}"' not in client.get(url + "?q=钱").content.decode()  # outside the round
    assert f'data-resident="{population["李四"].pk}"' in client.get(url + "?q=李").content.decode()
