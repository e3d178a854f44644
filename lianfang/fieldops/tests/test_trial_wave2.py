"""New-user trial and API fuzzer (second wave): a day before any field rule set, gate coverage's
parameters and local times, form errors, out-of-scope codes, the 403 reasons, labels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lianfang.fieldops import services
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db

NO_RULES_ZH = "2000-01-01 没有生效的一线工作规则（最早的一线工作规则于 2020-01-01 生效）。"
NO_RULES_EN = "No field rule set was in force on 2000-01-01 (the first took effect on 2020-01-01)."


def _first_effective():
    from lianfang.fieldops.models import FieldRuleSet

    return FieldRuleSet.objects.order_by("effective_from").first().effective_from.isoformat()


def test_gate_coverage_before_any_field_rule_set_is_a_400_naming_the_day(areas, gates, community_staff, api_for):
    first = _first_effective()
    api = api_for(community_staff)
    url = reverse("api:fieldops-gate-coverage")
    response = api.get(url, {"day": "2000-01-01"})
    assert response.status_code == 400
    assert response.json() == {"day": [NO_RULES_ZH.replace("2020-01-01", first)]}
    response = api.get(url, {"day": "2000-01-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"day": [NO_RULES_EN.replace("2020-01-01", first)]}


def test_roster_page_and_generate_before_any_field_rule_set(areas, gates, community_staff, client_for, api_for):
    first = _first_effective()
    response = client_for(community_staff).get("/fieldops/roster/", {"day": "2000-01-01"})
    assert response.status_code == 400
    assert NO_RULES_ZH.replace("2020-01-01", first) in response.content.decode()
    response = api_for(community_staff).post(
        reverse("api:fieldops-shift-generate"), {"within": gates["north"].path, "day": "2000-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"day": [NO_RULES_ZH.replace("2020-01-01", first)]}


def test_gate_coverage_refuses_parameters_it_does_not_take(areas, gates, community_staff, api_for):
    api = api_for(community_staff)
    url = reverse("api:fieldops-gate-coverage")
    response = api.get(url, {"on": "2000-01-01", "page_size": "5"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {
        "on": ["“on” is not a parameter of this endpoint (accepted: within, day)"],
        "page_size": ["“page_size” is not a parameter of this endpoint (accepted: within, day)"],
    }
    response = api.get(url, {"within": gates["north"].path, "day": today().isoformat()})
    assert response.status_code == 200 and isinstance(response.json(), list)


def test_gate_coverage_and_alert_detail_are_in_local_time(areas, gates, community_staff, l3_person, api_for):
    from lianfang.fieldops.models import Alert, AlertKind

    day = today()
    services.duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    api = api_for(community_staff)
    rows = api.get(reverse("api:fieldops-gate-coverage"), {"within": gates["north"].path}).json()
    gaps = rows[0]["gaps"]
    assert gaps and all(moment.endswith("+08:00") for pair in gaps for moment in pair)
    assert dt.datetime.fromisoformat(gaps[0][0]) == at(day, 0)
    services.duty_missed_flag(now=at(day, 9))
    alert = Alert.objects.get(kind=AlertKind.UNCOVERED_DUTY)
    assert alert.detail["starts_at"] == at(day, 8).isoformat()  # written in local time
    Alert.objects.filter(pk=alert.pk).update(detail={**alert.detail, "starts_at": "2026-11-30T00:00:00+00:00"})
    detail = api.get(reverse("api:fieldops-alert-detail", args=[alert.pk])).json()["detail"]
    assert detail["starts_at"] == "2026-11-30T08:00:00+08:00"  # a row written in UTC before is answered locally
