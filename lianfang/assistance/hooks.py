"""Extension points for other apps (register from your ``AppConfig.ready``; registering twice is a no-op).

Emergency listeners (gate duty posts, field operations)
    ``register_emergency_listener(fn)``: ``fn(ticket, *, reason)`` is called after the transaction
    commits, for every emergency ticket when it is received (``reason="intake"``), when another
    channel reports the same emergency (``"linked"``) and whenever it escalates (``"escalation"``).
    ``ticket`` is a :class:`~lianfang.assistance.models.ServiceRequest` with ``household``,
    ``compound`` and ``community`` loaded; ``ticket.compound`` is the compound whose gate duty post
    must be alerted (None for a household outside any compound: use ``ticket.community``). A listener
    that raises is logged and never undoes the ticket. Lianfang itself records the alert as a
    :class:`~lianfang.assistance.models.Notification` of kind ``emergency_alert`` for the compound.

Test-state providers (screening)
    ``register_test_state_provider(fn)``: ``fn(household_ids: list[int]) -> {household_id: str}``,
    a short, translated text of the household's latest test state ("pool positive, re-test pending").
    It is shown on a ticket FOR INFORMATION ONLY: no step of a ticket ever waits for it (domain.md §7,
    "emergencies delayed by test-status checks").

Household notice providers (field operations: notices, home health check-ins)
    ``register_household_notice_provider(fn)``: ``fn(household) -> list[HouseholdNotice]`` shown on
    the household's QR page below its own requests. Public notices never name people.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

logger = logging.getLogger(__name__)

EmergencyListener = Callable[..., None]
TestStateProvider = Callable[[list[int]], dict[int, str]]


@dataclass(frozen=True)
class HouseholdNotice:
    """A notice for a household's QR page: ``title``, ``body`` (plain text), optional ``url`` and ``at``."""

    title: str
    body: str = ""
    url: str = ""
    at: object = None


_emergency_listeners: list[EmergencyListener] = []
_test_state_providers: list[TestStateProvider] = []
_notice_providers: list[Callable] = []


def register_emergency_listener(fn: EmergencyListener) -> None:
    """Call ``fn(ticket, *, reason)`` on every emergency intake, linked report and escalation (see module)."""
    if fn not in _emergency_listeners:
        _emergency_listeners.append(fn)


def unregister_emergency_listener(fn: EmergencyListener) -> None:
    """Remove ``fn`` (tests)."""
    if fn in _emergency_listeners:
        _emergency_listeners.remove(fn)


def register_test_state_provider(fn: TestStateProvider) -> None:
    """Add a provider of the latest test state of households (information only; see module)."""
    if fn not in _test_state_providers:
        _test_state_providers.append(fn)


def unregister_test_state_provider(fn: TestStateProvider) -> None:
    if fn in _test_state_providers:
        _test_state_providers.remove(fn)


def register_household_notice_provider(fn: Callable) -> None:
    """Add ``fn(household) -> list[HouseholdNotice]`` for the household's QR page."""
    if fn not in _notice_providers:
        _notice_providers.append(fn)


def unregister_household_notice_provider(fn: Callable) -> None:
    if fn in _notice_providers:
        _notice_providers.remove(fn)


def emit_emergency(ticket, *, reason: str) -> None:
    """Schedule every emergency listener for ``ticket`` once the current transaction commits."""
    listeners = list(_emergency_listeners)
    if not listeners:
        return

    def run():
        for fn in listeners:
            try:
                fn(ticket, reason=reason)
            except Exception:  # noqa: BLE001 (a listener must never undo or block the ticket)
                logger.exception("emergency listener %r failed for ticket %s", fn, ticket.pk)

    transaction.on_commit(run)


def test_states(household_ids: list[int]) -> dict[int, str]:
    """``{household_id: text}`` merged from every provider (later providers add to earlier ones).

    A failing provider is logged and skipped: the information is optional and never a gate."""
    result: dict[int, str] = {}
    for fn in _test_state_providers:
        try:
            for household_id, text in (fn(list(household_ids)) or {}).items():
                result[household_id] = f"{result[household_id]}; {text}" if household_id in result else text
        except Exception:  # noqa: BLE001
            logger.exception("test state provider %r failed", fn)
    return result


def household_notices(household) -> list[HouseholdNotice]:
    """Every provider's notices for ``household`` (failing providers are logged and skipped)."""
    notices: list[HouseholdNotice] = []
    for fn in _notice_providers:
        try:
            notices.extend(fn(household) or [])
        except Exception:  # noqa: BLE001
            logger.exception("notice provider %r failed", fn)
    return notices
