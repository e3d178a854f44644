"""Every API body's id field and date / date-and-time field refuses a value it cannot use with a 400
naming the field (the key) and the value — an id past 2**63 − 1, below 1 or not a whole number, a
day outside 0002-01-01 … 9998-12-31 — the same way query parameters are refused (core.filters), never
DRF's "无效主键" / "类型错误" nor a 500 (core.serializers, used by every app's input serializers)."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from lianfang.core.serializers import RowIdField, UsableDateField, UsableDateTimeField, VisiblePK

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
HUGE = "99999999999999999999"
BAD_IDS = [
    (HUGE, f"“{HUGE}”不是编号（数值过大）"),
    (-5, "“-5”不是编号（编号从1开始）"),
    ("abc", "“abc”不是编号（应为整数）"),
]
OUT_OF_RANGE = "“{}”超出可用的日期范围（0002-01-01 至 9998-12-31）"

# (path, body of valid-looking other fields, the id field); every endpoint answers 400 {field: [...]}
ID_ENDPOINTS = [
    ("/api/v1/fieldops/monitoring/", {"name": "x", "starts_on": "2026-11-30", "ends_on": "2026-12-01"}, "household"),
    ("/api/v1/fieldops/monitoring/", {"household": 1, "starts_on": "2026-11-30", "ends_on": "2026-12-01"}, "resident"),
    ("/api/v1/fieldops/passages/", {"direction": "in", "purpose": "resident"}, "gate"),
    ("/api/v1/fieldops/people/", {"category": "inflow"}, "household"),
    ("/api/v1/fieldops/people/", {"category": "close"}, "infection"),
    ("/api/v1/fieldops/check-ins/", {"temperature": "36.5"}, "monitoring"),
    ("/api/v1/fieldops/disinfection-logs/", {"performed_by": "x", "agent": "y", "concentration_mg_l": "5"}, "schedule"),
    ("/api/v1/fieldops/notices/", {"title": "t", "body": "b"}, "control_area"),
    ("/api/v1/service-requests/", {"category": "food"}, "household"),
    ("/api/v1/infections/", {"person_name": "x"}, "operation"),
    ("/api/v1/infections/", {"operation": 1, "person_name": "x"}, "household"),
    ("/api/v1/screening/rounds/", {"name": "r"}, "control_area"),
    ("/api/v1/screening/sites/", {"name": "s", "division": "620103001001"}, "round"),
    ("/api/v1/screening/desks/", {"name": "d"}, "site"),
]


def test_a_body_id_that_is_not_an_id_is_a_400_naming_field_and_value(population, district_commander, api_for):
    api = api_for(district_commander)
    answers = {}
    for number, (path, body, field) in enumerate(ID_ENDPOINTS):
        for value, _message in BAD_IDS:
            key = f"ids-{number}-{value}"  # screening's creates need one (and a new one per body)
            response = api.post(path, {**body, field: value}, format="json", HTTP_IDEMPOTENCY_KEY=key, **ZH)
            answers[(path, field, str(value))] = (response.status_code, response.json().get(field))
    assert answers == {
        (path, field, str(value)): (400, [message]) for path, body, field in ID_ENDPOINTS for value, message in BAD_IDS
    }


@pytest.mark.parametrize(("value", "message"), BAD_IDS)
def test_a_list_of_ids_names_the_position_of_the_bad_one(population, district_commander, api_for, value, message):
    body = {"people": [1, value], "to_status": "released", "reason_code": "other", "evidence": "e"}
    response = api_for(district_commander).post("/api/v1/fieldops/bulk-changes/", body, format="json", **ZH)
    assert response.status_code == 400
    assert response.json()["people"] == {"1": [message]}


def test_an_id_out_of_scope_or_missing_is_named_with_its_model(population, community_staff, api_for):
    body = {"household": 999999, "name": "x", "starts_on": "2026-11-30", "ends_on": "2026-12-01"}
    response = api_for(community_staff).post("/api/v1/fieldops/monitoring/", body, format="json", **ZH)
    assert response.status_code == 400
    assert response.json() == {"household": ["“999999”不是您可查看的住户的编号"]}
    response = api_for(community_staff).post(
        "/api/v1/fieldops/monitoring/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json() == {"household": ["“999999” is not the id of a household you may see"]}


DAY_ENDPOINTS = [
    ("/api/v1/fieldops/monitoring/", {"household": 1, "starts_on": "2026-11-30"}, "ends_on", "9999-12-31"),
    ("/api/v1/fieldops/people/", {"category": "inflow"}, "arrived_on", "0001-01-01"),
    ("/api/v1/infections/", {"operation": 1, "person_name": "x"}, "onset_on", "9999-12-31"),
    ("/api/v1/reports/daily/close/", {"code": "620103"}, "date", "0001-01-01"),
    (
        "/api/v1/fieldops/disinfection-logs/",
        {"schedule": 1, "performed_by": "x", "agent": "y", "concentration_mg_l": "5"},
        "done_at",
        "9999-12-31T23:00:00",
    ),
    ("/api/v1/screening/rounds/", {"name": "r", "codes": ["620103001001"]}, "deadline", "0001-01-01T00:00"),
    ("/api/v1/screening/rounds/", {"name": "r", "codes": ["620103001001"]}, "deadline", "9999-12-31T23:00-05:00"),
]


def test_a_body_day_outside_the_usable_range_is_a_400_naming_field_and_value(population, district_commander, api_for):
    api = api_for(district_commander)
    answers = {}
    for number, (path, body, field, value) in enumerate(DAY_ENDPOINTS):
        key = f"days-key-{number}"
        response = api.post(path, {**body, field: value}, format="json", HTTP_IDEMPOTENCY_KEY=key, **ZH)
        answers[(path, field, value)] = (response.status_code, response.json().get(field))
    assert answers == {(p, f, v): (400, [OUT_OF_RANGE.format(v)]) for p, _b, f, v in DAY_ENDPOINTS}


class _Body(serializers.Serializer):
    id = RowIdField(required=False)
    household = VisiblePK("registry.Household", required=False)
    day = UsableDateField(required=False)
    at = UsableDateTimeField(required=False)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"id": 1.5}, {"id": ["“1.5” is not an id (a whole number)"]}),
        ({"id": True}, {"id": ["“True” is not an id (a whole number)"]}),
        ({"id": [1]}, {"id": ["“[1]” is not an id (a whole number)"]}),
        ({"id": 0}, {"id": ["“0” is not an id (ids start at 1)"]}),
        ({"id": 2**63}, {"id": [f"“{2**63}” is not an id (too large)"]}),
        ({"household": "x"}, {"household": ["“x” is not an id (a whole number)"]}),
        ({"day": "9998-12-31", "at": "0002-01-01T00:00"}, {}),
        ({"at": "yesterday"}, {"at": ["“yesterday” is not a date and time (YYYY-MM-DDTHH:MM)"]}),
    ],
)
def test_core_body_fields(data, errors, settings):
    from django.utils import translation

    with translation.override("en"):
        body = _Body(data=data, context={})
        assert body.is_valid() == (not errors)
        assert {k: [str(m) for m in v] for k, v in body.errors.items()} == errors


def test_a_valid_id_and_days_still_pass():
    body = _Body(data={"id": "7", "day": "2026-11-30", "at": "2026-11-30T08:00"}, context={})
    assert body.is_valid(), body.errors
    assert body.validated_data["id"] == 7 and str(body.validated_data["day"]) == "2026-11-30"


# DRF's field class → core's, DateTimeField first (a DateTimeField is no DateField, but keep the order explicit)
CORE_FIELDS = [
    (serializers.DateTimeField, UsableDateTimeField),
    (serializers.DateField, UsableDateField),
    (serializers.RelatedField, VisiblePK),
]


def test_every_input_serializer_uses_cores_fields():
    """Writable date, date-and-time and related fields of every app's plain (input) serializers are
    core's (registry's serializers are another engineer's)."""
    import importlib
    import inspect

    from django.apps import apps

    offenders = []
    for config in apps.get_app_configs():
        if not config.name.startswith("lianfang.") or config.name == "lianfang.registry":
            continue
        try:
            module = importlib.import_module(f"{config.name}.api.serializers")
        except ModuleNotFoundError:
            continue
        for name, klass in inspect.getmembers(module, inspect.isclass):
            if not issubclass(klass, serializers.Serializer) or issubclass(klass, serializers.ModelSerializer):
                continue
            if klass.__module__ != module.__name__:
                continue
            for field_name, field in klass().fields.items():
                if field.read_only:
                    continue
                core_class = next((c for b, c in CORE_FIELDS if isinstance(field, b)), None)
                if core_class is not None and not isinstance(field, core_class):
                    offenders.append(f"{name}.{field_name}")
    assert offenders == []
