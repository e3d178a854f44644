"""Proactive care: daily check-ins in sealed areas, medicine run-out projection and refills (issue 7 §5)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lianfang.assistance.models import CareMedicine, CheckInTask, Notification, NotificationKind, ServiceRequest
from lianfang.assistance.services.base import StatusConflict
from lianfang.assistance.services.care import care_medicine_set, care_tick, check_in_done
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.tests.conftest import SHANGHAI

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 3, 28)
NOON = dt.datetime(2022, 3, 28, 12, tzinfo=SHANGHAI)


def test_run_out_projection_from_stock_and_dose(grid):
    medicine = care_medicine_set(
        actor=grid["staff_user"],
        resident=grid["张三"],
        name="硝苯地平缓释片",
        dose_per_day="1.5",
        stock="10",
        stock_counted_on=DAY,
    )
    assert (medicine.dose_per_day, medicine.stock, medicine.days_covered) == (Decimal("1.50"), Decimal("10.00"), 6)
    assert medicine.runs_out_on == dt.date(2022, 4, 3)  # 28, 29, 30, 31, 1, 2 covered: 3 April has no full dose
    again = care_medicine_set(
        actor=grid["staff_user"],
        resident=grid["张三"],
        name="硝苯地平缓释片",
        dose_per_day="1.5",
        stock="0",
        stock_counted_on=DAY,
    )
    assert again.pk == medicine.pk and again.runs_out_on == DAY
    with pytest.raises(ValidationError) as err:
        care_medicine_set(
            actor=grid["staff_user"], resident=grid["张三"], name="", dose_per_day="0", stock="-1", stock_counted_on=DAY
        )
    assert set(err.value.message_dict) == {"name", "dose_per_day", "stock"}


def test_refill_request_opens_before_the_medicine_runs_out_once(grid):
    medicine = care_medicine_set(
        actor=grid["staff_user"],
        resident=grid["张三"],
        name="二甲双胍",
        dose_per_day="2",
        stock="8",
        stock_counted_on=DAY,
    )  # runs out on 1 April; the rule set opens a refill 3 days before: 29 March
    assert care_tick(on=DAY, now=NOON).refills_opened == 0
    report = care_tick(on=DAY + dt.timedelta(days=1), now=NOON + dt.timedelta(days=1))
    assert (report.refills_opened, report.refills_linked) == (1, 0)
    medicine.refresh_from_db()
    ticket = medicine.refill_ticket
    assert (ticket.category, ticket.resident, ticket.intakes.get().channel, ticket.intakes.get().filed_by) == (
        "medicine",
        grid["张三"],
        "proactive",
        "system",
    )
    assert "2022-04-01" in ticket.description and "二甲双胍" in ticket.description
    assert Notification.objects.filter(
        ticket=ticket, kind=NotificationKind.REFILL, recipient_worker=grid["rep"]
    ).exists()
    # idempotent: the same day again, and later days while the stock was not recounted
    assert care_tick(on=DAY + dt.timedelta(days=2), now=NOON + dt.timedelta(days=2)).refills_opened == 0
    assert ServiceRequest.objects.filter(category="medicine").count() == 1
    # the refill is delivered and counted: the next projection starts from the new count
    care_medicine_set(
        actor=grid["staff_user"],
        resident=grid["张三"],
        name="二甲双胍",
        dose_per_day="2",
        stock="60",
        stock_counted_on=DAY + dt.timedelta(days=3),
    )
    assert care_tick(on=DAY + dt.timedelta(days=4), now=NOON + dt.timedelta(days=4)).refills_opened == 0


def test_refill_links_to_an_open_medicine_request(grid):
    open_request = service_request_create(
        actor=None, household=grid["h1"], category="medicine", description="要买感冒药", channel="qr", at=NOON
    )
    care_medicine_set(
        actor=grid["staff_user"],
        resident=grid["张三"],
        name="二甲双胍",
        dose_per_day="2",
        stock="2",
        stock_counted_on=DAY,
    )
    report = care_tick(on=DAY, now=NOON)
    assert (report.refills_opened, report.refills_linked) == (0, 1)
    assert CareMedicine.objects.get().refill_ticket_id == open_request.pk


def test_daily_check_ins_for_vulnerable_residents_of_sealed_areas(grid, sealed):
    care_medicine_set(
        actor=grid["staff_user"],
        resident=grid["李四"],
        name="胰岛素",
        dose_per_day="1",
        stock="30",
        stock_counted_on=DAY,
    )
    report = care_tick(on=DAY, now=NOON)
    # compound_a is sealed: 张三 lives alone (elderly), 李四 has medicines on file; 王五 (bedridden) is not sealed
    tasks = {t.resident.name: t for t in CheckInTask.objects.select_related("resident")}
    assert set(tasks) == {"张三", "李四"} and report.tasks_created == 2
    assert tasks["张三"].reasons == ["elderly_alone"] and tasks["李四"].reasons == ["chronic_illness"]
    assert tasks["张三"].worker == grid["rep"] and tasks["张三"].day == DAY
    assert care_tick(on=DAY, now=NOON).tasks_created == 0  # once a day
    assert care_tick(on=DAY + dt.timedelta(days=1), now=NOON + dt.timedelta(days=1)).tasks_created == 2
    task = tasks["张三"]
    done = check_in_done(
        actor=grid["rep_user"],
        task=task,
        result="needs_help",
        note="血压高，需要量血压的上门医生",
        category="medical_trip",
    )
    assert done.ticket.category == "medical_trip" and done.ticket.intakes.get().filed_by == "staff"
    with pytest.raises(StatusConflict):
        check_in_done(actor=grid["rep_user"], task=task, result="ok")
    with pytest.raises(ValidationError):
        check_in_done(actor=grid["rep_user"], task=tasks["李四"], result="needs_help", note="")


def test_no_check_ins_outside_sealed_areas(grid):
    assert care_tick(on=DAY, now=NOON).tasks_created == 0
