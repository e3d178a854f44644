"""An infection's days must lie near its operation and its note has a limit (new-user trial 12: the form
took “2002-03-28” and a 100,000-character note)."""

from __future__ import annotations

from django.urls import reverse

from lianfang.zones.models import Infection
from lianfang.zones.services import INFECTION_LOOKBACK_DAYS, INFECTION_NOTE_MAX


def _form(town, **extra):
    return {"person_name": "外来人员", "residence_code": town["units_c"][0].code, **extra}


def test_a_day_long_before_the_operation_is_refused_on_the_page(town, operation, district_commander, client_for):
    response = client_for(district_commander).post(
        reverse("zones:infection_new"), _form(town, positive_sample_on="2002-03-28", onset_on="2022-03-26")
    )
    assert response.status_code == 200 and not Infection.objects.exists()
    assert response.context["form"].errors["positive_sample_on"] == [
        f"“2002-03-28”已是行动开始（2022-03-27）之前 {INFECTION_LOOKBACK_DAYS} 天以上：请检查年份"
    ]
    # The edge: exactly the lookback before the start is still taken.
    ok = client_for(district_commander).post(reverse("zones:infection_new"), _form(town, onset_on="2022-02-25"))
    assert ok.status_code == 302 and Infection.objects.get().onset_on.isoformat() == "2022-02-25"


def test_a_note_over_the_limit_is_refused_on_the_page_and_by_the_api(
    town, operation, district_commander, client_for, api_for
):
    note = "长" * (INFECTION_NOTE_MAX + 1)
    page = client_for(district_commander).post(
        reverse("zones:infection_new"), _form(town, positive_sample_on="2022-03-28", note=note)
    )
    assert page.status_code == 200 and "note" in page.context["form"].errors
    payload = {
        "operation": operation.pk,
        "household": town["h4"].pk,
        "person_name": "孙七",
        "positive_sample_on": "2022-03-28",
        "note": note,
    }
    response = api_for(district_commander).post("/api/v1/infections/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["note"] == [f"备注有 {INFECTION_NOTE_MAX + 1} 个字符，最多 {INFECTION_NOTE_MAX} 个"]
    old = api_for(district_commander).post(
        "/api/v1/infections/", {**payload, "note": "", "positive_sample_on": "2012-03-28"}, format="json"
    )
    assert old.status_code == 400 and "2012-03-28" in old.json()["positive_sample_on"][0]
    assert not Infection.objects.exists()
