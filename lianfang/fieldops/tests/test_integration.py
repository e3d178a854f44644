"""Field operations with the other apps for real: medical exit passes at the gate, an emergency
ticket alerting the gate, the household QR page's notices, and the tick command."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from lianfang.fieldops import adapters
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.models import Alert, AlertKind, DutyShift
from lianfang.fieldops.services.monitoring import home_monitoring_start
from lianfang.fieldops.services.notices import notice_create, notice_publish
from lianfang.fieldops.services.passages import passage_register
from lianfang.fieldops.tests.conftest import today

pytestmark = pytest.mark.django_db
needs_assistance = pytest.mark.skipif(
    not all(adapters.available().values()), reason="the assistance app provides passes, tickets and hooks"
)


@needs_assistance
def test_medical_exit_pass_opens_a_sealed_gate(areas, gates, guard, population, community_staff):
    from lianfang.assistance.services.intake import service_request_create
    from lianfang.assistance.services.lifecycle import service_request_accept
    from lianfang.assistance.services.passes import exit_pass_issue

    resident = population["张三"]
    ticket = service_request_create(
        actor=community_staff,
        household=resident.household,
        category="medical_trip",
        description="每周透析",
        resident=resident,
    )
    service_request_accept(actor=community_staff, ticket=ticket)
    exit_pass = exit_pass_issue(
        actor=community_staff,
        ticket=ticket,
        resident=resident,
        destination="兰大二院",
        purpose="透析",
        vehicle="社区专车",
        first_day=today(),
        days=1,
        window_start=dt.time(0, 0),
        window_end=dt.time(23, 59),
    )
    allowed = passage_register(
        actor=guard.user, gate=gates["north"], direction="out", purpose="medical", resident=resident
    )
    assert (allowed.decision, allowed.reason_code, allowed.pass_valid, allowed.pass_ref) == (
        "allowed",
        "valid_pass",
        True,
        exit_pass.number,
    )
    # the pass is the resident's: their son has none
    refused = passage_register(
        actor=guard.user, gate=gates["north"], direction="out", purpose="medical", resident=population["张小明"]
    )
    assert (refused.decision, refused.reason_code) == ("refused", "pass_required")
    # a pass number that does not exist is recorded as invalid
    fake = passage_register(
        actor=guard.user,
        gate=gates["north"],
        direction="out",
        purpose="medical",
        visitor_name="某人",
        pass_ref="P00000000-999999",
    )
    assert (fake.decision, fake.pass_valid) == ("refused", False)


@needs_assistance
def test_emergency_ticket_alerts_the_gate(
    areas, gates, population, community_staff, django_capture_on_commit_callbacks
):
    from lianfang.assistance.services.intake import service_request_create

    with django_capture_on_commit_callbacks(execute=True):
        ticket = service_request_create(
            actor=community_staff, household=population["h1"], category="emergency_medical", description="胸痛"
        )
    alert = Alert.objects.get(kind=AlertKind.EMERGENCY)
    assert (alert.gate, alert.household, alert.detail["reference"], alert.detail["reason"]) == (
        gates["north"],
        population["h1"],
        ticket.reference,
        "intake",
    )


@needs_assistance
def test_household_qr_page_shows_notices(population, community_staff):
    from lianfang.assistance.hooks import household_notices

    notice = notice_create(
        actor=community_staff, title="核酸检测", body="今晚全员核酸", division=population["compound_a"]
    )
    assert household_notices(population["h1"]) == []  # a draft is not shown
    notice_publish(actor=community_staff, notice=notice)
    home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today(),
    )
    titles = [n.title for n in household_notices(population["h1"])]
    assert titles == ["核酸检测", "Home health monitoring"]
    assert [n.title for n in household_notices(population["h3"])] == []  # another community


def test_tick_command_is_idempotent(areas, gates, community_staff, guard, l3_person, population, capsys):
    home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today() - dt.timedelta(days=1),
        ends_on=today(),
    )
    call_command("fieldops_tick", "--roster-days", "2", "--schedules")
    first = capsys.readouterr().out
    assert "roster_slots_created=18" in first  # 2 days × (3 shifts × 1 guard + 3 shifts × 2 guards)
    # Yesterday's missing check-in always counts; today's once the rule set's deadline hour has passed.
    late = timezone.localtime().hour >= field_rules.in_force(today()).check_in_deadline_hour
    assert "schedules_created=8" in first and f"monitoring_missed={2 if late else 1}" in first
    call_command("fieldops_tick", "--roster-days", "2", "--schedules")
    second = capsys.readouterr().out
    assert "roster_slots_created=0" in second and "schedules_created=0" in second and "monitoring_missed=0" in second
    assert DutyShift.objects.count() == 18
    assert Alert.objects.filter(kind=AlertKind.MONITORING_MISSED).count() == (2 if late else 1)
