"""What the service-request write layer shares: :class:`StatusConflict` (a status change that lost to
another one), ``MAX_TEXT``, who may work on a ticket (:func:`can_handle`, :func:`can_supervise`), the gate
duty post alerted for it (:func:`gate_post_code`), and the private helpers: the instant of a write, the
actor, timeline events, notifications, the emergency alert and new link tokens. Imports no other module
of the package."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.assistance import hooks
from lianfang.assistance.models import (
    EventKind,
    Notification,
    NotificationKind,
    ServiceRequest,
    TicketEvent,
)
from lianfang.core import fielderrors

MAX_TEXT = 2000


class StatusConflict(Exception):
    """A status change lost to a concurrent one, or the ticket is not in a status that allows it.

    ``message`` is translated and names the current state (e.g. who accepted it first)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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
    """Write one timeline event (call it inside the transition's transaction). Raises ValidationError
    ``{"note": …}`` when the note holds a control character (core.fielderrors.control_character_problem;
    tab and line breaks are allowed), which rolls the transition back."""
    if problem := fielderrors.control_character_problem(fields.get("note") or ""):
        raise ValidationError({"note": problem})
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


def _new_token() -> str:
    return secrets.token_urlsafe(16)
