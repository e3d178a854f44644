"""Reads of the service-request app: the QR token look-up, dashboards, timelines, pass checks.

Functions taking ``user`` return only rows ``Model.objects.visible_to(user)`` gives. The QR look-ups
(:func:`household_for_token`, :func:`exit_pass_for_token`) take the token as the scope: whoever holds
the printed link sees that household's own tickets and nothing else.

For other apps (field operations: home health check-ins through the same QR link):

- :func:`household_for_token` — ``token -> Household | None`` (None for an unknown or revoked token);
- tokens are minted with ``services.tokens.household_token_issue(*, actor, household)`` (returns ``(row,
  plain token)``; the previous token is revoked) or in bulk for printing with
  ``services.tokens.household_tokens_ensure(*, actor, households)``, and revoked with
  ``services.tokens.household_token_revoke(*, actor, household, reason)``; the link is
  ``reverse("assistance:resident_home", args=[token])``.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.assistance.models import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    Category,
    DeliveryStatus,
    ExitPass,
    HouseholdToken,
    Notification,
    PassStatus,
    ServiceRequest,
    Status,
    SupplyDelivery,
    SupplyPlan,
    TicketEvent,
)
from lianfang.core import pii

# ------------------------------------------------------------------------------------------ QR tokens


def household_for_token(token: str):
    """The Household whose live QR token is ``token``, or None (unknown, malformed or revoked). One query."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    row = (
        HouseholdToken.objects.filter(token_hash=pii.lookup_hash("household_token", token), revoked_at__isnull=True)
        .select_related("household", "household__community", "household__compound")
        .first()
    )
    return row.household if row is not None else None


def exit_pass_for_token(token: str):
    """The ExitPass of a pass QR ``token`` (any status), with person and household loaded; or None."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    return (
        ExitPass.objects.filter(token_hash=pii.lookup_hash("exit_pass", token))
        .select_related("resident", "household", "ticket")
        .first()
    )


@dataclass(frozen=True)
class PassCheck:
    """The answer at the gate: ``valid`` with the ``window`` in force, or not valid with a ``reason``
    (``revoked``, ``outside_window``); ``next_window`` is the next one to come (or None)."""

    exit_pass: ExitPass
    valid: bool
    reason: str
    window: object = None
    next_window: object = None


def exit_pass_check(exit_pass: ExitPass, at: dt.datetime | None = None) -> PassCheck:
    """Whether ``exit_pass`` lets its person through at ``at`` (default now): active and inside one of its
    windows (``starts_at <= at <= ends_at``). One query."""
    at = at or timezone.now()
    windows = list(exit_pass.windows.order_by("starts_at"))
    current = next((w for w in windows if w.starts_at <= at <= w.ends_at), None)
    upcoming = next((w for w in windows if w.starts_at > at), None)
    if exit_pass.status != PassStatus.ACTIVE:
        return PassCheck(exit_pass, False, "revoked", None, None)
    if current is None:
        return PassCheck(exit_pass, False, "outside_window", None, upcoming)
    return PassCheck(exit_pass, True, "", current, upcoming)


def valid_exit_pass(*, resident=None, household=None, reference: str | None = None, at: dt.datetime | None = None):
    """The ExitPass that lets a person through a gate at ``at`` (default now), or None.

    ``reference``: the printed pass number (``P20220327-000012``) or the token of its QR code, checked
    as given; otherwise the active passes of ``resident`` (or of anyone in ``household``) with a window
    containing ``at``. A revoked pass, or one outside its windows, is None. For gate registration
    (field operations): record ``pass.reference``."""
    at = at or timezone.now()
    qs = ExitPass.objects.filter(status=PassStatus.ACTIVE, windows__starts_at__lte=at, windows__ends_at__gte=at)
    if reference:
        ref = reference.strip()
        qs = qs.filter(Q(number=ref) | Q(token_hash=pii.lookup_hash("exit_pass", ref)))
    elif resident is not None:
        qs = qs.filter(resident=resident)
    elif household is not None:
        qs = qs.filter(household=household)
    else:
        return None
    return qs.select_related("resident", "household").order_by("-approved_at").first()


# ------------------------------------------------------------------------------------------ dashboard


def overdue_q(now: dt.datetime) -> Q:
    """Open tickets with a step past its deadline at ``now`` (``due_at`` is the earliest pending one)."""
    return Q(status__in=list(OPEN_STATUSES), due_at__lt=now)


def by_urgency(queryset, now: dt.datetime):
    """``queryset`` of tickets ordered most urgent first, each annotated ``is_overdue`` (bool: open and its
    next deadline before ``now``): overdue tickets first, emergencies before urgent before normal among
    them; then open tickets by next deadline (soonest first); then the rest (fulfilled, confirmed,
    closed), newest first. Rule: a new-user trial found overdue emergencies buried under newer tickets."""
    rank = Case(
        *(When(priority=value, then=Value(n)) for value, n in PRIORITY_RANK.items()),
        default=Value(len(PRIORITY_RANK)),
        output_field=IntegerField(),
    )
    late = overdue_q(now)
    return queryset.annotate(
        is_overdue=Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField()),
        urgency=Case(When(late, then=rank), default=Value(len(PRIORITY_RANK)), output_field=IntegerField()),
        pending=Case(
            When(status__in=list(OPEN_STATUSES), then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
    ).order_by("urgency", "pending", F("due_at").asc(nulls_last=True), "-received_at", "-id")


@dataclass
class Board:
    """Open and overdue tickets under a division: ``rows`` = ``[(community, [(category, open, overdue)
    for each category in Category order], total_open, total_overdue)]``, ``totals`` per category, and
    the grand totals."""

    categories: list[tuple[str, str]]
    rows: list[tuple[object, list[tuple[str, int, int]], int, int]] = field(default_factory=list)
    totals: dict[str, tuple[int, int]] = field(default_factory=dict)
    open: int = 0
    overdue: int = 0


def open_board(*, user, code: str, now: dt.datetime | None = None) -> Board:
    """Open and overdue tickets by community and category under division ``code`` in ``user``'s scope.

    One grouped query over the tickets plus one for the community names, whatever the number of tickets.
    """
    from lianfang.divisions.models import Division  # noqa: PLC0415

    now = now or timezone.now()
    rows = (
        ServiceRequest.objects.visible_to(user)
        .within(code)
        .filter(status__in=list(OPEN_STATUSES))
        .values("community_id", "category")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=now)))
        .order_by()
    )
    board = Board(categories=list(Category.choices))
    cells: dict[int, dict[str, tuple[int, int]]] = {}
    for r in rows:
        cells.setdefault(r["community_id"], {})[r["category"]] = (r["n"], r["late"])
    names = Division.objects.in_bulk(list(cells))
    totals = {value: [0, 0] for value, _label in board.categories}
    for community_id in sorted(cells, key=lambda pk: names[pk].code):
        by_category = cells[community_id]
        n = sum(v[0] for v in by_category.values())
        late = sum(v[1] for v in by_category.values())
        ordered = [(value, *by_category.get(value, (0, 0))) for value, _label in board.categories]
        board.rows.append((names[community_id], ordered, n, late))
        for category, (c_n, c_late) in by_category.items():
            totals[category][0] += c_n
            totals[category][1] += c_late
        board.open += n
        board.overdue += late
    board.totals = {k: (v[0], v[1]) for k, v in totals.items()}
    return board


@dataclass(frozen=True)
class Medians:
    """Median minutes from first intake to acceptance and to fulfilment, over tickets received since
    ``since`` (None where no ticket reached the step), with the counts behind them."""

    since: dt.datetime
    accept_minutes: float | None
    fulfil_minutes: float | None
    accepted: int
    fulfilled: int


def medians(*, user, code: str, since: dt.datetime, category: str = "") -> Medians:
    """Median time to accept and to fulfil (minutes) of tickets under ``code`` received since ``since``.

    One query reads the two durations (whole seconds, stored when each step is reached) of the tickets
    that reached a step; the medians are taken in Python (``statistics.median``)."""
    qs = (
        ServiceRequest.objects.visible_to(user)
        .within(code)
        .filter(received_at__gte=since)
        .filter(Q(seconds_to_accept__isnull=False) | Q(seconds_to_fulfil__isnull=False))
    )
    if category:
        qs = qs.filter(category=category)
    accept, fulfil = [], []
    for to_accept, to_fulfil in qs.values_list("seconds_to_accept", "seconds_to_fulfil").iterator(chunk_size=10_000):
        if to_accept is not None:
            accept.append(to_accept)
        if to_fulfil is not None:
            fulfil.append(to_fulfil)
    return Medians(
        since=since,
        accept_minutes=round(statistics.median(accept) / 60, 1) if accept else None,
        fulfil_minutes=round(statistics.median(fulfil) / 60, 1) if fulfil else None,
        accepted=len(accept),
        fulfilled=len(fulfil),
    )


def assignee_loads(*, user, code: str, now: dt.datetime | None = None, limit: int = 50) -> list[dict]:
    """``[{"assignee": id, "name": str, "open": n, "overdue": n}]`` for people holding open tickets under
    ``code`` (most loaded first; ``assignee`` None = not accepted yet). One grouped query."""
    now = now or timezone.now()
    rows = (
        ServiceRequest.objects.visible_to(user)
        .within(code)
        .filter(status__in=list(OPEN_STATUSES))
        .values("assignee", "assignee__display_name", "assignee__username")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
        .order_by("-open", "assignee")[:limit]
    )
    return [
        {
            "assignee": r["assignee"],
            "name": r["assignee__display_name"] or r["assignee__username"] or "",
            "open": r["open"],
            "overdue": r["overdue"],
        }
        for r in rows
    ]


def timeline(ticket: ServiceRequest, *, public_only: bool = False) -> list[TicketEvent]:
    """The ticket's events in order (who, what, when), ``public_only`` for the household's own page."""
    qs = TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id")
    if public_only:
        qs = qs.filter(public=True)
    return list(qs)


HANDOFF_CANDIDATES_LIMIT = 50
NOT_A_HANDOFF_CANDIDATE = _("“%(value)s” is not one of the people this request can be handed off to.")
"""The refusal of a hand-off target outside :func:`handoff_candidates` (services, form and API)."""


def handoff_candidates(ticket: ServiceRequest) -> list:
    """The accounts ``ticket`` may be handed off to (转交), by display name: active users holding a role
    with HANDLE_REQUESTS on the ticket's division or one above it today, and the accounts of the
    responsible people of its household's chain (workforce), less its current assignee, at most
    HANDOFF_CANDIDATES_LIMIT, each one able to handle it (``services.base.can_handle``: in their scope).

    The hand-off form offers exactly this list, and ``services.lifecycle.service_request_hand_off`` accepts no
    one else (whoever calls it: page, API, another app)."""
    from lianfang.accounts.models import RoleAssignment, User  # noqa: PLC0415
    from lianfang.accounts.roles import ROLE_CAPABILITIES, Capability  # noqa: PLC0415
    from lianfang.assistance import adapters  # noqa: PLC0415
    from lianfang.assistance.services.base import can_handle  # noqa: PLC0415

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.HANDLE_REQUESTS in caps]
    prefixes = [ticket.path[:n] for n in (2, 4, 6, 9, 12, 15, 18, 20) if n <= len(ticket.path)]
    today = timezone.localdate()
    user_ids = set(
        RoleAssignment.objects.filter(role__in=roles, division__code__in=prefixes, starts_on__lte=today)
        .exclude(ends_on__lt=today)
        .values_list("user_id", flat=True)
    )
    for _level, assignment in adapters.chain(ticket.household, today):
        if assignment is not None and assignment.worker.user_id:
            user_ids.add(assignment.worker.user_id)
    user_ids.discard(ticket.assignee_id)
    users = User.objects.filter(pk__in=user_ids, is_active=True).order_by("display_name", "username")
    return [u for u in users[:HANDOFF_CANDIDATES_LIMIT] if can_handle(u, ticket)]


def notifications_for(user, *, unread_only: bool = True):
    """Notifications for ``user``: addressed to them, or to no one in particular (an emergency alert to a
    gate duty post) within their scope. Newest first."""
    qs = Notification.objects.visible_to(user).filter(Q(recipient_user=user) | Q(recipient_user__isnull=True))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("ticket").order_by("-created_at", "-id")


def household_tickets(household, *, limit: int = 50):
    """A household's tickets, newest first (for its QR page: the token is the scope)."""
    return ServiceRequest.objects.filter(household=household).order_by("-received_at", "-id")[:limit]


def household_deliveries(household):
    """A household's delivered-but-unconfirmed and pending supply lines of active plans (QR page)."""
    return (
        SupplyDelivery.objects.filter(household=household, plan__status="active")
        .select_related("plan")
        .order_by("-plan__day", "id")
    )


# ------------------------------------------------------------------------------------------ supplies


def undelivered(plan: SupplyPlan):
    """The plan's lines not delivered (pending or failed), by building and room: the end-of-day list."""
    return (
        plan.deliveries.exclude(status=DeliveryStatus.DELIVERED)
        .select_related("building")
        .order_by("path", "room", "id")
    )


def plan_progress(plan: SupplyPlan) -> dict[str, int]:
    """``{"total", "delivered", "failed", "pending", "confirmed", "people"}`` for a plan (one query)."""
    agg = plan.deliveries.aggregate(
        total=Count("id"),
        delivered=Count("id", filter=Q(status=DeliveryStatus.DELIVERED)),
        failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        pending=Count("id", filter=Q(status=DeliveryStatus.PENDING)),
        confirmed=Count("id", filter=Q(confirmed_at__isnull=False)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


def checklist_by_building(plan: SupplyPlan, *, user) -> list[tuple[object, list[SupplyDelivery]]]:
    """The plan's lines visible to ``user``, grouped by building (None: households outside any building)."""
    lines = (
        SupplyDelivery.objects.visible_to(user)
        .filter(plan=plan)
        .select_related("building")
        .order_by("path", "room", "id")
    )
    groups: dict[object, list[SupplyDelivery]] = {}
    order: list[object] = []
    for line in lines:
        key = line.building
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(line)
    return [(key, groups[key]) for key in order]


def status_counts(*, user, code: str) -> dict[str, int]:
    """``{status: tickets}`` under ``code`` in ``user``'s scope (one grouped query)."""
    rows = ServiceRequest.objects.visible_to(user).within(code).values("status").annotate(n=Count("id")).order_by()
    result = dict.fromkeys(Status.values, 0)
    for r in rows:
        result[r["status"]] = r["n"]
    return result
