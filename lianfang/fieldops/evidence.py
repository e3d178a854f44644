"""Evidence the system writes for a status change (StatusChange.evidence), kept as parts.

A person writes evidence in their own words; the system writes it when it classifies a contact under
the rule set, ends a quarantine phase, or moves someone into care after a positive test. Those
sentences are stored twice: as text in the language of the moment (``StatusChange.evidence``, for the
audit trail and exports) and as *parts* (``StatusChange.evidence_parts``), a JSON object holding codes,
ISO dates and both names of the rule set, so every page words them in its reader's language
(new-user trial 13: a cron-written "nhc-8th-era：…" sentence in Chinese on an English page).

Parts have a ``"kind"``: ``"classified"``, ``"phase_ended"``, ``"tested_positive"`` or
``"linked"`` (a close contact's positive test reaching its secondary contacts; ``"cause"`` holds the
close contact's own parts). :func:`compose` words any of them; an unknown kind words as ``""``.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import get_language
from django.utils.translation import gettext as _


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _day(value) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def classified(rule_set, category: str, exposure_on: dt.date, plan) -> dict:
    """Parts of "classified under ``rule_set``": the contact ``category`` code, the last exposure and
    the plan's ends (rules.QuarantinePlan: ``centralized_until``, ``home_until``, dates or None)."""
    return {
        "kind": "classified",
        "rule_set": rule_set.name,
        "rule_set_en": rule_set.name_en,
        "origin": rule_set.origin_key,
        "source": rule_set.quarantine_source,
        "category": category,
        "exposure": _day(exposure_on),
        "centralized_until": _day(plan.centralized_until),
        "home_until": _day(plan.home_until),
    }


def phase_ended(rule_set, ended_on: dt.date, exposure_on: dt.date) -> dict:
    """Parts of "the period under ``rule_set`` ended on ``ended_on``; every test due was negative"."""
    return {
        "kind": "phase_ended",
        "rule_set": rule_set.name,
        "rule_set_en": rule_set.name_en,
        "ended": _day(ended_on),
        "exposure": _day(exposure_on),
    }


def tested_positive(test, result_on: dt.date) -> dict:
    """Parts of "test n (phase, day d, due …) positive on ``result_on``" for a QuarantineTest."""
    return {
        "kind": "tested_positive",
        "ordinal": test.ordinal,
        "phase": test.phase,
        "day_number": test.day_number,
        "due": _day(test.due_on),
        "result_on": _day(result_on),
    }


def linked(close_contact_pk: int, cause: dict) -> dict:
    """Parts of "linked close contact #pk: <cause>" (``cause``: that contact's own parts)."""
    return {"kind": "linked", "close_contact": close_contact_pk, "cause": cause}


def compose(parts: dict) -> str:
    """The sentence ``parts`` stand for, in the active language ("" for empty or unknown parts)."""
    from lianfang.fieldops.models import PersonCategory, TestPhase  # noqa: PLC0415 (models use this module)

    kind = (parts or {}).get("kind")
    rule_set = parts.get("rule_set_en") if _english() else parts.get("rule_set")
    rule_set = rule_set or parts.get("rule_set", "")
    if kind == "classified":
        from lianfang.zones.shipped import display_text  # noqa: PLC0415

        source = display_text(("quarantine", parts.get("origin", "")), parts.get("source", ""))
        return _(
            "%(rs)s: %(kind)s, last exposure %(day)s; centralized until %(c)s, home phase until %(h)s; %(source)s"
        ) % {
            "rs": rule_set,
            "kind": _label(PersonCategory, parts.get("category")),
            "day": parts.get("exposure") or "—",
            "c": parts.get("centralized_until") or "—",
            "h": parts.get("home_until") or "—",
            "source": source,
        }
    if kind == "phase_ended":
        return _("%(rs)s: period ended on %(day)s (last exposure %(exp)s); every test due was negative") % {
            "rs": rule_set,
            "day": parts.get("ended") or "—",
            "exp": parts.get("exposure") or "—",
        }
    if kind == "tested_positive":
        return _("test %(n)d (%(phase)s day %(d)d, due %(due)s) positive on %(on)s") % {
            "n": parts.get("ordinal") or 0,
            "phase": _label(TestPhase, parts.get("phase")),
            "d": parts.get("day_number") or 0,
            "due": parts.get("due") or "—",
            "on": parts.get("result_on") or "—",
        }
    if kind == "linked":
        return _("linked close contact #%(pk)s: %(e)s") % {
            "pk": parts.get("close_contact"),
            "e": compose(parts.get("cause") or {}),
        }
    return ""


def _label(choices, code) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code or "—")
