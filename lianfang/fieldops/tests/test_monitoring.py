"""Home health monitoring: daily check-ins by the resident or a worker, misses flagged to the
household representative, abnormal readings raising a medical request; disinfection schedules."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from lianfang.fieldops import selectors
from lianfang.fieldops.models import Alert, AlertKind, DisinfectionSchedule, HealthCheckIn
from lianfang.fieldops.services.disinfection import (
    disinfection_log_record,
    disinfection_overdue_flag,
    disinfection_schedule_create,
    disinfection_schedules_generate,
)
from lianfang.fieldops.services.monitoring import health_check_in_record, home_monitoring_start, monitoring_missed_flag
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests with Accept-Language: en leave English active in this thread; restore it after."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def monitoring(population, community_staff):
    day = today()
    return home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=day - dt.timedelta(days=2),
        ends_on=day + dt.timedelta(days=4),
        reason="外地返兰",
    )


def test_worker_checks_in_on_behalf(monitoring, guard):
    check_in = health_check_in_record(actor=guard.user, monitoring=monitoring, temperature="36.6", at=at(today(), 9))
    assert (check_in.temperature, check_in.abnormal, check_in.source, check_in.recorded_by) == (
        Decimal("36.6"),
        False,
        "worker",
        guard.user,
    )
    with pytest.raises(ValidationError) as exc:
        health_check_in_record(actor=guard.user, monitoring=monitoring, temperature="36.7", at=at(today(), 15))
    assert "09:00" in exc.value.message_dict["day"][0]


def test_resident_checks_in_without_an_account(monitoring):
    check_in = health_check_in_record(
        actor=None, monitoring=monitoring, temperature=36.4, source="resident", at=at(today(), 8)
    )
    assert (check_in.source, check_in.recorded_by) == ("resident", None)


def test_full_width_digits_are_read(monitoring, guard):
    """New-user trial 13: a phone's Chinese keyboard typed "３６．５" and was refused."""
    typed = "３６．５"
    check_in = health_check_in_record(actor=guard.user, monitoring=monitoring, temperature=typed, at=at(today(), 9))
    assert check_in.temperature == Decimal("36.5")


@pytest.mark.parametrize(
    "temperature,symptoms,message",
    [("45.9", [], "45.9"), ("hot", [], "hot"), ("36.5", ["sneezing"], "sneezing")],
)
def test_bad_readings_are_refused_naming_the_value(monitoring, guard, temperature, symptoms, message):
    with pytest.raises(ValidationError) as exc:
        health_check_in_record(actor=guard.user, monitoring=monitoring, temperature=temperature, symptoms=symptoms)
    assert message in str(exc.value)
    assert HealthCheckIn.objects.count() == 0


@pytest.mark.parametrize(
    ("temperature", "shown"),
    [("NaN", "“NaN”"), ("Infinity", "“Infinity”"), ("1e999", "“1e999”"), ("80", "80.0"), ("20", "20.0")],
)
def test_api_refuses_impossible_temperatures_with_400(monitoring, guard, api_for, temperature, shown):
    """Not a number, not finite, or outside 34.0–43.0 °C (services.monitoring.TEMPERATURE_RANGE): 400 naming the
    value and the range, nothing stored."""
    response = api_for(guard.user).post(
        "/api/v1/fieldops/check-ins/",
        {"monitoring": monitoring.pk, "temperature": temperature},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["temperature"])
    assert shown in message and "34.0–43.0" in message
    assert "''" not in message
    assert HealthCheckIn.objects.count() == 0


def test_abnormal_reading_raises_a_request_and_alerts_the_representative(monitoring, representative):
    check_in = health_check_in_record(
        actor=None, monitoring=monitoring, temperature="37.3", symptoms=["cough"], source="resident", at=at(today(), 8)
    )
    assert check_in.abnormal
    alert = Alert.objects.get(kind=AlertKind.ABNORMAL_READING)
    assert (alert.recipient, alert.household, alert.detail["temperature"]) == (
        representative,
        monitoring.household,
        "37.3",
    )
    from lianfang.fieldops import adapters

    if adapters.available()["service_request_create"]:
        from lianfang.assistance.models import ServiceRequest

        ticket = ServiceRequest.objects.get(household=monitoring.household)
        assert check_in.service_request_ref == ticket.reference
        assert (ticket.category, ticket.channel if hasattr(ticket, "channel") else "monitoring") == (
            "medical_trip",
            "monitoring",
        )


def test_symptom_alone_is_abnormal(monitoring):
    check_in = health_check_in_record(
        actor=None, monitoring=monitoring, temperature="36.5", symptoms=["loss_of_smell"], source="resident"
    )
    assert check_in.abnormal


def test_missed_check_ins_flagged_to_the_representative_once(monitoring, representative, population):
    day = today()
    other = home_monitoring_start(
        actor=None,
        household=population["h3"],
        resident=population["王五"],
        starts_on=day - dt.timedelta(days=1),
        ends_on=day,
    )
    health_check_in_record(actor=None, monitoring=monitoring, temperature="36.5", source="resident", at=at(day, 8))
    # before the deadline (20:00) only yesterday counts: both were missed yesterday
    assert monitoring_missed_flag(now=at(day, 12)) == 2
    rows = {a.household_id: a for a in Alert.objects.filter(kind=AlertKind.MONITORING_MISSED)}
    assert rows[population["h1"].pk].recipient == representative
    assert rows[population["h3"].pk].recipient is None  # nobody responsible for h3: a gap, shown to the community
    assert rows[population["h1"].pk].detail["day"] == (day - dt.timedelta(days=1)).isoformat()
    # after 20:00 today's missing check-in of h3 is flagged too; h1 checked in today
    assert monitoring_missed_flag(now=at(day, 20, 30)) == 1
    assert monitoring_missed_flag(now=at(day, 21)) == 0
    assert Alert.objects.filter(kind=AlertKind.MONITORING_MISSED).count() == 3
    assert other.pk in {a.detail["monitoring"] for a in Alert.objects.filter(kind=AlertKind.MONITORING_MISSED)}


def test_household_monitorings_for_the_qr_page(monitoring, population):
    rows = selectors.household_monitorings(population["h1"], day=today())
    assert [(m.name, m.checked_in) for m in rows] == [("张三", None)]


# ------------------------------------------------------------------------------------------ disinfection


def test_schedules_for_sealed_and_controlled_compounds(areas, population, district_commander):
    counts = disinfection_schedules_generate(actor=district_commander, code="620103")
    assert counts == {"created": 8, "tightened": 0, "places": 2}
    intervals = dict(DisinfectionSchedule.objects.values_list("path", "interval_hours").distinct())
    assert intervals == {population["compound_a"].code: 12, population["compound_b"].code: 24}
    assert disinfection_schedules_generate(actor=district_commander, code="620103")["created"] == 0


def test_overdue_disinfection_is_flagged(areas, population, community_staff, guard, l3_person):
    schedule = disinfection_schedule_create(
        actor=community_staff, division=population["compound_a"], place="电梯", interval_hours=12
    )
    now = schedule.created_at
    disinfection_log_record(
        actor=guard.user,
        schedule=schedule,
        performed_by="刘守门",
        agent="含氯消毒剂",
        concentration_mg_l="500",
        done_at=now - dt.timedelta(hours=1),
    )
    rows = selectors.schedules_with_due(DisinfectionSchedule.objects.all(), now=now + dt.timedelta(hours=10))
    assert [(r.overdue, r.due_at) for r in rows] == [(False, now + dt.timedelta(hours=11))]
    later = now + dt.timedelta(hours=12)
    assert disinfection_overdue_flag(now=later) == 1
    assert disinfection_overdue_flag(now=later + dt.timedelta(hours=1)) == 0
    alert = Alert.objects.get(kind=AlertKind.DISINFECTION_OVERDUE)
    assert (alert.recipient, alert.message) == (l3_person, "阳光小区 电梯")


def test_disinfection_log_refuses_bad_concentration(population, community_staff, guard):
    schedule = disinfection_schedule_create(
        actor=community_staff, division=population["compound_a"], place="垃圾收集点", interval_hours=24
    )
    with pytest.raises(ValidationError) as exc:
        disinfection_log_record(
            actor=guard.user, schedule=schedule, performed_by="刘", agent="84", concentration_mg_l="-5"
        )
    assert "-5" in exc.value.message_dict["concentration_mg_l"][0]


def test_disinfection_done_in_the_future_is_refused_quoting_the_time(population, community_staff, guard):
    """The value refused is quoted as every date message quotes it: “2026-12-01 10:00”."""
    schedule = disinfection_schedule_create(
        actor=community_staff, division=population["compound_a"], place="楼道", interval_hours=24
    )
    later = schedule.created_at + dt.timedelta(days=2)
    shown = timezone.localtime(later).strftime("%Y-%m-%d %H:%M")
    done = {"performed_by": "刘", "agent": "84", "concentration_mg_l": "500", "done_at": later}
    for language, message in (("zh-hans", f"“{shown}”尚未到来"), ("en", f"“{shown}” is in the future")):
        with translation.override(language), pytest.raises(ValidationError) as exc:
            disinfection_log_record(actor=guard.user, schedule=schedule, **done)
        assert exc.value.message_dict == {"done_at": [message]}
