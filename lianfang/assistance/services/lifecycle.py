"""Status changes of a ticket after intake: accept (受理), hand off (转交), start, on site, fulfil,
household confirmation, close, triage (分级); timeline notes and reading a notification.

Each status change is a conditional update (``filter(pk=..., status=old).update(...) == 1``) with a
reason code, written to the ticket's timeline and the audit log; losing to a concurrent change raises
:class:`~lianfang.assistance.services.base.StatusConflict`."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.assistance import rules, selectors
from lianfang.assistance.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    EventKind,
    Notification,
    NotificationKind,
    Outcome,
    Priority,
    ServiceRequest,
    Status,
    Step,
    TicketEvent,
)
from lianfang.assistance.services.base import (
    MAX_TEXT,
    StatusConflict,
    _emergency_alert,
    _event,
    _fresh,
    _notify,
    _now,
    _require_handler,
    _require_supervisor,
    _user,
)
from lianfang.core import audit, fielderrors


def _limits(ticket: ServiceRequest, priority: str | None = None) -> dict[str, rules.Limit]:
    return rules.limit_table(ticket.sla_rule_set).limits(ticket.category, priority or ticket.priority)


def _clock_fields(ticket: ServiceRequest, now: dt.datetime, **reached_now) -> dict:
    """``due_at`` and ``next_escalation_at`` after the steps in ``reached_now`` (``accepted_at=now``...)."""
    due = {step: getattr(ticket, rules.DUE_FIELD[step]) for step in rules.STEPS}
    reached = {
        step: reached_now.get(rules.REACHED_FIELD[step], getattr(ticket, rules.REACHED_FIELD[step]))
        for step in rules.STEPS
    }
    clock = rules.escalation(
        current_level=ticket.escalation_level, due=due, reached=reached, limits=_limits(ticket), now=now
    )
    next_check = clock.next_check
    if clock.level < ticket.escalation_level:
        next_check = now  # overdue already: requests_tick escalates it at its next run
    return {"due_at": rules.next_due(due, reached), "next_escalation_at": next_check}


def _conditional(ticket: ServiceRequest, old_statuses, **changes) -> bool:
    return ServiceRequest.objects.filter(pk=ticket.pk, status__in=list(old_statuses)).update(**changes) == 1


def _transition(
    fresh: ServiceRequest,
    new: str,
    kind: str,
    *,
    actor,
    now,
    reason_code: str = "",
    note: str = "",
    detail: dict | None = None,
    where: dict | None = None,
    **changes,
) -> None:
    """Move ``fresh`` from its current status to ``new`` by a conditional update (plus ``changes``; only
    while the row still matches ``where``), then write the timeline event (shown to the household) and
    the audit entry. Raises StatusConflict when another change got there first."""
    reason_code = reason_code or kind
    matched = ServiceRequest.objects.filter(pk=fresh.pk, status=fresh.status, **(where or {})).update(
        status=new, status_reason=reason_code, updated_at=now, **changes
    )
    if matched != 1:
        raise StatusConflict(_("The request changed meanwhile; reload it."))
    _event(
        fresh,
        kind,
        actor=actor,
        at=now,
        from_status=fresh.status,
        to_status=new,
        reason_code=reason_code,
        note=(note or "").strip(),
        public=True,
        detail=detail or {},
    )
    audit.record(actor=actor, action="status", obj=fresh, reason=reason_code, detail={"to": new})


def service_request_accept(*, actor, ticket: ServiceRequest, at: dt.datetime | None = None) -> ServiceRequest:
    """``actor`` accepts ``ticket`` and becomes its named assignee (受理).

    A new ticket: new → accepted, ``accepted_at`` set once (the accept clock stops; nothing else
    changes). A ticket handed off to ``actor`` (:func:`service_request_hand_off`): ``actor`` takes it
    over, its status and clocks unchanged. Two people accepting at once: exactly one wins; the other gets
    StatusConflict naming the winner. PermissionDenied without HANDLE_REQUESTS in scope.
    """
    now = _now(at)
    _require_handler(actor, ticket)
    with transaction.atomic():
        fresh = _fresh(ticket)
        if fresh.status == Status.NEW:
            try:
                _transition(
                    fresh,
                    Status.ACCEPTED,
                    EventKind.ACCEPTED,
                    actor=actor,
                    now=now,
                    assignee=actor,
                    accepted_at=now,
                    seconds_to_accept=max(0, int((now - fresh.received_at).total_seconds())),
                    offered_to=None,
                    offered_at=None,
                    **_clock_fields(fresh, now, accepted_at=now),
                )
            except StatusConflict:
                holder = ServiceRequest.objects.filter(pk=fresh.pk).values_list("assignee__display_name", flat=True)
                raise StatusConflict(_("Already accepted by %s.") % (holder[0] or "—")) from None
        elif fresh.status in (Status.ACCEPTED, Status.IN_PROGRESS) and fresh.offered_to_id == actor.pk:
            previous = fresh.assignee
            won = (
                ServiceRequest.objects.filter(pk=fresh.pk, offered_to=actor, status=fresh.status).update(
                    assignee=actor, offered_to=None, offered_at=None, updated_at=now
                )
                == 1
            )
            if not won:
                raise StatusConflict(_("The hand-off was withdrawn or the request changed; reload it."))
            _event(
                fresh,
                EventKind.HANDOFF_ACCEPTED,
                actor=actor,
                at=now,
                reason_code=EventKind.HANDOFF_ACCEPTED,
                public=True,
                detail={"from": previous.pk if previous else None},
            )
            audit.record(actor=actor, action="handoff", obj=fresh, reason=EventKind.HANDOFF_ACCEPTED)
        elif fresh.assignee_id is not None and fresh.status in (Status.ACCEPTED, Status.IN_PROGRESS):
            raise StatusConflict(_("Already accepted by %s.") % fresh.assignee)
        else:
            raise StatusConflict(_("A request that is %s cannot be accepted.") % fresh.get_status_display())
    return _fresh(ticket)


def service_request_hand_off(*, actor, ticket: ServiceRequest, to, note: str = "", at=None) -> ServiceRequest:
    """Offer ``ticket`` to user ``to`` (转交). Nothing changes hands until ``to`` accepts it
    (:func:`service_request_accept`): the current assignee stays answerable, and no clock changes.

    ``to`` is a User or a user id, and must be one of the people the hand-off form offers
    (``selectors.handoff_candidates(ticket)``: able to handle the ticket, not its assignee) — the one
    place this rule lives, for the page, the API and any other caller. Anyone else (None, an unknown
    id, someone outside that list) raises ValidationError ``{"to": ["“<value>” is not one of the
    people this request can be handed off to."]}`` (the user by name, an id as given) and writes
    nothing. Also raises StatusConflict (the ticket is fulfilled or final, or changed meanwhile) and
    PermissionDenied (the actor may not handle it)."""
    now = _now(at)
    _require_handler(actor, ticket)
    wanted = getattr(to, "pk", to)
    target = next((u for u in selectors.handoff_candidates(ticket) if u.pk == wanted), None)
    if target is None:
        value = "" if to is None else str(to)[:40]
        raise ValidationError({"to": [selectors.NOT_A_HANDOFF_CANDIDATE % {"value": value}]})
    to = target
    with transaction.atomic():
        fresh = _fresh(ticket)
        if fresh.status not in OPEN_STATUSES:
            raise StatusConflict(_("A request that is %s cannot be handed off.") % fresh.get_status_display())
        if fresh.assignee_id == to.pk:
            raise ValidationError({"to": _("%s already holds this request") % to})
        if not _conditional(fresh, [fresh.status], offered_to=to, offered_at=now, updated_at=now):
            raise StatusConflict(_("The request changed meanwhile; reload it."))
        _event(
            fresh,
            EventKind.HANDOFF_OFFERED,
            actor=actor,
            at=now,
            reason_code=EventKind.HANDOFF_OFFERED,
            note=note.strip(),
            detail={"to": to.pk, "to_name": str(to)},
        )
        _notify(fresh, NotificationKind.HANDOFF, at=now, user=to)
        audit.record(actor=actor, action="handoff", obj=fresh, reason=EventKind.HANDOFF_OFFERED, detail={"to": to.pk})
    return _fresh(ticket)


def _require_assignee(actor, fresh: ServiceRequest, allowed, what: str) -> None:
    if fresh.status == Status.NEW:
        raise StatusConflict(_("Accept the request before recording progress."))
    if fresh.status not in allowed:
        raise StatusConflict(
            _("A request that is %(status)s cannot be %(what)s.") % {"status": fresh.get_status_display(), "what": what}
        )
    if fresh.assignee_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the assignee (%s) can record progress; ask for a hand-off.") % fresh.assignee)


def service_request_start(*, actor, ticket: ServiceRequest, note: str = "", at=None) -> ServiceRequest:
    """The assignee starts work: accepted → in progress (acceptance is required first: StatusConflict)."""
    now = _now(at)
    _require_handler(actor, ticket)
    with transaction.atomic():
        fresh = _fresh(ticket)
        _require_assignee(actor, fresh, [Status.ACCEPTED], _("started"))
        _transition(fresh, Status.IN_PROGRESS, EventKind.STARTED, actor=actor, now=now, note=note, started_at=now)
    return _fresh(ticket)


def service_request_on_site(*, actor, ticket: ServiceRequest, note: str = "", at=None) -> ServiceRequest:
    """The assignee reports someone on site (emergencies: stops the on-site clock); the ticket is then
    in progress. Acceptance is required first. Recorded once (``on_site_at`` never changes)."""
    now = _now(at)
    _require_handler(actor, ticket)
    with transaction.atomic():
        fresh = _fresh(ticket)
        _require_assignee(actor, fresh, [Status.ACCEPTED, Status.IN_PROGRESS], _("marked on site"))
        if fresh.on_site_at is not None:
            raise StatusConflict(
                _("Someone was already reported on site at %s.") % timezone.localtime(fresh.on_site_at)
            )
        _transition(
            fresh,
            Status.IN_PROGRESS,
            EventKind.ON_SITE,
            actor=actor,
            now=now,
            note=note,
            where={"on_site_at__isnull": True},
            on_site_at=now,
            started_at=fresh.started_at or now,
            **_clock_fields(fresh, now, on_site_at=now),
        )
    return _fresh(ticket)


def service_request_fulfil(*, actor, ticket: ServiceRequest, note: str = "", at=None) -> ServiceRequest:
    """The assignee reports the need met: accepted/in progress → fulfilled; every clock stops. The
    household then confirms (:func:`service_request_confirm`). Acceptance is required first."""
    now = _now(at)
    _require_handler(actor, ticket)
    with transaction.atomic():
        fresh = _fresh(ticket)
        _require_assignee(actor, fresh, [Status.ACCEPTED, Status.IN_PROGRESS], _("fulfilled"))
        _transition(
            fresh,
            Status.FULFILLED,
            EventKind.FULFILLED,
            actor=actor,
            now=now,
            note=note,
            fulfilled_at=now,
            started_at=fresh.started_at or now,
            seconds_to_fulfil=max(0, int((now - fresh.received_at).total_seconds())),
            due_at=None,
            next_escalation_at=None,
        )
    return _fresh(ticket)


def _require_fulfilled(fresh: ServiceRequest) -> None:
    """StatusConflict naming the ticket and its status unless ``fresh`` is fulfilled (only then can the
    household confirm it)."""
    if fresh.status != Status.FULFILLED:
        raise StatusConflict(
            _("%(number)s cannot be confirmed: it is %(status)s, and only a fulfilled request can be confirmed.")
            % {"number": fresh.number, "status": fresh.get_status_display()}
        )


def service_request_confirm(*, actor, ticket: ServiceRequest, note: str = "", at=None) -> ServiceRequest:
    """The household confirms a fulfilled ticket: fulfilled → confirmed.

    ``actor`` None: the household itself through its QR link (the view has checked that the token
    belongs to the ticket's household). A staff member confirming on the household's behalf (by phone)
    needs HANDLE_REQUESTS and a ``note`` saying how the household confirmed."""
    now = _now(at)
    staff = _user(actor)
    if staff is not None:
        _require_handler(actor, ticket)
    _require_fulfilled(_fresh(ticket))  # a closed ticket is a conflict (409), whatever the note says
    if staff is not None and fielderrors.is_blank(note):
        raise ValidationError({"note": _("say how the household confirmed (e.g. by phone)")})
    with transaction.atomic():
        fresh = _fresh(ticket)
        _require_fulfilled(fresh)
        _transition(
            fresh,
            Status.CONFIRMED,
            EventKind.CONFIRMED,
            actor=actor,
            now=now,
            note=note,
            detail={"via": "staff" if staff else "household"},
            confirmed_at=now,
        )
    return _fresh(ticket)


def service_request_close_precheck(*, actor, ticket: ServiceRequest) -> None:
    """What closing ``ticket`` checks before its fields: PermissionDenied for an actor who may not handle
    it, then StatusConflict (409) when it is already confirmed or closed, so that a page or API call
    with a missing outcome or note on a closed ticket hears of the conflict, not of the fields (new-user
    trial 16: ``{}`` posted to close a closed ticket got "outcome/note required")."""
    _require_handler(actor, ticket)
    if (current := _fresh(ticket)).status in FINAL_STATUSES:
        raise StatusConflict(_("The request is already %s.") % current.get_status_display())


def service_request_close(*, actor, ticket: ServiceRequest, outcome: str, note: str, at=None) -> ServiceRequest:
    """Close ``ticket`` with an ``outcome`` (Outcome) and a written ``note`` (the reason), from any status
    but confirmed or closed; every clock stops. Nothing is deleted. ValidationError names a bad field."""
    now = _now(at)
    service_request_close_precheck(actor=actor, ticket=ticket)
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("unknown outcome “%s”") % (outcome,)
    if fielderrors.is_blank(note):
        errors["note"] = _("a reason is required to close a request")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = _fresh(ticket)
        if fresh.status in FINAL_STATUSES:
            raise StatusConflict(_("The request is already %s.") % fresh.get_status_display())
        _require_supervisor(actor, fresh)
        _transition(
            fresh,
            Status.CLOSED,
            EventKind.CLOSED,
            actor=actor,
            now=now,
            reason_code=outcome,
            note=note,
            outcome=outcome,
            close_note=note.strip(),
            closed_at=now,
            due_at=None,
            next_escalation_at=None,
            offered_to=None,
        )
    return _fresh(ticket)


def service_request_triage(*, actor, ticket: ServiceRequest, priority: str, note: str = "", at=None) -> ServiceRequest:
    """Staff set the priority the clocks use (分级). Deadlines are recomputed from the same first
    intake (``received_at``): the clock never restarts; the escalation level never goes back down. The
    resident's own urgency is kept as stated. Raises ValidationError, StatusConflict (fulfilled or final)."""
    now = _now(at)
    _require_handler(actor, ticket)
    if priority not in Priority.values:
        raise ValidationError({"priority": _("unknown priority “%s”") % (priority,)})
    with transaction.atomic():
        fresh = _fresh(ticket)
        if fresh.status not in OPEN_STATUSES:
            raise StatusConflict(_("A request that is %s cannot be triaged.") % fresh.get_status_display())
        _require_supervisor(actor, fresh)
        limits = _limits(fresh, priority)
        due = rules.deadlines(fresh.received_at, limits)
        fresh.accept_due_at, fresh.on_site_due_at, fresh.fulfil_due_at = (
            due[Step.ACCEPT],
            due[Step.ON_SITE],
            due[Step.FULFIL],
        )
        fresh.priority = priority
        changes = {
            "priority": priority,
            "triaged_by": actor,
            "triaged_at": now,
            "accept_due_at": due[Step.ACCEPT],
            "on_site_due_at": due[Step.ON_SITE],
            "fulfil_due_at": due[Step.FULFIL],
            "updated_at": now,
            **_clock_fields(fresh, now),
        }
        old_priority = ServiceRequest.objects.filter(pk=fresh.pk).values_list("priority", flat=True)[0]
        if not _conditional(fresh, [fresh.status], **changes):
            raise StatusConflict(_("The request changed meanwhile; reload it."))
        _event(
            fresh,
            EventKind.TRIAGED,
            actor=actor,
            at=now,
            reason_code=EventKind.TRIAGED,
            note=note.strip(),
            detail={"from": old_priority, "to": priority},
        )
        audit.record(actor=actor, action="triage", obj=fresh, detail={"from": old_priority, "to": priority})
        if priority == Priority.EMERGENCY and old_priority != Priority.EMERGENCY:
            _emergency_alert(fresh, at=now, reason="intake", actor=actor)
    return _fresh(ticket)


def service_request_note(*, actor, ticket: ServiceRequest, note: str, public: bool = False, at=None) -> TicketEvent:
    """Add a note to the timeline; ``public`` notes are shown to the household on its QR page."""
    now = _now(at)
    _require_handler(actor, ticket)
    text = (note or "").strip()
    if fielderrors.is_blank(text):
        raise ValidationError({"note": _("the note is empty")})
    if len(text) > MAX_TEXT:
        raise ValidationError({"note": _("at most %(n)d characters, got %(got)d") % {"n": MAX_TEXT, "got": len(text)}})
    with transaction.atomic():
        event = _event(ticket, EventKind.NOTE, actor=actor, at=now, note=text, public=public)
        audit.record(actor=actor, action="note", obj=ticket, detail={"public": public})
    return event


def notification_mark_read(*, actor, notification: Notification, at=None) -> bool:
    """Mark a notification read (once); returns True when this call marked it."""
    now = _now(at)
    with transaction.atomic():
        done = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now) == 1
        if done:
            audit.record(actor=actor, action="read", obj=notification.ticket, detail={"notification": notification.pk})
    return done
