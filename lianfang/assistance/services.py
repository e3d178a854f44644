"""Every write of the service-request app (validated first, atomic, audited).

Errors: ``django.core.exceptions.ValidationError`` with a dict naming the field and the offending value;
``PermissionDenied`` when the actor may not do it; :class:`StatusConflict` when a status change lost to
another one (two workers accepting the same ticket at once: exactly one wins, the other gets this).
Times are aware datetimes (UTC in the database); "a day" is the Asia/Shanghai day (settings.TIME_ZONE).

Status changes are conditional updates (``filter(pk=..., status=old).update(...) == 1``) with a reason
code (the EventKind, or the Outcome on closing), each written to the ticket's timeline
(:class:`~lianfang.assistance.models.TicketEvent`) and the audit log.

Other apps file requests through :func:`service_request_create` (field operations: a medical request
from an abnormal home health reading).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.assistance import adapters, hooks, rules, selectors
from lianfang.assistance.models import (
    FINAL_STATUSES,
    LINKABLE_STATUSES,
    OPEN_STATUSES,
    CareMedicine,
    Category,
    Channel,
    CheckInResult,
    CheckInTask,
    DeliveryStatus,
    EventKind,
    ExitPass,
    ExitPassWindow,
    FiledBy,
    HouseholdToken,
    Intake,
    Notification,
    NotificationKind,
    Outcome,
    PassStatus,
    PlanStatus,
    Priority,
    ServiceRequest,
    Status,
    Step,
    SupplyDelivery,
    SupplyPlan,
    TicketEvent,
)
from lianfang.core import audit, bulk, fielderrors, pii
from lianfang.core.filters import future_day_error
from lianfang.core.models import AuditEntry
from lianfang.divisions.models import Division, Level
from lianfang.registry.models import Household, ResidenceStatus, Resident
from lianfang.registry.services import Placement, household_address

MAX_TEXT = 2000


class StatusConflict(Exception):
    """A status change lost to a concurrent one, or the ticket is not in a status that allows it.

    ``message`` is translated and names the current state (e.g. who accepted it first)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------- helpers


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValueError(f"naive datetime {at!r}: pass an aware datetime")
    return at


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _actor_label(actor) -> str:
    user = _user(actor)
    return str(user) if user is not None else ""


def _event(ticket: ServiceRequest, kind: str, *, actor, at, **fields) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, path=ticket.path, at=at, actor=_user(actor), actor_name=_actor_label(actor), kind=kind, **fields
    )


def can_handle(actor, ticket: ServiceRequest) -> bool:
    """True when ``actor`` may accept, work on, triage, hand off and close ``ticket``: the ticket is in
    their scope (``visible_to``) and a role of theirs grants HANDLE_REQUESTS at or above its division."""
    if _user(actor) is None or not can(actor, Capability.HANDLE_REQUESTS, ticket.path):
        return False
    return ServiceRequest.objects.visible_to(actor).filter(pk=ticket.pk).exists()


def _require_handler(actor, ticket: ServiceRequest) -> None:
    if not can_handle(actor, ticket):
        raise PermissionDenied(_("You may not handle service request %s.") % ticket)


def can_supervise(actor, ticket: ServiceRequest) -> bool:
    """True when ``actor`` may triage or close ``ticket``: a handler (can_handle) who is its assignee,
    or any handler while nobody has accepted it, or one whose role grants SUPERVISE_REQUESTS at or
    above its division (grid worker, stationed cadre, community staff and above; not a household
    representative, 联户代表, who handles their households' requests but not another's ticket).
    Rule source: accounts.roles.ROLE_CAPABILITIES; docs/assistance.md."""
    if not can_handle(actor, ticket):
        return False
    if ticket.assignee_id in (None, _user(actor).pk):
        return True
    return can(actor, Capability.SUPERVISE_REQUESTS, ticket.path)


def _require_supervisor(actor, fresh: ServiceRequest) -> None:
    if not can_supervise(actor, fresh):
        raise PermissionDenied(
            _("Only its assignee (%(assignee)s) or the community's staff may triage or close request %(ticket)s.")
            % {"assignee": fresh.assignee, "ticket": fresh}
        )


def _fresh(ticket: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_related("household", "compound", "community", "assignee").get(pk=ticket.pk)


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


def _notify(ticket: ServiceRequest, kind: str, *, at, worker=None, user=None, level=None, path: str = "") -> None:
    Notification.objects.create(
        ticket=ticket,
        path=path or ticket.path,
        kind=kind,
        level=level,
        recipient_worker=worker,
        recipient_user=user if user is not None else (getattr(worker, "user", None) if worker else None),
        created_at=at,
    )


def gate_post_code(ticket: ServiceRequest) -> str:
    """The division code whose gate duty post is alerted for ``ticket``: its compound, else its community."""
    return ticket.compound.code if ticket.compound_id else ticket.community.code


def _emergency_alert(ticket: ServiceRequest, *, at, reason: str, actor=None) -> None:
    """Record the gate duty post alert (notification + timeline) and call the emergency listeners."""
    post = gate_post_code(ticket)
    _notify(ticket, NotificationKind.EMERGENCY_ALERT, at=at, path=post, level=ticket.escalation_level)
    _event(ticket, EventKind.EMERGENCY_ALERT, actor=actor, at=at, detail={"reason": reason, "post": post})
    hooks.emit_emergency(ticket, reason=reason)


# --------------------------------------------------------------------------------------------- intake


def _validate_intake(
    *,
    household,
    category,
    description,
    channel,
    filed_by,
    resident,
    resident_urgency,
    reporter_name,
    phone,
    partner_name,
    partner_ref,
    idempotency_key,
    reporter,
) -> tuple[str, str, str]:
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = _("unknown request category “%s”") % (category,)
    if channel not in Channel.values:
        errors["channel"] = _("unknown channel “%s”") % (channel,)
    if filed_by not in FiledBy.values:
        errors["filed_by"] = _("unknown value “%s”") % (filed_by,)
    text = " ".join(str(description or "").split())
    if not text and category == Category.EMERGENCY_MEDICAL:
        text = str(Category(category).label)
    if not text:
        errors["description"] = _("please describe what is needed")
    elif len(text) > MAX_TEXT:
        errors["description"] = _("at most %(n)d characters, got %(got)d") % {"n": MAX_TEXT, "got": len(text)}
    if resident_urgency not in ("", *Priority.values):
        errors["resident_urgency"] = _("unknown urgency “%s”") % (resident_urgency,)
    if resident is not None and (resident.household_id != household.pk or resident.is_deceased):
        errors["resident"] = _("%(name)s is not a member of household %(household)s") % {
            "name": resident,
            "household": household.pk,
        }
    if len(reporter_name) > 60:
        errors["reporter_name"] = _("at most %(n)d characters, got %(got)d") % {"n": 60, "got": len(reporter_name)}
    normalized_phone = ""
    if phone:
        try:
            normalized_phone = pii.normalize_phone(phone)
        except pii.PhoneError as exc:
            errors["phone"] = fielderrors.reason_with_value(exc, phone)
    if partner_ref and not partner_name:
        errors["partner_name"] = _("a partner reference needs the partner's name")
    if len(partner_ref) > 80 or len(partner_name) > 80:
        errors["partner_ref"] = _("at most %(n)d characters, got %(got)d") % {"n": 80, "got": len(partner_ref)}
    if idempotency_key and reporter is None:
        errors["idempotency_key"] = _("an idempotency key needs a signed-in reporter")
    if len(idempotency_key) > 80:
        errors["idempotency_key"] = _("at most %(n)d characters, got %(got)d") % {"n": 80, "got": len(idempotency_key)}
    if errors:
        raise ValidationError(errors)
    return text, normalized_phone, filed_by


def _replay(intake: Intake, household, category) -> ServiceRequest:
    ticket = intake.ticket
    if ticket.household_id != household.pk or ticket.category != category:
        raise ValidationError(
            {"idempotency_key": _("this key was already used for request %(number)s") % {"number": ticket.number}}
        )
    ticket.intake, ticket.linked, ticket.replayed = intake, intake.linked, True
    return ticket


def _default_filed_by(channel: str, reporter) -> str:
    return {
        Channel.QR: FiledBy.HOUSEHOLD,
        Channel.PARTNER: FiledBy.PARTNER,
        Channel.PROACTIVE: FiledBy.STAFF if reporter is not None else FiledBy.SYSTEM,
    }.get(channel, FiledBy.STAFF if reporter is not None else FiledBy.SYSTEM)


def service_request_create(
    *,
    actor,
    household: Household,
    category: str,
    description: str = "",
    channel: str = Channel.STAFF,
    filed_by: str | None = None,
    resident: Resident | None = None,
    resident_urgency: str = "",
    reporter_name: str = "",
    phone: str = "",
    partner_name: str = "",
    partner_ref: str = "",
    idempotency_key: str = "",
    at: dt.datetime | None = None,
) -> ServiceRequest:
    """File a need of ``household`` through ``channel``; returns its ticket.

    ``actor``: the signed-in person filing (the household must be in their scope, else PermissionDenied),
    or None for the QR link (the view has checked the token) and for system work (proactive care, other
    apps' automatic requests). ``category`` is a Category value; ``description`` is required except for
    an emergency; ``resident`` (optional) is the member in need; ``resident_urgency`` a Priority value as
    the resident stated it (kept as given). ``filed_by`` (FiledBy) defaults from the channel; a relative
    or volunteer filing as a proxy passes ``FiledBy.RELATIVE``/``VOLUNTEER`` and ``reporter_name``;
    ``phone`` is the caller's number (stored sealed).

    One ticket per need: when the household already has a ticket of the same category that is new,
    accepted or in progress, the intake joins it (a ``linked`` event; no clock changes) instead of
    opening another. Replays return the earlier answer without writing: the same ``idempotency_key``
    from the same reporter, or the same ``partner_name`` + ``partner_ref``.

    The returned ServiceRequest carries ``intake`` (the Intake row), ``linked`` (joined an open ticket)
    and ``replayed`` (nothing was written). A new emergency alerts the compound's gate duty post at once
    (hooks.register_emergency_listener) and is never gated by test status. Raises ValidationError naming
    each bad field, PermissionDenied, or rules.NoRuleSetError when no service rule set is in force.
    """
    now = _now(at)
    reporter = _user(actor)
    filed_by = filed_by or _default_filed_by(channel, reporter)
    reporter_name = (reporter_name or "").strip()
    text, normalized_phone, filed_by = _validate_intake(
        household=household,
        category=category,
        description=description,
        channel=channel,
        filed_by=filed_by,
        resident=resident,
        resident_urgency=resident_urgency,
        reporter_name=reporter_name,
        phone=phone,
        partner_name=partner_name,
        partner_ref=partner_ref,
        idempotency_key=idempotency_key,
        reporter=reporter,
    )
    if reporter is not None and not Household.objects.visible_to(reporter).filter(pk=household.pk).exists():
        raise PermissionDenied(_("Household %s is not in your area.") % household.pk)
    if idempotency_key:
        earlier = Intake.objects.filter(reporter=reporter, idempotency_key=idempotency_key).select_related("ticket")
        if earlier:
            return _replay(earlier[0], household, category)
    if partner_ref:
        earlier = Intake.objects.filter(partner_name=partner_name, partner_ref=partner_ref).select_related("ticket")
        if earlier:
            return _replay(earlier[0], household, category)
    intake = Intake(
        path=household.path,
        channel=channel,
        filed_by=filed_by,
        reporter=reporter,
        reporter_name=reporter_name or (str(reporter) if reporter else ""),
        description=text,
        resident_urgency=resident_urgency,
        partner_name=partner_name,
        partner_ref=partner_ref,
        idempotency_key=idempotency_key,
        received_at=now,
    )
    if normalized_phone:
        intake.set_phone(normalized_phone)
    with transaction.atomic():
        # Serialise intakes of one household (PostgreSQL row lock; SQLite transactions are IMMEDIATE).
        list(Household.objects.select_for_update().filter(pk=household.pk).values_list("pk"))
        open_ticket = (
            ServiceRequest.objects.select_for_update()
            .filter(household=household, category=category, status__in=LINKABLE_STATUSES)
            .first()
        )
        if open_ticket is not None:
            ticket = _link(open_ticket, intake, actor=actor, at=now)
        else:
            ticket = _open(household, intake, category=category, resident=resident, actor=actor, at=now)
    ticket.intake, ticket.replayed = intake, False
    return ticket


def _link(ticket: ServiceRequest, intake: Intake, *, actor, at) -> ServiceRequest:
    intake.ticket, intake.linked = ticket, True
    intake.save()
    ServiceRequest.objects.filter(pk=ticket.pk).update(intake_count=F("intake_count") + 1, updated_at=at)
    ticket.intake_count += 1
    _event(
        ticket,
        EventKind.LINKED,
        actor=actor,
        at=at,
        public=True,
        detail={"channel": intake.channel, "filed_by": intake.filed_by, "intake": intake.pk},
        note=intake.description,
    )
    audit.record(actor=actor, action="link", obj=ticket, detail={"channel": intake.channel, "intake": intake.pk})
    if ticket.priority == Priority.EMERGENCY:
        hooks.emit_emergency(_fresh(ticket), reason="linked")
    ticket.linked = True
    return ticket


def _open(household: Household, intake: Intake, *, category, resident, actor, at) -> ServiceRequest:
    day = timezone.localdate(at)
    rule_set = rules.rule_set_in_force(household.district_id, day)
    priority = rules.initial_priority(category, intake.resident_urgency)
    limits = rules.limit_table(rule_set).limits(category, priority)
    due = rules.deadlines(at, limits)
    clock = rules.escalation(current_level=rules.TOP_LEVEL, due=due, reached={}, limits=limits, now=at)
    tier = adapters.tiers_of_households([household.pk], on=at).get(household.pk, adapters.NO_TIER)
    worker, routed_level = adapters.route(household, clock.level, day)
    ticket = ServiceRequest.objects.create(
        district_id=household.district_id,
        community_id=household.community_id,
        compound_id=household.compound_id,
        household=household,
        path=household.path,
        resident=resident,
        category=category,
        description=intake.description,
        resident_urgency=intake.resident_urgency,
        priority=priority,
        status=Status.NEW,
        status_reason=EventKind.RECEIVED,
        received_at=at,
        sla_rule_set=rule_set,
        accept_due_at=due[Step.ACCEPT],
        on_site_due_at=due[Step.ON_SITE],
        fulfil_due_at=due[Step.FULFIL],
        due_at=rules.next_due(due, {}),
        escalation_level=clock.level,
        next_escalation_at=clock.next_check,
        routed_worker=worker,
        routed_level=routed_level,
        tier_key=tier.key,
        tier_name=tier.name,
        created_by=intake.reporter,
    )
    ticket.number = f"{day:%Y%m%d}-{ticket.pk:07d}"
    ServiceRequest.objects.filter(pk=ticket.pk).update(number=ticket.number)
    intake.ticket = ticket
    intake.save()
    _event(
        ticket,
        EventKind.RECEIVED,
        actor=actor,
        at=at,
        to_status=Status.NEW,
        reason_code=EventKind.RECEIVED,
        public=True,
        level=routed_level,
        note=intake.description,
        detail={
            "channel": intake.channel,
            "filed_by": intake.filed_by,
            "priority": priority,
            "routed_worker": worker.pk if worker else None,
            "tier": tier.key,
        },
    )
    audit.record(
        actor=actor,
        action="create",
        obj=ticket,
        reason=EventKind.RECEIVED,
        detail={"channel": intake.channel, "category": category, "priority": priority, "number": ticket.number},
    )
    if worker is not None:
        _notify(ticket, NotificationKind.NEW_REQUEST, at=at, worker=worker, level=routed_level)
    if priority == Priority.EMERGENCY:
        _emergency_alert(ticket, at=at, reason="intake", actor=actor)
    ticket.linked = False
    return ticket


# --------------------------------------------------------------------------------------------- status changes


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


def service_request_confirm(*, actor, ticket: ServiceRequest, note: str = "", at=None) -> ServiceRequest:
    """The household confirms a fulfilled ticket: fulfilled → confirmed.

    ``actor`` None: the household itself through its QR link (the view has checked that the token
    belongs to the ticket's household). A staff member confirming on the household's behalf (by phone)
    needs HANDLE_REQUESTS and a ``note`` saying how the household confirmed."""
    now = _now(at)
    staff = _user(actor)
    if staff is not None:
        _require_handler(actor, ticket)
        if not note.strip():
            raise ValidationError({"note": _("say how the household confirmed (e.g. by phone)")})
    with transaction.atomic():
        fresh = _fresh(ticket)
        if fresh.status != Status.FULFILLED:
            raise StatusConflict(
                _("Only a fulfilled request can be confirmed (this one is %s).") % fresh.get_status_display()
            )
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


def service_request_close(*, actor, ticket: ServiceRequest, outcome: str, note: str, at=None) -> ServiceRequest:
    """Close ``ticket`` with an ``outcome`` (Outcome) and a written ``note`` (the reason), from any status
    but confirmed or closed; every clock stops. Nothing is deleted. ValidationError names a bad field."""
    now = _now(at)
    _require_handler(actor, ticket)
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("unknown outcome “%s”") % (outcome,)
    if not (note or "").strip():
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
    if not text:
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


# --------------------------------------------------------------------------------------------- escalation


@dataclass
class TickReport:
    """What one ``requests_tick`` did: tickets ``checked``, ``escalated`` (with ``by_level`` counts),
    ``emergency_alerts`` sent, ``unrouted`` (escalated but nobody in the chain from that level up)."""

    checked: int = 0
    escalated: int = 0
    by_level: dict[int, int] = field(default_factory=dict)
    emergency_alerts: int = 0
    unrouted: int = 0

    def __str__(self) -> str:
        levels = ", ".join(f"L{k}: {v}" for k, v in sorted(self.by_level.items())) or "-"
        return (
            f"checked {self.checked}, escalated {self.escalated} ({levels}), "
            f"emergency alerts {self.emergency_alerts}, unrouted {self.unrouted}"
        )


_TICK_FIELDS = (
    "pk",
    "household_id",
    "path",
    "category",
    "priority",
    "status",
    "escalation_level",
    "sla_rule_set_id",
    "accept_due_at",
    "on_site_due_at",
    "fulfil_due_at",
    "accepted_at",
    "on_site_at",
    "fulfilled_at",
)


def requests_tick(*, now: dt.datetime | None = None, batch_size: int = 5000) -> TickReport:
    """Apply every escalation due at ``now`` (default: now); idempotent and safe to run every minute.

    Looks only at open tickets whose ``next_escalation_at`` has passed (an indexed range), computes the
    level each must have reached (rules.escalation), and for those that rise: sets the level and the
    routing (the nearest responsible person from the new level up, workforce.responsible_for in bulk),
    writes one timeline event, one notification for the person routed to and one audit entry each,
    alerts the gate duty post of every escalated emergency, and stores when to look again. A second run
    at the same instant changes nothing. Work is done in batches of ``batch_size`` tickets, each in one
    transaction (rows locked with SKIP LOCKED on PostgreSQL so two runs never process the same ticket).
    """
    now = _now(now)
    report = TickReport()
    tables: dict[int, rules.LimitTable] = {}
    while True:
        with transaction.atomic():
            # Only open tickets have a next check (fulfilling or closing clears it), so the status is checked
            # in Python: the query stays one range scan of the next-check index whatever the statistics say.
            due_rows = list(
                ServiceRequest.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .filter(next_escalation_at__lte=now)
                .order_by("next_escalation_at", "id")
                .values_list(*_TICK_FIELDS)[:batch_size]
            )
            if not due_rows:
                break
            _tick_batch(due_rows, now, tables, report)
        if len(due_rows) < batch_size:
            break
    return report


def _tick_batch(due_rows, now, tables, report: TickReport) -> None:
    from lianfang.assistance.models import SlaRuleSet  # noqa: PLC0415

    report.checked += len(due_rows)
    missing = {r[7] for r in due_rows} - set(tables)
    for rule_set in SlaRuleSet.objects.filter(pk__in=missing):
        tables[rule_set.pk] = rules.LimitTable(rule_set)
    rises: list[tuple] = []
    rechecks: list[tuple] = []
    stale: list[int] = []
    for row in due_rows:
        (pk, household_id, path, category, priority, status, level, rs, acc_due, site_due, ful_due, acc, site, ful) = (
            row
        )
        if status not in OPEN_STATUSES:
            stale.append(pk)  # not expected (leaving the open statuses clears the next check); never escalate
            continue
        limits = tables[rs].limits(category, priority)
        clock = rules.escalation(
            current_level=level,
            due={Step.ACCEPT: acc_due, Step.ON_SITE: site_due, Step.FULFIL: ful_due},
            reached={Step.ACCEPT: acc, Step.ON_SITE: site, Step.FULFIL: ful},
            limits=limits,
            now=now,
        )
        if clock.level < level:
            rises.append((pk, household_id, path, priority, level, clock.level, clock.next_check, clock.overdue))
        else:
            rechecks.append((pk, clock.next_check))
    adapt = connection.ops.adapt_datetimefield_value
    table = ServiceRequest._meta.db_table
    with connection.cursor() as cursor:
        rechecks.extend((pk, None) for pk in stale)
        if rechecks:
            cursor.executemany(
                f'UPDATE "{table}" SET "next_escalation_at" = %s WHERE "id" = %s',  # noqa: S608
                [(adapt(nxt), pk) for pk, nxt in rechecks],
            )
        if not rises:
            return
        day = timezone.localdate(now)
        routes = adapters.route_many([(r[1], r[5]) for r in rises], day)
        cursor.executemany(
            f'UPDATE "{table}" SET "escalation_level" = %s, "escalated_at" = %s, "next_escalation_at" = %s, '  # noqa: S608
            '"routed_worker_id" = %s, "routed_level" = %s, "updated_at" = %s '
            'WHERE "id" = %s AND "escalation_level" = %s',
            [
                (
                    new,
                    adapt(now),
                    adapt(nxt),
                    routes[(h, new)][0].pk if (h, new) in routes else None,
                    routes[(h, new)][1] if (h, new) in routes else None,
                    adapt(now),
                    pk,
                    old,
                )
                for pk, h, _path, _prio, old, new, nxt, _over in rises
            ],
        )
    events, notes = [], []
    for pk, h, path, _prio, old, new, _nxt, overdue in rises:
        worker, routed_level = routes.get((h, new), (None, None))
        report.by_level[new] = report.by_level.get(new, 0) + 1
        if worker is None:
            report.unrouted += 1
        events.append(
            (
                pk,
                path,
                adapt(now),
                None,
                "",
                EventKind.ESCALATED,
                "",
                "",
                EventKind.ESCALATED,
                "",
                new,
                False,
                _json(
                    {
                        "from": old,
                        "to": new,
                        "overdue": list(overdue),
                        "routed_worker": worker.pk if worker else None,
                        "routed_level": routed_level,
                    }
                ),
            )
        )
        if worker is not None:
            notes.append((pk, path, NotificationKind.ESCALATION, new, worker.pk, worker.user_id, adapt(now), None))
    report.escalated += len(rises)
    bulk.insert_rows(
        TicketEvent,
        [
            "ticket_id",
            "path",
            "at",
            "actor_id",
            "actor_name",
            "kind",
            "from_status",
            "to_status",
            "reason_code",
            "note",
            "level",
            "public",
            "detail",
        ],
        events,
    )
    bulk.insert_rows(
        Notification,
        ["ticket_id", "path", "kind", "level", "recipient_worker_id", "recipient_user_id", "created_at", "read_at"],
        notes,
    )
    # The audit entries record_many would write, without building 2 × N model instances (a backlog is thousands).
    stamp = adapt(timezone.now())
    bulk.insert_rows(
        AuditEntry,
        ["at", "actor_id", "action", "object_type", "object_id", "division_code", "reason", "detail"],
        [
            (
                stamp,
                None,
                "escalate",
                "assistance.servicerequest",
                str(pk),
                path,
                EventKind.ESCALATED,
                _json({"from": old, "to": new}),
            )
            for pk, _h, path, _prio, old, new, _nxt, _over in rises
        ],
    )
    emergencies = [r[0] for r in rises if r[3] == Priority.EMERGENCY]
    if emergencies:
        for ticket in ServiceRequest.objects.filter(pk__in=emergencies).select_related(
            "household", "compound", "community"
        ):
            _emergency_alert(ticket, at=now, reason="escalation")
            report.emergency_alerts += 1


def _json(value) -> str:
    import json  # noqa: PLC0415

    return json.dumps(value)


# --------------------------------------------------------------------------------------------- QR tokens


def _new_token() -> str:
    return secrets.token_urlsafe(16)


def household_token_issue(*, actor, household: Household, at=None) -> tuple[HouseholdToken, str]:
    """Issue a new QR token for ``household`` and return ``(row, plain token)``; the household's previous
    live token (if any) is revoked with reason ``reissued``. Print the plain token in the QR link
    (``/assistance/r/<token>/``); it can be read again later with ``row.token_plain()``.
    Requires a role over the household's division with HANDLE_REQUESTS or EDIT_REGISTRY."""
    now = _now(at)
    _require_token_manager(actor, household)
    with transaction.atomic():
        HouseholdToken.objects.filter(household=household, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=_user(actor), revoke_reason="reissued"
        )
        row, plain = _mint(household, actor, now)
        audit.record(actor=actor, action="token_issue", obj=household, detail={"hint": row.hint})
    return row, plain


def _mint(household: Household, actor, now) -> tuple[HouseholdToken, str]:
    plain = _new_token()
    row = HouseholdToken.objects.create(
        household=household,
        path=household.path,
        token_hash=pii.lookup_hash("household_token", plain),
        token_enc=pii.encrypt(plain),
        hint=plain[-4:],
        issued_at=now,
        issued_by=_user(actor),
    )
    return row, plain


def _require_token_manager(actor, household: Household) -> None:
    if actor is None:
        return  # system work (management commands)
    if not Household.objects.visible_to(actor).filter(pk=household.pk).exists() or not (
        can(actor, Capability.HANDLE_REQUESTS, household.path) or can(actor, Capability.EDIT_REGISTRY, household.path)
    ):
        raise PermissionDenied(_("You may not manage the QR link of household %s.") % household.pk)


def household_token_revoke(*, actor, household: Household, reason: str, at=None) -> int:
    """Revoke the household's live QR token (a lost or photographed sticker); returns 1, or 0 when it
    had none. The old link stops working at once. ``reason`` is required."""
    now = _now(at)
    _require_token_manager(actor, household)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("a reason is required")})
    with transaction.atomic():
        count = HouseholdToken.objects.filter(household=household, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=_user(actor), revoke_reason=reason.strip()[:200]
        )
        if count:
            audit.record(actor=actor, action="token_revoke", obj=household, reason=reason.strip())
    return count


def household_tokens_ensure(*, actor, households, at=None) -> dict[int, str]:
    """``{household_id: plain token}`` for printing QR stickers: the live token of each household, one
    minted where it has none (audited once per call). Requires the same rights as issuing."""
    now = _now(at)
    households = list(households)
    for household in households:
        _require_token_manager(actor, household)
    live = {
        t.household_id: t.token_plain()
        for t in HouseholdToken.objects.filter(household__in=households, revoked_at__isnull=True)
    }
    minted = []
    with transaction.atomic():
        for household in households:
            if household.pk not in live:
                _row, live[household.pk] = _mint(household, actor, now)
                minted.append(household)
        if minted:
            audit.record_many(actor=actor, action="token_issue", objects=minted)
    return live


# --------------------------------------------------------------------------------------------- exit passes


def exit_pass_issue(
    *,
    actor,
    ticket: ServiceRequest,
    resident: Resident,
    destination: str,
    purpose: str,
    vehicle: str,
    first_day: dt.date,
    days: int,
    window_start: dt.time,
    window_end: dt.time,
    every_days: int = 1,
    companion: str = "",
    at=None,
) -> ExitPass:
    """Approve a medical exit pass (就医出行证) for a medical-trip ticket: one approval, ``days``
    windows from ``first_day``, one every ``every_days`` days, each from ``window_start`` to
    ``window_end`` (Asia/Shanghai wall-clock times, same day). E.g. a daily injection for six days:
    ``days=6, every_days=1``.

    The ticket must be a medical trip that has been accepted (not new, not final), ``resident`` a
    member of its household. The approver needs HANDLE_REQUESTS at community level or above (a
    community's staff, a street officer, the commander). Raises ValidationError naming each bad field.
    """
    now = _now(at)
    _require_handler(actor, ticket)
    ticket = _fresh(ticket)
    if not can(actor, Capability.HANDLE_REQUESTS, ticket.community.code):
        raise PermissionDenied(_("Exit passes are approved by community staff or above."))
    errors: dict[str, str] = {}
    if ticket.category != Category.MEDICAL_TRIP:
        errors["ticket"] = _("an exit pass is issued for a medical trip, not for %s") % ticket.get_category_display()
    if ticket.status not in (Status.ACCEPTED, Status.IN_PROGRESS):
        errors["ticket"] = _("accept the request first (it is %s)") % ticket.get_status_display()
    if resident is None or resident.household_id != ticket.household_id:
        errors["resident"] = _("%(name)s is not a member of household %(household)s") % {
            "name": resident,
            "household": ticket.household_id,
        }
    for name, value, limit in (("destination", destination, 120), ("purpose", purpose, 120), ("vehicle", vehicle, 60)):
        if not (value or "").strip():
            errors[name] = _("this field is required")
        elif len(value) > limit:
            errors[name] = _("at most %(n)d characters, got %(got)d") % {"n": limit, "got": len(value)}
    if not isinstance(days, int) or not 1 <= days <= 31:
        errors["days"] = _("between 1 and 31 windows, got “%s”") % (days,)
    if not isinstance(every_days, int) or not 1 <= every_days <= 14:
        errors["every_days"] = _("every 1 to 14 days, got “%s”") % (every_days,)
    if window_start is None or window_end is None or window_end <= window_start:
        errors["window_end"] = _("the window must end after it starts on the same day (%(start)s–%(end)s)") % {
            "start": window_start,
            "end": window_end,
        }
    if isinstance(first_day, dt.date) and first_day < timezone.localdate(now):
        errors["first_day"] = _("the first day “%s” is in the past") % first_day
    if errors:
        raise ValidationError(errors)
    plain = _new_token()
    with transaction.atomic():
        exit_pass = ExitPass.objects.create(
            ticket=ticket,
            household_id=ticket.household_id,
            resident=resident,
            path=ticket.path,
            destination=destination.strip(),
            purpose=purpose.strip(),
            vehicle=vehicle.strip(),
            companion=companion.strip(),
            approved_by=actor,
            approved_at=now,
            token_hash=pii.lookup_hash("exit_pass", plain),
            token_enc=pii.encrypt(plain),
        )
        exit_pass.number = f"P{timezone.localdate(now):%Y%m%d}-{exit_pass.pk:06d}"
        ExitPass.objects.filter(pk=exit_pass.pk).update(number=exit_pass.number)
        windows = []
        for i in range(days):
            day = first_day + dt.timedelta(days=i * every_days)
            windows.append(
                ExitPassWindow(
                    exit_pass=exit_pass,
                    starts_at=timezone.make_aware(dt.datetime.combine(day, window_start)),
                    ends_at=timezone.make_aware(dt.datetime.combine(day, window_end)),
                )
            )
        ExitPassWindow.objects.bulk_create(windows)
        _event(
            ticket,
            EventKind.PASS_ISSUED,
            actor=actor,
            at=now,
            reason_code=EventKind.PASS_ISSUED,
            public=True,
            detail={"pass": exit_pass.pk, "number": exit_pass.number, "windows": days},
            note=f"{exit_pass.destination} · {first_day:%Y-%m-%d} ×{days}",
        )
        audit.record(
            actor=actor,
            action="create",
            obj=exit_pass,
            detail={
                "ticket": ticket.pk,
                "resident": resident.pk,
                "windows": days,
                "destination": exit_pass.destination,
            },
        )
    return exit_pass


def exit_pass_revoke(*, actor, exit_pass: ExitPass, reason: str, at=None) -> ExitPass:
    """Revoke a pass (the gate then refuses it); ``reason`` required. StatusConflict when already revoked."""
    now = _now(at)
    _require_handler(actor, exit_pass.ticket)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("a reason is required")})
    with transaction.atomic():
        if (
            ExitPass.objects.filter(pk=exit_pass.pk, status=PassStatus.ACTIVE).update(
                status=PassStatus.REVOKED, revoked_at=now, revoke_reason=reason.strip()[:200]
            )
            != 1
        ):
            raise StatusConflict(_("The pass is already revoked."))
        audit.record(actor=actor, action="status", obj=exit_pass, reason="revoked", detail={"note": reason})
    exit_pass.refresh_from_db()
    return exit_pass


def exit_pass_check_record(*, actor, exit_pass: ExitPass, valid: bool, at=None) -> None:
    """Audit one gate check of a pass (who checked it, when, and whether it let the person through)."""
    audit.record(
        actor=actor,
        action="pass_check",
        obj=exit_pass,
        detail={"valid": valid, "at": _now(at).isoformat()},
    )


# --------------------------------------------------------------------------------------------- proactive care


def _decimal(value, name: str, errors: dict, *, positive: bool) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[name] = _("a number is required, got “%s”") % (value,)
        return None
    if not number.is_finite() or (number <= 0 if positive else number < 0):
        errors[name] = (_("must be above 0, got %s") if positive else _("cannot be negative, got %s")) % value
        return None
    return number.quantize(Decimal("0.01"))


def care_medicine_set(
    *,
    actor,
    resident: Resident,
    name: str,
    dose_per_day,
    stock,
    stock_counted_on: dt.date,
    unit: str = "片",
    note: str = "",
) -> CareMedicine:
    """Put a chronic-illness medicine on file for ``resident``, or update it (same name: a new stock
    count after a refill). ``dose_per_day`` and ``stock`` are in ``unit``s; the stock was on hand at the
    start of ``stock_counted_on``. The run-out day is projected from them (CareMedicine.runs_out_on).
    Requires HANDLE_REQUESTS or EDIT_REGISTRY over the resident's division. ValidationError names fields."""
    if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists() or not (
        can(actor, Capability.HANDLE_REQUESTS, resident.path) or can(actor, Capability.EDIT_REGISTRY, resident.path)
    ):
        raise PermissionDenied(_("You may not keep medicines for this resident."))
    errors: dict[str, str | ValidationError] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("this field is required")
    dose = _decimal(dose_per_day, "dose_per_day", errors, positive=True)
    amount = _decimal(stock, "stock", errors, positive=False)
    if not isinstance(stock_counted_on, dt.date):
        errors["stock_counted_on"] = _("a date is required, got “%s”") % (stock_counted_on,)
    elif error := future_day_error(stock_counted_on):
        errors["stock_counted_on"] = error
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        medicine, created = CareMedicine.objects.select_for_update().get_or_create(
            resident=resident,
            name=name,
            active=True,
            defaults={
                "household_id": resident.household_id,
                "path": resident.path,
                "unit": unit.strip() or "片",
                "dose_per_day": dose,
                "stock": amount,
                "stock_counted_on": stock_counted_on,
                "note": note.strip(),
            },
        )
        if not created:
            medicine.dose_per_day, medicine.stock, medicine.stock_counted_on = dose, amount, stock_counted_on
            medicine.unit, medicine.note = unit.strip() or medicine.unit, note.strip() or medicine.note
            medicine.save()
        audit.record(
            actor=actor,
            action="create" if created else "update",
            obj=medicine,
            detail={"dose_per_day": str(dose), "stock": str(amount), "counted_on": stock_counted_on.isoformat()},
        )
    return medicine


def care_medicine_end(*, actor, medicine: CareMedicine, reason: str) -> CareMedicine:
    """Take a medicine off file (no more refill projections); ``reason`` required."""
    if not CareMedicine.objects.visible_to(actor).filter(pk=medicine.pk).exists():
        raise PermissionDenied(_("You may not keep medicines for this resident."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("a reason is required")})
    with transaction.atomic():
        CareMedicine.objects.filter(pk=medicine.pk).update(active=False, note=reason.strip()[:200])
        audit.record(actor=actor, action="end", obj=medicine, reason=reason.strip())
    medicine.refresh_from_db()
    return medicine


@dataclass
class CareReport:
    """What one ``care_tick`` did on ``day``: check-in tasks ``tasks_created`` (``eligible`` residents in
    care tiers), refill requests ``refills_opened`` (``refills_linked`` joined an open medicine ticket)."""

    day: dt.date
    eligible: int = 0
    tasks_created: int = 0
    refills_opened: int = 0
    refills_linked: int = 0

    def __str__(self) -> str:
        return (
            f"{self.day}: {self.eligible} residents need a check-in, {self.tasks_created} tasks created; "
            f"refill requests opened {self.refills_opened}, linked {self.refills_linked}"
        )


def care_tick(*, on: dt.date | None = None, now: dt.datetime | None = None) -> CareReport:
    """Daily proactive care for ``on`` (default today, Asia/Shanghai); idempotent.

    1. Check-in tasks: every living resident of a household in a zone tier listed in the rule set's
       ``care_tiers`` (sealed / high) who has a vulnerability flag in ``check_in_flags`` (elderly living
       alone, chronic illness, no smartphone) or an active medicine on file gets one task for the day,
       for the household's representative (L4) on that day. One per resident and day.
    2. Refills: for every active medicine whose projected run-out day minus ``refill_lead_days`` is on or
       before the day, a medicine request is filed (channel proactive, by Lianfang) unless one was
       already filed since the stock was last counted; it joins an open medicine ticket of the household.
    """
    now = _now(now)
    day = on or timezone.localdate(now)
    district = Division.objects.filter(code=_district_code()).first()
    rule_set = rules.rule_set_in_force(district.pk if district else None, day)
    report = CareReport(day=day)
    _check_in_tasks(rule_set, day, now, report)
    _refills(rule_set, day, now, report)
    return report


def _district_code() -> str:
    from django.conf import settings  # noqa: PLC0415

    return settings.LIANFANG_DISTRICT_CODE


def _check_in_tasks(rule_set, day: dt.date, now, report: CareReport) -> None:
    from lianfang.core.scoping import subtree_q  # noqa: PLC0415

    tiers = adapters.TierLookup(now)
    roots = tiers.roots()
    if not roots:
        return
    in_areas = Q()
    for code in roots:
        in_areas |= subtree_q("path", code)
    flags = [f for f in rule_set.check_in_flags if f in {n for n, _l in _flag_names()}]
    wanted = Q(pk__in=CareMedicine.objects.filter(active=True).values("resident_id"))
    for flag in flags:
        wanted |= Q(**{flag: True})
    candidates = (
        Resident.objects.filter(in_areas)
        .filter(wanted, is_deceased=False)
        .exclude(residence_status=ResidenceStatus.AWAY)
        .values_list("pk", "household_id", "path", *flags)
    )
    medicated = set(CareMedicine.objects.filter(active=True).values_list("resident_id", flat=True))
    care = set(rule_set.care_tiers)
    rows = []
    for pk, household_id, path, *values in candidates:
        if tiers.tier_key(path) not in care:
            continue
        reasons = [flag for flag, on_ in zip(flags, values, strict=True) if on_]
        if pk in medicated and "chronic_illness" not in reasons:
            reasons.append("chronic_illness")
        rows.append((pk, household_id, path, reasons))
    report.eligible = len(rows)
    if not rows:
        return
    existing = set(
        CheckInTask.objects.filter(day=day, resident_id__in=[r[0] for r in rows]).values_list("resident_id", flat=True)
    )
    fresh = [r for r in rows if r[0] not in existing]
    if not fresh:
        return
    reps = adapters.representatives(sorted({r[1] for r in fresh}), day)
    with transaction.atomic():
        created = CheckInTask.objects.bulk_create(
            [
                CheckInTask(household_id=h, resident_id=pk, path=path, day=day, reasons=reasons, worker=reps.get(h))
                for pk, h, path, reasons in fresh
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        audit.record(
            actor=None,
            action="care_tasks",
            object_type="assistance.checkintask",
            division_code=_district_code(),
            detail={"day": day.isoformat(), "created": len(created)},
        )
    report.tasks_created = len(fresh)


def _flag_names():
    from lianfang.registry.models import VULNERABILITY_FLAGS  # noqa: PLC0415

    return VULNERABILITY_FLAGS


def _refills(rule_set, day: dt.date, now, report: CareReport) -> None:
    lead = dt.timedelta(days=rule_set.refill_lead_days)
    medicines = CareMedicine.objects.filter(active=True).select_related("household", "resident", "refill_ticket")
    for medicine in medicines.iterator(chunk_size=2000):
        if medicine.runs_out_on - lead > day:
            continue
        earlier = medicine.refill_ticket
        if earlier is not None and timezone.localdate(earlier.received_at) >= medicine.stock_counted_on:
            continue  # already filed since the stock was counted
        if medicine.resident.is_deceased:
            continue
        description = _("Refill: %(medicine)s for %(name)s runs out on %(day)s (%(dose)s %(unit)s a day).") % {
            "medicine": medicine.name,
            "name": medicine.resident.name,
            "day": medicine.runs_out_on.isoformat(),
            "dose": medicine.dose_per_day.normalize(),
            "unit": medicine.unit,
        }
        ticket = service_request_create(
            actor=None,
            household=medicine.household,
            category=Category.MEDICINE,
            description=description,
            channel=Channel.PROACTIVE,
            filed_by=FiledBy.SYSTEM,
            resident=medicine.resident,
            at=now,
        )
        CareMedicine.objects.filter(pk=medicine.pk).update(refill_ticket=ticket)
        if ticket.linked:
            report.refills_linked += 1
        else:
            report.refills_opened += 1
            if ticket.routed_worker_id:
                _notify(ticket, NotificationKind.REFILL, at=now, worker=ticket.routed_worker, level=ticket.routed_level)


def check_in_done(
    *,
    actor,
    task: CheckInTask,
    result: str,
    note: str = "",
    category: str = Category.OTHER,
    at=None,
) -> CheckInTask:
    """Record a daily check-in (once). ``result`` is a CheckInResult; ``needs_help`` files a request of
    ``category`` for the household (channel proactive, by ``actor``) with ``note`` as its description.
    Needs FIELD_WORK or HANDLE_REQUESTS and the household in scope. StatusConflict when already done."""
    now = _now(at)
    if not CheckInTask.objects.visible_to(actor).filter(pk=task.pk).exists() or not (
        can(actor, Capability.FIELD_WORK, task.path) or can(actor, Capability.HANDLE_REQUESTS, task.path)
    ):
        raise PermissionDenied(_("You may not record this check-in."))
    errors = {}
    if result not in CheckInResult.values:
        errors["result"] = _("unknown result “%s”") % (result,)
    if result == CheckInResult.NEEDS_HELP and not (note or "").strip():
        errors["note"] = _("say what help is needed")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if (
            CheckInTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
                done_at=now, done_by=actor, result=result, note=(note or "").strip()[:300]
            )
            != 1
        ):
            raise StatusConflict(_("This check-in was already recorded."))
        task.refresh_from_db()
        if result == CheckInResult.NEEDS_HELP:
            ticket = service_request_create(
                actor=actor,
                household=task.household,
                category=category,
                description=note,
                channel=Channel.PROACTIVE,
                filed_by=FiledBy.STAFF,
                resident=task.resident,
                at=now,
            )
            CheckInTask.objects.filter(pk=task.pk).update(ticket=ticket)
            task.ticket = ticket
        audit.record(actor=actor, action="check_in", obj=task, detail={"result": result})
    return task


# --------------------------------------------------------------------------------------------- supplies


def _headcounts(household_ids) -> dict[int, int]:
    from django.db.models import Count  # noqa: PLC0415

    rows = (
        Resident.objects.filter(household_id__in=household_ids, is_deceased=False)
        .exclude(residence_status=ResidenceStatus.AWAY)
        .values("household_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["household_id"]: r["n"] for r in rows}


def supply_plan_create(
    *,
    actor,
    division: Division,
    day: dt.date,
    name: str,
    contents: str = "",
    pack_sizes: list[dict] | None = None,
    at=None,
) -> SupplyPlan:
    """Plan a supply distribution to every household under ``division`` (a compound, building, unit or
    community) on ``day``: one checklist line per household with its headcount (living residents not
    away, registered or not) and the pack for that headcount (``pack_sizes``, default: the rule set's).
    Unregistered tenants found at the door are added with :func:`supply_delivery_add_tenant`.
    Requires HANDLE_REQUESTS over ``division``. ValidationError names bad fields."""
    now = _now(at)
    if not Division.objects.visible_to(actor).filter(pk=division.pk).exists() or not can(
        actor, Capability.HANDLE_REQUESTS, division.code
    ):
        raise PermissionDenied(_("You may not plan supplies for %s.") % division)
    errors: dict[str, str] = {}
    if division.level < Level.COMMUNITY:
        errors["division"] = _("a plan covers a community or a part of one, not %s") % division
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("this field is required")
    if not isinstance(day, dt.date):
        errors["day"] = _("a date is required, got “%s”") % (day,)
    if pack_sizes is None:
        pack_sizes = rules.rule_set_in_force(division.district_id, timezone.localdate(now)).pack_sizes
    try:
        packs = rules.validate_pack_sizes(pack_sizes)
    except ValueError as exc:
        errors["pack_sizes"] = str(exc)
    if errors:
        raise ValidationError(errors)
    households = list(
        Household.objects.within(division.code).values_list("pk", "path", "building_id", "room", "address")
    )
    counts = _headcounts([h[0] for h in households])
    with transaction.atomic():
        plan = SupplyPlan.objects.create(
            name=name,
            district_id=division.district_id,
            division=division,
            path=division.code,
            day=day,
            contents=contents.strip(),
            pack_sizes=packs,
            created_by=actor,
        )
        SupplyDelivery.objects.bulk_create(
            [
                SupplyDelivery(
                    plan=plan,
                    household_id=pk,
                    building_id=building_id,
                    path=path,
                    address=address,
                    room=room,
                    headcount=counts.get(pk, 0),
                    pack=rules.pack_for(packs, counts.get(pk, 0)),
                )
                for pk, path, building_id, room, address in households
            ],
            batch_size=500,
        )
        audit.record(actor=actor, action="create", obj=plan, detail={"households": len(households), "day": str(day)})
    return plan


def supply_delivery_add_tenant(
    *, actor, plan: SupplyPlan, building: Division, room: str, headcount: int, note: str = ""
) -> SupplyDelivery:
    """Add an unregistered tenant household found at the door to ``plan`` (building and room as told).
    Needs FIELD_WORK or HANDLE_REQUESTS over the building; the building must be inside the plan's area."""
    _require_delivery_worker(actor, plan.path)
    errors: dict[str, str] = {}
    if building is None or (not building.code.startswith(plan.path) and not plan.path.startswith(building.code)):
        errors["building"] = _("%(building)s is outside the plan's area %(area)s") % {
            "building": building,
            "area": plan.path,
        }
    room = (room or "").strip()
    if not room:
        errors["room"] = _("this field is required")
    if not isinstance(headcount, int) or not 1 <= headcount <= 30:
        errors["headcount"] = _("between 1 and 30 people, got “%s”") % (headcount,)
    if plan.status != PlanStatus.ACTIVE:
        errors["plan"] = _("the plan is closed")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        delivery = SupplyDelivery.objects.create(
            plan=plan,
            building=building if building.level >= Level.BUILDING else None,
            path=building.code if building.code.startswith(plan.path) else plan.path,
            address=household_address(Placement.of(building), room),
            room=room,
            headcount=headcount,
            pack=rules.pack_for(plan.pack_sizes, headcount),
            unregistered=True,
            note=note.strip()[:200],
        )
        audit.record(actor=actor, action="create", obj=delivery, detail={"plan": plan.pk, "unregistered": True})
    return delivery


def _require_delivery_worker(actor, path: str) -> None:
    if not (can(actor, Capability.FIELD_WORK, path) or can(actor, Capability.HANDLE_REQUESTS, path)):
        raise PermissionDenied(_("You may not record deliveries here."))


def supply_delivery_mark(*, actor, delivery: SupplyDelivery, status: str, note: str = "", at=None) -> SupplyDelivery:
    """A volunteer ticks a checklist line: pending/failed → delivered, or pending → failed (with a
    ``note`` saying why). Conditional update; StatusConflict when it changed meanwhile."""
    now = _now(at)
    if not SupplyDelivery.objects.visible_to(actor).filter(pk=delivery.pk).exists():
        raise PermissionDenied(_("You may not record deliveries here."))
    _require_delivery_worker(actor, delivery.path)
    allowed = {
        DeliveryStatus.DELIVERED: [DeliveryStatus.PENDING, DeliveryStatus.FAILED],
        DeliveryStatus.FAILED: [DeliveryStatus.PENDING],
    }
    if status not in allowed:
        raise ValidationError({"status": _("unknown status “%s”") % (status,)})
    if status == DeliveryStatus.FAILED and not (note or "").strip():
        raise ValidationError({"note": _("say why it could not be delivered")})
    with transaction.atomic():
        if (
            SupplyDelivery.objects.filter(
                pk=delivery.pk, status__in=allowed[status], plan__status=PlanStatus.ACTIVE
            ).update(status=status, status_at=now, status_by=actor, note=(note or delivery.note).strip()[:200])
            != 1
        ):
            raise StatusConflict(_("This line changed meanwhile, or the plan is closed; reload it."))
        audit.record(actor=actor, action="status", obj=delivery, reason=status)
    delivery.refresh_from_db()
    return delivery


def supply_delivery_confirm(*, actor, delivery: SupplyDelivery, at=None) -> SupplyDelivery:
    """The household confirms receipt of a delivered pack (``actor`` None: through its QR link, checked
    by the view; staff: FIELD_WORK or HANDLE_REQUESTS). Once; StatusConflict when not delivered yet."""
    now = _now(at)
    if _user(actor) is not None:
        _require_delivery_worker(actor, delivery.path)
    with transaction.atomic():
        if (
            SupplyDelivery.objects.filter(
                pk=delivery.pk, status=DeliveryStatus.DELIVERED, confirmed_at__isnull=True
            ).update(confirmed_at=now)
            != 1
        ):
            raise StatusConflict(_("Only a delivered pack can be confirmed, once."))
        audit.record(
            actor=actor, action="confirm", obj=delivery, detail={"via": "staff" if _user(actor) else "household"}
        )
    delivery.refresh_from_db()
    return delivery


def supply_plan_close(*, actor, plan: SupplyPlan) -> SupplyPlan:
    """Close a plan at the end of its day; its undelivered lines stay on record (selectors.undelivered)."""
    if not can(actor, Capability.HANDLE_REQUESTS, plan.path):
        raise PermissionDenied(_("You may not close this plan."))
    with transaction.atomic():
        if SupplyPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(status=PlanStatus.CLOSED) != 1:
            raise StatusConflict(_("The plan is already closed."))
        audit.record(actor=actor, action="status", obj=plan, reason="closed")
    plan.refresh_from_db()
    return plan
