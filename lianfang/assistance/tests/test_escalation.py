"""Escalation up the responsibility chain by ``requests_tick`` (issue 7 §3)."""

import io

import pytest
from django.core.management import call_command

from lianfang.assistance.models import Category, EventKind, Notification, NotificationKind, ServiceRequest
from lianfang.assistance.services.escalation import requests_tick
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import (
    service_request_accept,
    service_request_close,
    service_request_hand_off,
    service_request_on_site,
)
from lianfang.assistance.tests.conftest import at
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def emergency(grid, household="h1", minutes=0):
    return service_request_create(
        actor=None,
        household=grid[household],
        category=Category.EMERGENCY_MEDICAL,
        description="老人摔倒",
        channel="qr",
        at=at(minutes),
    )


def state(ticket):
    t = ServiceRequest.objects.get(pk=ticket.pk)
    return t.escalation_level, t.routed_worker, t.routed_level, t.next_escalation_at


def test_an_unaccepted_emergency_climbs_the_chain_with_notifications(
    grid, emergencies, django_capture_on_commit_callbacks
):
    ticket = emergency(grid)
    assert state(ticket) == (4, grid["rep"], 4, at(5))
    report = requests_tick(now=at(4))
    assert (report.checked, report.escalated) == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        report = requests_tick(now=at(5))
    assert (report.checked, report.escalated, report.by_level, report.emergency_alerts) == (1, 1, {3: 1}, 1)
    assert state(ticket) == (3, grid["staff"], 3, at(10))
    note = Notification.objects.get(ticket=ticket, kind=NotificationKind.ESCALATION)
    assert (note.level, note.recipient_worker, note.recipient_user) == (3, grid["staff"], grid["staff_user"])
    assert emergencies[-1] == (ticket.number, "escalation", grid["compound_a"].code)
    requests_tick(now=at(10))
    assert state(ticket) == (2, grid["cadre"], 2, at(15))
    requests_tick(now=at(15))
    assert state(ticket) == (1, grid["leader"], 1, None)
    assert requests_tick(now=at(500)).checked == 0  # at the top of the chain: nothing more to do
    events = list(ticket.events.filter(kind=EventKind.ESCALATED).values_list("level", "detail"))
    assert [level for level, _ in events] == [3, 2, 1]
    assert events[0][1] == {
        "from": 4,
        "to": 3,
        "overdue": ["accept"],
        "routed_worker": grid["staff"].pk,
        "routed_level": 3,
    }
    assert AuditEntry.objects.filter(object_id=str(ticket.pk), action="escalate").count() == 3
    levels = list(
        Notification.objects.filter(ticket=ticket, kind=NotificationKind.ESCALATION)
        .order_by("id")
        .values_list("level", "recipient_worker")
    )
    assert levels == [(3, grid["staff"].pk), (2, grid["cadre"].pk), (1, grid["leader"].pk)]


def test_tick_is_idempotent_and_catches_up_after_downtime(grid):
    ticket = emergency(grid)
    first = requests_tick(now=at(12))  # the cron job was down: straight to the level due now
    again = requests_tick(now=at(12))
    assert (first.escalated, first.by_level, again.checked, again.escalated) == (1, {2: 1}, 0, 0)
    assert state(ticket) == (2, grid["cadre"], 2, at(15))
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_accepting_stops_the_accept_clock_but_the_on_site_clock_runs(grid):
    ticket = emergency(grid)
    requests_tick(now=at(6))
    service_request_accept(actor=grid["staff_user"], ticket=ticket, at=at(7))
    assert state(ticket)[3] == at(15)  # next: the on-site deadline
    requests_tick(now=at(14))
    assert state(ticket)[0] == 3
    requests_tick(now=at(15))
    assert state(ticket)[:3] == (2, grid["cadre"], 2)  # the late crew adds a level to the late acceptance
    service_request_on_site(actor=grid["staff_user"], ticket=ticket, at=at(16))
    assert state(ticket)[3] is None
    assert requests_tick(now=at(100)).checked == 0


def test_reassignment_never_resets_a_clock(grid):
    ticket = service_request_create(
        actor=None,
        household=grid["h1"],
        category=Category.MEDICINE,
        description="胰岛素",
        channel="qr",
        resident_urgency="urgent",
        at=at(0),
    )
    staff, cadre = grid["staff_user"], grid["cadre_user"]
    service_request_accept(actor=staff, ticket=ticket, at=at(10))
    service_request_hand_off(actor=staff, ticket=ticket, to=cadre, at=at(200))
    service_request_accept(actor=cadre, ticket=ticket, at=at(230))
    fresh = ServiceRequest.objects.get(pk=ticket.pk)
    assert (fresh.fulfil_due_at, fresh.due_at, fresh.next_escalation_at) == (at(240), at(240), at(240))
    requests_tick(now=at(241))
    assert state(ticket)[:3] == (3, grid["staff"], 3)
    assert ServiceRequest.objects.get(pk=ticket.pk).assignee == cadre  # escalation informs; it does not reassign


def test_escalation_over_a_gap_routes_to_the_next_level_up(grid):
    from lianfang.workforce.models import ResponsibilityAssignment

    ResponsibilityAssignment.objects.filter(level=3).delete()
    ticket = emergency(grid)
    requests_tick(now=at(5))
    assert state(ticket)[:3] == (3, grid["cadre"], 2)  # nobody at L3: the L2 cadre gets it
    orphan = emergency(grid, "h3")
    report = requests_tick(now=at(5))
    assert report.unrouted == 1 and state(orphan)[:3] == (3, None, None)


def test_fulfilled_and_closed_tickets_stop_escalating(grid):
    ticket = service_request_create(
        actor=None, household=grid["h2"], category=Category.GROCERIES, description="菜", channel="qr", at=at(0)
    )
    service_request_close(actor=grid["staff_user"], ticket=ticket, outcome="not_needed", note="邻居送了", at=at(1))
    assert requests_tick(now=at(10_000)).checked == 0


def test_requests_tick_command(grid):
    emergency(grid)
    out = io.StringIO()
    call_command("requests_tick", "--at", at(5).isoformat(), stdout=out)
    assert "checked 1, escalated 1 (L3: 1), emergency alerts 1, unrouted 0" in out.getvalue()
    out = io.StringIO()
    call_command("requests_tick", "--at", at(5).isoformat(), stdout=out)
    assert "checked 0, escalated 0" in out.getvalue()
