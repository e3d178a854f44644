"""A calendar-valid day at the edge of Python's range (9999-12-31, 0001-01-01) is a 400 naming the
parameter and the value on pages, forms and the API, never a 500 OverflowError (core.filters.validate_usable_day)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
TOO_LATE = "“9999-12-31”超出可用的日期范围（0002-01-01 至 9998-12-31）"
TOO_EARLY = "“0001-01-01”超出可用的日期范围（0002-01-01 至 9998-12-31）"


@pytest.mark.parametrize(
    ("url", "params", "name"),
    [
        ("zones:index", {"active_on": "9999-12-31"}, "active_on"),
        ("zones:map", {"day": "9999-12-31"}, "day"),
        ("zones:tiers", {"within": "620103", "day": "9999-12-31"}, "day"),
        ("fieldops:roster", {"within": "620103", "day": "9999-12-31"}, "day"),
    ],
)
def test_pages_refuse_a_day_past_the_usable_range(population, district_commander, client_for, url, params, name):
    response = client_for(district_commander).get(reverse(url), params, **ZH)
    assert response.status_code == 400
    text = response.content.decode()
    assert TOO_LATE.replace("“", "&ldquo;").replace("”", "&rdquo;") in text or TOO_LATE in text
    assert name in text


def test_roster_generation_refuses_a_day_past_the_usable_range(population, community_staff, client_for):
    response = client_for(community_staff).post(
        reverse("fieldops:roster_generate"), {"within": "620103001001", "day": "9999-12-31"}, **ZH
    )
    assert response.status_code == 400
    assert TOO_LATE in response.content.decode()


def test_map_data_refuses_a_day_past_the_usable_range(population, district_commander, client_for):
    response = client_for(district_commander).get(reverse("zones:map_data"), {"day": "9999-12-31"}, **ZH)
    assert response.status_code == 400
    assert response.json() == {"day": [TOO_LATE]}


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/api/v1/control-areas/", {"active_on": "9999-12-31"}, {"active_on": [TOO_LATE]}),
        ("/api/v1/fieldops/briefing/", {"day": "9999-12-31"}, {"day": [TOO_LATE]}),
        ("/api/v1/fieldops/briefing/", {"day": "0001-01-01"}, {"day": [TOO_EARLY]}),
        ("/api/v1/fieldops/gates/coverage/", {"day": "9999-12-31"}, {"day": [TOO_LATE]}),
    ],
)
def test_api_refuses_a_day_outside_the_usable_range(population, district_commander, api_for, path, params, expected):
    response = api_for(district_commander).get(path, params, **ZH)
    assert response.status_code == 400
    assert response.json() == expected


def test_api_shift_generation_refuses_a_day_past_the_usable_range(population, community_staff, api_for):
    response = api_for(community_staff).post(
        "/api/v1/fieldops/shifts/generate/", {"within": "620103001001", "day": "9999-12-31"}, format="json", **ZH
    )
    assert response.status_code == 400
    assert response.json()["day"] == [TOO_LATE]


def test_gate_and_schedule_counts_carry_their_real_limits(population):
    """The model fields (and so the API's model serializers and the admin) know 1 … 20 guards and
    1 … 168 hours, not 0 … 2**63 − 1."""
    from django.core.exceptions import ValidationError

    from lianfang.fieldops import models as m
    from lianfang.fieldops.api.serializers import DisinfectionScheduleSerializer, GateSerializer

    gate_field = GateSerializer().fields["guards_per_shift"]
    assert (gate_field.min_value, gate_field.max_value) == (1, 20)
    hours_field = DisinfectionScheduleSerializer().fields["interval_hours"]
    assert (hours_field.min_value, hours_field.max_value) == (1, 168)
    with pytest.raises(ValidationError) as exc:
        m.Gate._meta.get_field("guards_per_shift").run_validators(10**20)
    assert exc.value.messages == ["Ensure this value is less than or equal to 20."]
    for bad in (-4, 0):
        with pytest.raises(ValidationError) as exc:
            m.DisinfectionSchedule._meta.get_field("interval_hours").run_validators(bad)
        assert exc.value.messages == ["Ensure this value is greater than or equal to 1."]
