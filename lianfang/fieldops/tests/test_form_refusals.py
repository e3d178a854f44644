"""A value a fieldops form cannot use is a 400 naming the field and the value, and nothing is saved:
a temperature that is not a plausible reading, a worker / schedule / test id that is not one the
user sees, an implausible home monitoring period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lianfang.fieldops.models import DisinfectionLog, DutyShift, HealthCheckIn, HomeMonitoring
from lianfang.fieldops.services.gates import duty_roster_generate, duty_shift_assign
from lianfang.fieldops.services.monitoring import home_monitoring_start
from lianfang.fieldops.services.screened import screened_person_create
from lianfang.fieldops.tests.conftest import today

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _text(response) -> str:
    return response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")


@pytest.fixture
def monitoring(population, community_staff):
    return home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today() + dt.timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "“abc”不是体温读数（°C，34.0–43.0）"),
        ("", "须填写体温（°C，34.0–43.0）"),
        ("99999999999999999999", "99999999999999999999.0 °C 不是可能的体温（34.0–43.0 °C）"),
        ("-40", "-40.0 °C 不是可能的体温（34.0–43.0 °C）"),
    ],
)
def test_a_check_in_with_a_bad_temperature_is_a_400_and_saves_nothing(monitoring, guard, client_for, value, message):
    response = client_for(guard.user).post(
        reverse("fieldops:monitoring_check_in", args=[monitoring.pk]), {"temperature": value}, **ZH
    )
    assert response.status_code == 400
    text = _text(response)
    assert "temperature" in text
    assert message in text
    assert not HealthCheckIn.objects.exists()


def test_a_check_in_with_a_good_temperature_still_saves(monitoring, guard, client_for):
    response = client_for(guard.user).post(
        reverse("fieldops:monitoring_check_in", args=[monitoring.pk]), {"temperature": "36.6"}, **ZH
    )
    assert response.status_code == 302
    assert str(HealthCheckIn.objects.get().temperature) == "36.6"


def test_assigning_a_worker_that_is_not_an_id_is_a_400(areas, gates, community_staff, guard, client_for):
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=today())
    shift = DutyShift.objects.filter(gate=gates["north"]).order_by("starts_at").first()
    duty_shift_assign(actor=community_staff, shift=shift, worker=guard)
    client = client_for(community_staff)
    for value in ("abc", "99999999999999999999"):
        response = client.post(reverse("fieldops:shift_assign", args=[shift.pk]), {"worker": value}, **ZH)
        assert response.status_code == 400
        assert f"{value} 不存在或不在您的范围内" in _text(response)
        assert "worker" in _text(response)
        shift.refresh_from_db()
        assert shift.worker == guard  # the slot was not freed


def test_logging_a_schedule_that_is_not_an_id_is_a_400(population, community_staff, client_for):
    response = client_for(community_staff).post(
        reverse("fieldops:disinfection_action", args=["log"]),
        {"schedule": "abc", "performed_by": "刘", "agent": "84", "concentration_mg_l": "500"},
        **ZH,
    )
    assert response.status_code == 400
    assert "abc 不存在或不在您的范围内" in _text(response)
    assert "schedule" in _text(response)
    assert not DisinfectionLog.objects.exists()


def test_a_test_result_for_a_test_that_is_not_an_id_is_a_400(population, community_staff, client_for):
    person = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["李四"],
    )
    response = client_for(community_staff).post(
        reverse("fieldops:person_action", args=[person.pk, "test"]), {"test": "abc", "result": "negative"}, **ZH
    )
    assert response.status_code == 400
    assert "abc 不存在或不在您的范围内" in _text(response)


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "expected"),
    [
        (
            "0001-01-01",
            "9999-12-31",
            {
                "starts_on": ["“0001-01-01”超出可用的日期范围（0002-01-01 至 9998-12-31）"],
                "ends_on": ["“9999-12-31”超出可用的日期范围（0002-01-01 至 9998-12-31）"],
            },
        ),
    ],
)
def test_api_refuses_an_unusable_monitoring_period(population, community_staff, api_for, starts_on, ends_on, expected):
    body = {"household": population["h1"].pk, "name": "x", "starts_on": starts_on, "ends_on": ends_on}
    response = api_for(community_staff).post("/api/v1/fieldops/monitoring/", body, format="json", **ZH)
    assert response.status_code == 400
    assert response.json() == expected
    assert not HomeMonitoring.objects.exists()


def test_api_refuses_an_implausible_monitoring_period(population, community_staff, api_for):
    day = today()
    long_ago = day - dt.timedelta(days=400)
    api = api_for(community_staff)
    body = {"household": population["h1"].pk, "name": "x", "starts_on": str(long_ago), "ends_on": str(day)}
    response = api.post("/api/v1/fieldops/monitoring/", body, format="json", **ZH)
    assert response.status_code == 400
    errors = response.json()
    assert errors["starts_on"] == [f"“{long_ago}”早于今天（{day}）一年以上"]
    too_long = day + dt.timedelta(days=14)
    body = {"household": population["h1"].pk, "name": "x", "starts_on": str(day), "ends_on": str(too_long)}
    response = api.post("/api/v1/fieldops/monitoring/", body, format="json", **ZH)
    assert response.status_code == 400
    assert response.json()["ends_on"] == [f"“{too_long}”使居家健康监测自 {day} 起共 15 天；最多 14 天"]
    assert not HomeMonitoring.objects.exists()


def test_the_monitoring_form_refuses_an_implausible_period(population, community_staff, client_for):
    client = client_for(community_staff)
    day = today()
    too_long = day + dt.timedelta(days=30)
    client.post(
        reverse("fieldops:monitoring_start"),
        {"household": population["h1"].pk, "name": "x", "starts_on": str(day), "ends_on": str(too_long)},
        **ZH,
    )
    assert not HomeMonitoring.objects.exists()
    page = client.get(reverse("fieldops:monitoring"), **ZH)
    assert f"“{too_long}”使居家健康监测自 {day} 起共 31 天；最多 14 天" in _text(page)
