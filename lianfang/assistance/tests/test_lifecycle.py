"""Status flow: acceptance by a named assignee, progress, hand-offs, confirmation, closing (issue 7 §2)."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection
from django.utils import translation

from lianfang.assistance.models import Category, EventKind, Notification, NotificationKind, ServiceRequest, Status
from lianfang.assistance.services.base import StatusConflict
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import (
    service_request_accept,
    service_request_close,
    service_request_confirm,
    service_request_fulfil,
    service_request_hand_off,
    service_request_on_site,
    service_request_start,
    service_request_triage,
)
from lianfang.assistance.tests.conftest import at
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English here (the default language is zh-Hans)."""
    with translation.override("en"):
        yield


def new_ticket(grid, household="h1", category=Category.GROCERIES, minutes=0):
    return service_request_create(
        actor=None, household=grid[household], category=category, description="米和菜", channel="qr", at=at(minutes)
    )


def test_full_flow_new_accepted_in_progress_fulfilled_confirmed(grid):
    ticket = new_ticket(grid)
    staff = grid["staff_user"]
    ticket = service_request_accept(actor=staff, ticket=ticket, at=at(10))
    assert (ticket.status, ticket.assignee, ticket.accepted_at, ticket.seconds_to_accept) == (
        Status.ACCEPTED,
        staff,
        at(10),
        600,
    )
    assert ticket.due_at == at(24 * 60)  # accept clock stopped: the fulfil deadline is next
    ticket = service_request_start(actor=staff, ticket=ticket, at=at(30))
    assert (ticket.status, ticket.started_at) == (Status.IN_PROGRESS, at(30))
    ticket = service_request_fulfil(actor=staff, ticket=ticket, note="送到门口", at=at(180))
    assert (ticket.status, ticket.seconds_to_fulfil, ticket.due_at, ticket.next_escalation_at) == (
        Status.FULFILLED,
        180 * 60,
        None,
        None,
    )
    ticket = service_request_confirm(actor=None, ticket=ticket, at=at(200))
    assert (ticket.status, ticket.confirmed_at) == (Status.CONFIRMED, at(200))
    events = list(ticket.events.values_list("kind", "from_status", "to_status", "reason_code"))
    assert events == [
        ("received", "", "new", "received"),
        ("accepted", "new", "accepted", "accepted"),
        ("started", "accepted", "in_progress", "started"),
        ("fulfilled", "in_progress", "fulfilled", "fulfilled"),
        ("confirmed", "fulfilled", "confirmed", "confirmed"),
    ]
    assert AuditEntry.objects.filter(object_id=str(ticket.pk), action="status").count() == 4


def test_acceptance_is_required_before_progress(grid):
    ticket = new_ticket(grid)
    staff = grid["staff_user"]
    for step in (service_request_start, service_request_on_site, service_request_fulfil):
        with pytest.raises(StatusConflict, match="Accept the request"):
            step(actor=staff, ticket=ticket, at=at(1))
    assert ServiceRequest.objects.get(pk=ticket.pk).status == Status.NEW
    with pytest.raises(StatusConflict):
        service_request_confirm(actor=None, ticket=ticket, at=at(2))


def test_only_the_assignee_records_progress(grid):
    ticket = new_ticket(grid)
    service_request_accept(actor=grid["staff_user"], ticket=ticket, at=at(1))
    with pytest.raises(PermissionDenied):
        service_request_fulfil(actor=grid["cadre_user"], ticket=ticket, at=at(2))


def test_two_workers_accepting_a_stale_ticket_exactly_one_wins(grid):
    ticket = new_ticket(grid)
    seen_by_a = ServiceRequest.objects.get(pk=ticket.pk)
    seen_by_b = ServiceRequest.objects.get(pk=ticket.pk)
    service_request_accept(actor=grid["staff_user"], ticket=seen_by_a, at=at(1))
    with pytest.raises(StatusConflict, match="Already accepted by 刘网格|Already accepted by staff"):
        service_request_accept(actor=grid["cadre_user"], ticket=seen_by_b, at=at(1))
    fresh = ServiceRequest.objects.get(pk=ticket.pk)
    assert (fresh.assignee, fresh.accepted_at) == (grid["staff_user"], at(1))
    assert fresh.events.filter(kind=EventKind.ACCEPTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_accepting_at_the_same_moment_exactly_one_wins(grid):
    """Two threads with their own database connections race to accept the same new ticket.

    PostgreSQL: the second UPDATE waits for the first's row lock, then matches no row. SQLite: the
    test database is in memory with a shared cache, which answers "table is locked" at once instead of
    waiting like the file database (busy_timeout); the thread then waits and retries, as the file
    database would."""
    ticket = new_ticket(grid)
    barrier = threading.Barrier(2)
    outcomes = {}

    def accept(name, user):
        try:
            barrier.wait(timeout=10)
            for _attempt in range(200):
                try:
                    fresh = ServiceRequest.objects.get(pk=ticket.pk)
                    service_request_accept(actor=user, ticket=fresh, at=at(1))
                except OperationalError as exc:
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.02)
                    continue
                outcomes[name] = "won"
                break
        except StatusConflict:
            outcomes[name] = "lost"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=("staff", grid["staff_user"])),
        threading.Thread(target=accept, args=("cadre", grid["cadre_user"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["lost", "won"]
    winner = next(name for name, result in outcomes.items() if result == "won")
    fresh = ServiceRequest.objects.get(pk=ticket.pk)
    assert fresh.assignee == grid[f"{winner}_user"]
    assert fresh.events.filter(kind=EventKind.ACCEPTED).count() == 1


def test_hand_off_changes_hands_only_when_accepted_and_never_resets_clocks(grid):
    ticket = new_ticket(grid, category=Category.MEDICINE)
    staff, cadre = grid["staff_user"], grid["cadre_user"]
    ticket = service_request_accept(actor=staff, ticket=ticket, at=at(5))
    due = (ticket.accept_due_at, ticket.fulfil_due_at, ticket.due_at, ticket.received_at)
    ticket = service_request_hand_off(actor=staff, ticket=ticket, to=cadre, note="我要去采样", at=at(20))
    assert (ticket.assignee, ticket.offered_to) == (staff, cadre)  # still answerable until taken over
    assert Notification.objects.filter(ticket=ticket, kind=NotificationKind.HANDOFF, recipient_user=cadre).exists()
    with pytest.raises(PermissionDenied):
        service_request_fulfil(actor=cadre, ticket=ticket, at=at(21))
    ticket = service_request_accept(actor=cadre, ticket=ticket, at=at(25))
    assert (ticket.assignee, ticket.offered_to, ticket.status) == (cadre, None, Status.ACCEPTED)
    assert (ticket.accept_due_at, ticket.fulfil_due_at, ticket.due_at, ticket.received_at) == due
    assert ticket.accepted_at == at(5)  # first acceptance kept
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == ["handoff_offered", "handoff_accepted"]
    with pytest.raises(ValidationError):
        service_request_hand_off(actor=cadre, ticket=ticket, to=grid["rep_user"].__class__(pk=999999))


def test_close_needs_outcome_and_reason_and_nothing_is_deleted(grid):
    ticket = new_ticket(grid)
    staff = grid["staff_user"]
    with pytest.raises(ValidationError) as err:
        service_request_close(actor=staff, ticket=ticket, outcome="gone", note=" ", at=at(1))
    assert set(err.value.message_dict) == {"outcome", "note"}
    ticket = service_request_close(actor=staff, ticket=ticket, outcome="withdrawn", note="家属已自行购买", at=at(2))
    assert (ticket.status, ticket.outcome, ticket.status_reason, ticket.closed_at) == (
        Status.CLOSED,
        "withdrawn",
        "withdrawn",
        at(2),
    )
    with pytest.raises(StatusConflict):
        service_request_close(actor=staff, ticket=ticket, outcome="other", note="x", at=at(3))
    with pytest.raises(RuntimeError, match="append-only"):
        ticket.events.first().delete()
    with pytest.raises(RuntimeError, match="append-only"):
        ticket.events.all().delete()


def test_staff_confirming_for_the_household_must_say_how(grid):
    ticket = new_ticket(grid)
    staff = grid["staff_user"]
    service_request_accept(actor=staff, ticket=ticket, at=at(1))
    service_request_fulfil(actor=staff, ticket=ticket, at=at(2))
    with pytest.raises(ValidationError):
        service_request_confirm(actor=staff, ticket=ticket, at=at(3))
    done = service_request_confirm(actor=staff, ticket=ticket, note="电话确认", at=at(3))
    assert done.events.last().detail == {"via": "staff"}


def test_triage_recomputes_deadlines_from_the_first_intake(grid):
    ticket = new_ticket(grid, category=Category.MEDICINE)
    assert (ticket.accept_due_at, ticket.fulfil_due_at) == (at(120), at(1440))
    ticket = service_request_triage(
        actor=grid["staff_user"], ticket=ticket, priority="urgent", note="胰岛素", at=at(45)
    )
    assert (ticket.priority, ticket.resident_urgency, ticket.accept_due_at, ticket.fulfil_due_at) == (
        "urgent",
        "",
        at(30),
        at(240),
    )
    assert ticket.next_escalation_at == at(45)  # already past the new accept deadline: the tick escalates it now
    assert ticket.events.last().detail == {"from": "normal", "to": "urgent"}


def test_volunteer_files_but_cannot_accept(grid, volunteer):
    ticket = service_request_create(
        actor=volunteer, household=grid["h1"], category=Category.MEDICINE, description="要药", at=at(0)
    )
    with pytest.raises(PermissionDenied):
        service_request_accept(actor=volunteer, ticket=ticket, at=at(1))


def test_out_of_scope_staff_cannot_touch_a_ticket(grid, other_community_staff):
    ticket = new_ticket(grid)
    with pytest.raises(PermissionDenied):
        service_request_accept(actor=other_community_staff, ticket=ticket, at=at(1))


def test_a_representative_closes_or_triages_only_their_own_or_an_unaccepted_ticket(grid):
    """Trial 11: a household representative closed as "entered in error" a ticket in progress with the
    grid's staff. They handle their households' requests, but another person's ticket is triaged or
    closed only by its assignee or staff (services.base.can_supervise); nothing changes when refused."""
    rep, staff = grid["rep_user"], grid["staff_user"]
    theirs = service_request_start(
        actor=staff, ticket=service_request_accept(actor=staff, ticket=new_ticket(grid), at=at(1)), at=at(2)
    )
    for refused in (
        lambda: service_request_close(actor=rep, ticket=theirs, outcome="entered_in_error", note="x", at=at(3)),
        lambda: service_request_triage(actor=rep, ticket=theirs, priority="emergency", at=at(3)),
    ):
        with translation.override("en"), pytest.raises(PermissionDenied) as err:
            refused()
        assert str(err.value) == (
            f"Only its assignee (staff) or the community's staff may triage or close request {theirs}."
        )
    theirs.refresh_from_db()
    assert (theirs.status, theirs.priority, theirs.assignee) == (Status.IN_PROGRESS, "normal", staff)
    # the representative's own ticket, and one nobody has accepted yet: they may
    own = service_request_accept(actor=rep, ticket=new_ticket(grid, household="h2"), at=at(4))
    assert service_request_triage(actor=rep, ticket=own, priority="urgent", at=at(5)).priority == "urgent"
    fresh = new_ticket(grid, category=Category.MEDICINE)  # h1 groceries is the ticket above (one per need)
    closed = service_request_close(actor=rep, ticket=fresh, outcome="withdrawn", note="已自行购买", at=at(6))
    assert closed.status == Status.CLOSED
    # staff may close a ticket someone else holds
    assert service_request_close(actor=staff, ticket=own, outcome="other", note="重复", at=at(7)).status == (
        Status.CLOSED
    )
