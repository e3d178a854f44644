"""Calls into the service-request app (lianfang.assistance, issue 7) through one thin layer.

Field operations use four of its documented functions: the household QR token
(``assistance.selectors.household_for_token``), medical exit passes (gate checks), creating a
medical service request (abnormal health readings) and the emergency-listener hook. Each call goes
through here so the rest of this app does not depend on how that app spells them; where a function
is missing the adapter says so (``available()``) and field work degrades gracefully (no pass found,
an alert instead of a request).
"""

from __future__ import annotations

import importlib
import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def _module(name: str):
    try:
        return importlib.import_module(f"lianfang.assistance.{name}")
    except ImportError:
        return None


def _function(module: str, name: str):
    mod = _module(module)
    return getattr(mod, name, None) if mod is not None else None


def available() -> dict[str, bool]:
    """Which assistance functions this app can call: ``{"household_for_token": bool, ...}``."""
    return {
        "household_for_token": _function("selectors", "household_for_token") is not None,
        "exit_passes": _function("selectors", "valid_exit_pass") is not None,
        "service_request_create": _function("services.intake", "service_request_create") is not None,
        "emergency_listener": _function("hooks", "register_emergency_listener") is not None,
        "household_tokens": _function("services.tokens", "household_tokens_ensure") is not None,
        "household_notices": _function("hooks", "register_household_notice_provider") is not None,
    }


def household_for_token(token: str):
    """The Household of a printed household QR token, or None (unknown or revoked token, or the
    assistance app does not provide tokens)."""
    fn = _function("selectors", "household_for_token")
    if fn is None or not token:
        return None
    return fn(token)


def valid_exit_pass(*, resident=None, household=None, pass_ref: str = "", at=None):
    """``(valid, reference)`` for a medical exit pass at instant ``at``: ``pass_ref`` checked when
    given, else the resident's (or household's) valid pass looked up. ``valid`` is None when no pass
    was presented or found, or passes are not available."""
    fn = _function("selectors", "valid_exit_pass")
    if fn is None:
        return (False, pass_ref) if pass_ref else (None, "")
    found = fn(resident=resident, household=household, reference=pass_ref or None, at=at)
    if found is None:
        return (False, pass_ref) if pass_ref else (None, "")
    return True, str(getattr(found, "reference", "") or getattr(found, "pk", ""))


def raise_medical_request(*, household, resident=None, summary: str, text: dict | None = None) -> str:
    """File a medical-visit service request (category ``medical_trip``, "Medical visit (fever clinic,
    …)"; domain.md §1: a service request is groceries, medicine, a medical visit or emergency aid) for
    ``household`` through the home-monitoring channel (an abnormal health reading: a fever clinic
    visit), as Lianfang itself (``actor=None``, filed by the system; an open ticket of the same kind is
    joined, not doubled). ``text`` (``{"msgid", "params"}``, assistance.texts.auto_text) lets pages
    show the summary in the reader's language; ``summary`` is the stored text.
    Returns the ticket's reference, or ``""`` when the assistance app cannot take it (missing, or it
    refused: logged) — the reading itself is never lost for that; the caller raises an alert."""
    fn = _function("services.intake", "service_request_create")
    if fn is None:
        return ""
    try:
        with transaction.atomic():
            ticket = fn(
                actor=None,
                household=household,
                resident=resident,
                category="medical_trip",
                description=summary,
                channel="monitoring",
                filed_by="system",
                **({"text": text} if text else {}),
            )
    except Exception:  # noqa: BLE001 (the health reading must be kept whatever the other app does)
        logger.exception("medical request for household %s refused", getattr(household, "pk", None))
        return ""
    return str(getattr(ticket, "reference", "") or getattr(ticket, "pk", ""))


def register_emergency_listener(listener) -> bool:
    """Register ``listener`` with assistance.hooks; False when the hook does not exist (yet)."""
    fn = _function("hooks", "register_emergency_listener")
    if fn is None:
        return False
    fn(listener)
    return True


def household_tokens(*, actor, households) -> dict[int, str]:
    """``{household_id: live QR token}`` for printing check-in cards (assistance mints one where a
    household has none; existing tokens stay valid). ``{}`` when the assistance app cannot."""
    fn = _function("services.tokens", "household_tokens_ensure")
    if fn is None:
        return {}
    return fn(actor=actor, households=list(households))


def register_household_notice_provider(provider) -> bool:
    """Show ``provider(household) -> [HouseholdNotice]`` on the household's QR page (assistance.hooks)."""
    fn = _function("hooks", "register_household_notice_provider")
    if fn is None:
        return False
    fn(provider)
    return True


def household_notice(*, title: str, body: str = "", url: str = "", at=None):
    """An assistance.hooks.HouseholdNotice (None when the hook module is missing)."""
    cls = _function("hooks", "HouseholdNotice")
    return cls(title=title, body=body, url=url, at=at) if cls is not None else None
