"""Intake channels, one ticket per need, emergencies (issue 7 §1-§3)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.assistance import hooks
from lianfang.assistance.models import (
    Category,
    Channel,
    EventKind,
    FiledBy,
    Intake,
    Notification,
    NotificationKind,
    Priority,
    ServiceRequest,
    Status,
    TicketEvent,
)
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import (
    service_request_accept,
    service_request_fulfil,
    service_request_on_site,
)
from lianfang.assistance.tests.conftest import T0, at
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def file(household, category=Category.MEDICINE, *, actor=None, minutes=0, **kw):
    kw.setdefault("description", "降压药没有了")
    kw.setdefault("channel", Channel.QR if actor is None else Channel.STAFF)
    return service_request_create(actor=actor, household=household, category=category, at=at(minutes), **kw)


def test_qr_intake_opens_a_numbered_ticket_with_clocks_and_routing(grid):
    ticket = file(grid["h1"], resident=grid["张三"], resident_urgency=Priority.URGENT)
    assert ticket.number == f"20220328-{ticket.pk:07d}"
    assert (ticket.status, ticket.priority, ticket.resident_urgency) == (Status.NEW, Priority.URGENT, Priority.URGENT)
    assert ticket.received_at == T0
    assert (ticket.accept_due_at, ticket.fulfil_due_at, ticket.on_site_due_at) == (at(30), at(240), None)
    assert ticket.due_at == at(30) and ticket.next_escalation_at == at(30)
    assert (ticket.escalation_level, ticket.routed_worker, ticket.routed_level) == (4, grid["rep"], 4)
    assert ticket.path == grid["h1"].path and ticket.community_id == grid["h1"].community_id
    intake = ticket.intakes.get()
    assert (intake.channel, intake.filed_by, intake.reporter, intake.linked) == (
        Channel.QR,
        FiledBy.HOUSEHOLD,
        None,
        False,
    )
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.to_status, event.reason_code, event.public, event.level) == (
        EventKind.RECEIVED,
        Status.NEW,
        EventKind.RECEIVED,
        True,
        4,
    )
    note = Notification.objects.get(ticket=ticket)
    assert (note.kind, note.recipient_worker, note.recipient_user) == (
        NotificationKind.NEW_REQUEST,
        grid["rep"],
        grid["rep_user"],
    )
    entry = AuditEntry.objects.filter(object_type="assistance.servicerequest", object_id=str(ticket.pk)).get()
    assert (entry.action, entry.division_code, entry.detail["channel"]) == ("create", grid["h1"].path, "qr")


def test_same_need_through_three_channels_is_one_ticket(grid, volunteer, community_staff):
    first = file(grid["h1"], minutes=0)
    second = file(grid["h1"], actor=volunteer, minutes=3, filed_by=FiledBy.VOLUNTEER, reporter_name="小王")
    third = file(grid["h1"], actor=community_staff, minutes=7, channel=Channel.HOTLINE, phone="13912340000")
    assert first.pk == second.pk == third.pk
    assert (second.linked, third.linked) == (True, True)
    assert ServiceRequest.objects.filter(household=grid["h1"]).count() == 1
    ticket = ServiceRequest.objects.get(pk=first.pk)
    assert ticket.intake_count == 3
    assert ticket.received_at == T0 and ticket.accept_due_at == at(120)  # the clock never restarted
    assert list(ticket.intakes.values_list("channel", "linked")) == [
        ("qr", False),
        ("staff", True),
        ("hotline", True),
    ]
    hotline = ticket.intakes.get(channel="hotline")
    assert hotline.phone_masked == "139****0000" and hotline.phone_plain() == "13912340000"
    assert list(ticket.events.values_list("kind", flat=True)) == ["received", "linked", "linked"]
    # a different need of the same household is its own ticket; so is the same need of another household
    assert file(grid["h1"], Category.GROCERIES, description="米面油").pk != first.pk
    assert file(grid["h2"]).pk != first.pk


def test_a_new_ticket_once_the_previous_one_is_fulfilled(grid):
    first = file(grid["h1"])
    staff = grid["staff_user"]
    service_request_accept(actor=staff, ticket=first, at=at(1))
    service_request_fulfil(actor=staff, ticket=first, at=at(60))
    again = file(grid["h1"], minutes=90)
    assert again.pk != first.pk and not again.linked


def test_database_refuses_two_open_tickets_for_one_need(grid):
    from django.db import IntegrityError, transaction

    ticket = file(grid["h1"])
    clone = ServiceRequest.objects.get(pk=ticket.pk)
    clone.pk, clone.number = None, ""
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_idempotency_key_replays_without_writing(grid, volunteer):
    first = file(grid["h2"], actor=volunteer, idempotency_key="k-1")
    before = (ServiceRequest.objects.count(), Intake.objects.count(), TicketEvent.objects.count())
    again = file(grid["h2"], actor=volunteer, idempotency_key="k-1", minutes=1)
    assert again.pk == first.pk and again.replayed
    assert (ServiceRequest.objects.count(), Intake.objects.count(), TicketEvent.objects.count()) == before
    with pytest.raises(ValidationError) as err:
        file(grid["h1"], actor=volunteer, idempotency_key="k-1")
    assert "idempotency_key" in err.value.message_dict


def test_proxy_filing_by_a_relative_keeps_who_asked(grid):
    ticket = file(
        grid["h1"], filed_by=FiledBy.RELATIVE, reporter_name="张女儿", phone="13700001111", description="给我爸送药"
    )
    intake = ticket.intakes.get()
    assert (intake.filed_by, intake.reporter_name, intake.phone_last4) == (FiledBy.RELATIVE, "张女儿", "1111")


def test_bad_input_names_field_and_value_and_writes_nothing(grid):
    with pytest.raises(ValidationError) as err:
        file(grid["h1"], "pizza", description="", phone="12345", resident=grid["李四"], resident_urgency="asap")
    errors = err.value.message_dict
    assert set(errors) == {"category", "description", "phone", "resident", "resident_urgency"}
    assert "pizza" in errors["category"][0] and "12345" in errors["phone"][0]
    assert "asap" in errors["resident_urgency"][0]
    # quoted as text (“…” / 「…」), not as Python reprs ('pizza')
    assert "'pizza'" not in errors["category"][0] and "'asap'" not in errors["resident_urgency"][0]
    assert ServiceRequest.objects.count() == 0 and Intake.objects.count() == 0


def test_staff_may_only_file_for_households_in_scope(grid, other_community_staff, outsider):
    with pytest.raises(PermissionDenied):
        file(grid["h1"], actor=other_community_staff)
    with pytest.raises(PermissionDenied):
        file(grid["h1"], actor=outsider)
    assert ServiceRequest.objects.count() == 0


def test_emergency_alerts_the_gate_post_at_once_and_is_never_gated_by_test_status(
    grid, emergencies, django_capture_on_commit_callbacks
):
    def positive_pool(household_ids):
        return dict.fromkeys(household_ids, "混管阳性，待复核")

    hooks.register_test_state_provider(positive_pool)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = file(grid["h1"], Category.EMERGENCY_MEDICAL, description="")
        assert ticket.priority == Priority.EMERGENCY and ticket.description == str(Category.EMERGENCY_MEDICAL.label)
        assert (ticket.accept_due_at, ticket.on_site_due_at, ticket.fulfil_due_at) == (at(5), at(15), None)
        assert emergencies == [(ticket.number, "intake", grid["compound_a"].code)]
        alert = Notification.objects.get(ticket=ticket, kind=NotificationKind.EMERGENCY_ALERT)
        assert (alert.path, alert.recipient_user) == (grid["compound_a"].code, None)
        assert ticket.events.filter(kind=EventKind.EMERGENCY_ALERT).count() == 1
        # the household's latest test state is only information: accepting and arriving proceed
        assert hooks.test_states([grid["h1"].pk]) == {grid["h1"].pk: "混管阳性，待复核"}
        staff = grid["staff_user"]
        service_request_accept(actor=staff, ticket=ticket, at=at(2))
        done = service_request_on_site(actor=staff, ticket=ticket, at=at(9))
        assert (done.status, done.on_site_at, done.due_at, done.next_escalation_at) == (
            Status.IN_PROGRESS,
            at(9),
            None,
            None,
        )
        # the same emergency reported again: linked, listeners told again
        with django_capture_on_commit_callbacks(execute=True):
            file(grid["h1"], Category.EMERGENCY_MEDICAL, actor=staff, channel=Channel.HOTLINE, minutes=3)
        assert emergencies[-1] == (ticket.number, "linked", grid["compound_a"].code)
    finally:
        hooks.unregister_test_state_provider(positive_pool)


def test_a_failing_listener_never_undoes_the_ticket(grid, django_capture_on_commit_callbacks):
    def broken(ticket, *, reason):
        raise RuntimeError("gate system down")

    hooks.register_emergency_listener(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = file(grid["h2"], Category.EMERGENCY_MEDICAL, description="胸痛")
    finally:
        hooks.unregister_emergency_listener(broken)
    assert ServiceRequest.objects.filter(pk=ticket.pk, status=Status.NEW).exists()


def test_gap_in_the_chain_is_recorded_as_unrouted(grid):
    ticket = file(grid["h3"])
    assert (ticket.routed_worker, ticket.routed_level) == (None, None)
    assert not Notification.objects.filter(ticket=ticket).exists()


def test_tier_at_intake_is_kept(grid, sealed):
    ticket = file(grid["h1"])
    assert (ticket.tier_key, ticket.tier_name) == ("sealed", "封控区")
    assert file(grid["h3"]).tier_key == ""
