"""Service rule sets and clock arithmetic (时限计算), free of database writes.

Clocks (issue 7 §3): a step (accept, someone on site, fulfil) of a ticket is due ``minutes`` after the
ticket's FIRST intake (``received_at``), per the :class:`~lianfang.assistance.models.SlaLimit` for the
ticket's category and priority in the rule set kept on the ticket. Nothing resets a clock: a
reassignment, a hand-off or a linked intake changes no deadline; triage recomputes the deadlines from
the same ``received_at``.

Escalation: a ticket starts at responsibility level 4 (the household representative). A step not
reached by its deadline D is overdue from D on: at D it asks for one level up, and for one more level
every ``escalate_every_minutes`` (I) after that, until it is reached: at instant t a step asks for
``n = 1 + floor((t - D) / I)`` levels (counted at the moment it was reached, for a step reached late).
Each overdue step adds its levels to the others': the ticket's level is ``max(1, 4 - Σ n)``. So an
emergency accepted late (one level) whose crew is then late on site goes one level further up at once.
The level only ever goes up the chain (a late acceptance does not bring it back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from lianfang.assistance.models import Category, Priority, SlaLimit, SlaRuleSet, Step

TOP_LEVEL = 4  # household representative (L4)
LAST_LEVEL = 1  # street/town leadership (L1)
STEPS = (Step.ACCEPT, Step.ON_SITE, Step.FULFIL)
REACHED_FIELD = {Step.ACCEPT: "accepted_at", Step.ON_SITE: "on_site_at", Step.FULFIL: "fulfilled_at"}
DUE_FIELD = {Step.ACCEPT: "accept_due_at", Step.ON_SITE: "on_site_due_at", Step.FULFIL: "fulfil_due_at"}


class NoRuleSetError(LookupError):
    """No service rule set is in force for the district on the day (run migrations, or
    ``lianfang.assistance.shipped.ensure_shipped_rule_sets()``)."""


def rule_set_in_force(district_id: int | None, day: dt.date) -> SlaRuleSet:
    """The service rule set in force for ``district_id`` on ``day`` (Asia/Shanghai day).

    The latest ``effective_from`` on or before ``day`` wins; a local variant of the district wins over
    a national set with the same date. Raises NoRuleSetError when none has started.
    """
    found = (
        SlaRuleSet.objects.filter(effective_from__lte=day)
        .filter(Q(district__isnull=True) | Q(district_id=district_id))
        .order_by("-effective_from", "district_id", "code")
    )
    candidates = list(found[:5])
    if not candidates:
        raise NoRuleSetError(f"no service rule set in force on {day}")
    latest = candidates[0].effective_from
    local = [c for c in candidates if c.effective_from == latest and c.district_id == district_id]
    return local[0] if local else candidates[0]


@dataclass(frozen=True)
class Limit:
    """A step's limit: ``minutes`` after receipt, then one more level every ``every`` minutes."""

    minutes: int
    every: int


class LimitTable:
    """Every limit of one rule set, loaded in one query: ``limits(category, priority) -> {step: Limit}``."""

    def __init__(self, rule_set: SlaRuleSet, rows: list[SlaLimit] | None = None):
        self.rule_set = rule_set
        rows = rows if rows is not None else list(SlaLimit.objects.filter(rule_set=rule_set))
        self._rows = {(r.category, r.priority, r.step): Limit(r.minutes, r.escalate_every_minutes) for r in rows}

    def limits(self, category: str, priority: str) -> dict[str, Limit]:
        """The limits for a ticket of ``category`` at ``priority``; a step without a row has no clock."""
        result = {}
        for step in STEPS:
            limit = self._rows.get((category, priority, step)) or self._rows.get(("", priority, step))
            if limit is not None:
                result[step] = limit
        return result


def limit_table(rule_set: SlaRuleSet) -> LimitTable:
    """The LimitTable of ``rule_set`` (one query; callers handling many tickets keep one per rule set)."""
    return LimitTable(rule_set)


def initial_priority(category: str, resident_urgency: str) -> str:
    """The priority of a ticket before staff triage it: an emergency-medical need is an emergency;
    otherwise urgent when the resident said urgent (or emergency), else normal. Staff triage may change
    it (services.service_request_triage)."""
    if category == Category.EMERGENCY_MEDICAL:
        return Priority.EMERGENCY
    if resident_urgency in (Priority.URGENT, Priority.EMERGENCY):
        return Priority.URGENT
    return Priority.NORMAL


def deadlines(received_at: dt.datetime, limits: dict[str, Limit]) -> dict[str, dt.datetime | None]:
    """``{step: received_at + limit}`` for every step (None where the step has no limit)."""
    return {
        step: (received_at + dt.timedelta(minutes=limits[step].minutes) if step in limits else None) for step in STEPS
    }


def next_due(due: dict[str, dt.datetime | None], reached: dict[str, dt.datetime | None]) -> dt.datetime | None:
    """The earliest deadline among the steps not reached yet (None: nothing left on the clock)."""
    pending = [d for step, d in due.items() if d is not None and reached.get(step) is None]
    return min(pending) if pending else None


def levels_asked(due: dt.datetime, every: int, now: dt.datetime) -> int:
    """How many levels up a step due at ``due`` asks for at ``now``: 0 before ``due``, then
    ``1 + floor((now - due) / every minutes)``."""
    if now < due:
        return 0
    return 1 + int((now - due) // dt.timedelta(minutes=every))


@dataclass(frozen=True)
class Escalation:
    """Where a ticket stands at an instant: the ``level`` it must have reached (4…1), the ``overdue``
    steps, and ``next_check`` — when the level would rise again (None: at level 1, or nothing pending)."""

    level: int
    overdue: tuple[str, ...]
    next_check: dt.datetime | None


def escalation(
    *,
    current_level: int,
    due: dict[str, dt.datetime | None],
    reached: dict[str, dt.datetime | None],
    limits: dict[str, Limit],
    now: dt.datetime,
) -> Escalation:
    """The level a ticket must have reached at ``now`` (never lower on the chain than ``current_level``:
    the level only goes up) and when to look again. See the module docstring for the formula."""
    asked = 0
    overdue = []
    upcoming = []
    for step in STEPS:
        d = due.get(step)
        if d is None:
            continue
        done = reached.get(step)
        n = levels_asked(d, limits[step].every, min(now, done) if done is not None else now)
        asked += n
        if done is None:
            if n:
                overdue.append(step)
            upcoming.append(d + dt.timedelta(minutes=limits[step].every * n) if n else d)
    level = min(current_level, max(LAST_LEVEL, TOP_LEVEL - asked))
    next_check = min(upcoming) if upcoming and level > LAST_LEVEL else None
    return Escalation(level=level, overdue=tuple(overdue), next_check=next_check)


def ticket_clock(ticket, *, limits: dict[str, Limit], now: dt.datetime | None = None) -> Escalation:
    """:func:`escalation` for a ServiceRequest instance (its stored deadlines and reached times)."""
    now = now or timezone.now()
    due = {step: getattr(ticket, DUE_FIELD[step]) for step in STEPS}
    reached = {step: getattr(ticket, REACHED_FIELD[step]) for step in STEPS}
    return escalation(current_level=ticket.escalation_level, due=due, reached=reached, limits=limits, now=now)


def validate_pack_sizes(value) -> list[dict]:
    """Check a pack table ``[{"max_people": int, "label": str}, ..., {"max_people": None, "label": str}]``:
    ascending ``max_people``, the last open-ended. Returns it normalised; raises ValueError naming the
    entry and value."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"pack sizes must be a non-empty list, got {value!r}")
    result = []
    previous = 0
    for i, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or not str(entry.get("label", "")).strip():
            raise ValueError(f"pack {i}: a label is required, got {entry!r}")
        top = entry.get("max_people")
        last = i == len(value)
        if last and top is not None:
            raise ValueError(f"pack {i}: the last pack must have no upper limit, got {top!r}")
        if not last and (not isinstance(top, int) or top <= previous):
            raise ValueError(f"pack {i}: max_people must be a whole number above {previous}, got {top!r}")
        previous = top or previous
        result.append({"max_people": top, "label": str(entry["label"]).strip()})
    return result


def pack_for(pack_sizes: list[dict], headcount: int) -> str:
    """The label of the first pack whose ``max_people`` holds ``headcount`` (the open-ended last otherwise)."""
    for entry in pack_sizes:
        if entry["max_people"] is None or headcount <= entry["max_people"]:
            return entry["label"]
    return pack_sizes[-1]["label"]
