"""What every module of :mod:`lianfang.fieldops.services` shares: the capabilities, the place
levels, :class:`StatusConflict`, the set-up refusal phrases and the private helpers (capability
check, actor, time, place, text, audited create, conditional status update).

Imports no other module of the package (they all import it).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.accounts.roles import CAPABILITY_PHRASES, Capability
from lianfang.accounts.selectors import can, require
from lianfang.core import audit, fielderrors
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.divisions.selectors import place_name

SETUP = Capability.MANAGE_WORKFORCE
FIELD = Capability.FIELD_WORK
SCREENING = Capability.EDIT_REGISTRY

PLACE_LEVELS = (Level.COMMUNITY, Level.COMPOUND)
COMMUNITY_CODE_LEN = CODE_LENGTHS[Level.COMMUNITY]
COMPOUND_CODE_LEN = CODE_LENGTHS[Level.COMPOUND]


class StatusConflict(ValidationError):
    """The row's status changed between reading and writing (someone else acted first)."""


# What a set-up refusal is about, as a phrase inside "You may not … in <place>" (the capability they
# need, MANAGE_WORKFORCE, is named after it: its own phrase says "manage workers", not gates).
SETUP_WHAT = {
    "gate": gettext_lazy("set up gates and their duty rosters"),
    "shift": gettext_lazy("assign guards or check in or out someone else's shift"),
    "checkpoint": gettext_lazy("set up patrol checkpoints"),
    "patrol": gettext_lazy("finish someone else's patrol round"),
    "disinfection": gettext_lazy("schedule disinfection"),
    "notice": gettext_lazy("write, publish or withdraw notices"),
    "channel": gettext_lazy("set up group-robot channels"),
}


def _require(actor, capability: str, code: str, what: str | None = None) -> None:
    """Raise PermissionDenied (a sentence naming the capability and the division) unless ``actor`` may.
    With ``what`` (a key of :data:`SETUP_WHAT`) the sentence names what was refused and the
    capability it needs: "You may not set up patrol checkpoints in <place>: that needs the right to
    manage workers and responsibility assignments there." """
    if what is None or actor is None or can(actor, capability, code):
        require(actor, capability, code)
        return
    raise PermissionDenied(
        _("You may not %(what)s in %(place)s: that needs the right to %(capability)s there.")
        % {
            "what": SETUP_WHAT[what],
            "place": place_name(code, below=Level.DISTRICT),
            "capability": CAPABILITY_PHRASES[capability],
        }
    )


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("a time with a time zone is required, got %(v)s") % {"v": at}})
    return at


def _place(division: Division, field_name: str = "division") -> Division:
    if division.level not in PLACE_LEVELS:
        raise ValidationError(
            {field_name: _("a compound, village group, community or village is required, not %(d)s") % {"d": division}}
        )
    return division


def _text(value, field_name: str, *, required: bool = True, max_length: int = 200) -> str:
    """A one-line text of a service: NFKC, runs of whitespace made one space. Raises ValidationError
    ``{field_name: …}`` when it is empty and ``required``, longer than ``max_length`` characters, or
    holds a control or invisible format character as typed (core.fielderrors.control_character_problem:
    BEL U+0007, RIGHT-TO-LEFT OVERRIDE U+202E, ZERO WIDTH SPACE U+200B … named by code point; tab and
    line breaks are whitespace; new-user trial 14), or any invisible format character (category Cf:
    ZERO WIDTH JOINER U+200D, WORD JOINER U+2060 …) in the one line stored, as a one-line text of
    other apps is checked (registry.services.text_problem; new-user trial 16)."""
    typed = unicodedata.normalize("NFKC", str(value or ""))
    text = " ".join(typed.split())
    # as typed (C0/C1 controls, bidi controls, U+200B …), then the one line stored: every other
    # invisible format character too (U+200D, U+2060 …: a name of only those looks blank; trial 16)
    if problem := fielderrors.control_character_problem(typed) or fielderrors.control_character_problem(
        text, multiline=False
    ):
        raise ValidationError({field_name: problem})
    if required and not text:
        raise ValidationError({field_name: _("this field is required")})
    if len(text) > max_length:
        raise ValidationError(
            {field_name: _("at most %(n)d characters, got %(len)d") % {"n": max_length, "len": len(text)}}
        )
    return text


def _create_audited(model, *, actor, action: str, **fields):
    """Create one ``model`` row and its audit entry in one transaction; returns the row."""
    with transaction.atomic():
        row = model.objects.create(**fields)
        audit.record(actor=actor, action=action, obj=row)
    return row


def _set_status(model, pk: int, old: str, **fields) -> None:
    """Move row ``pk`` of ``model`` out of status ``old`` (one UPDATE … WHERE status = old). Raises
    StatusConflict (code ``status_conflict``) naming the status by its label — “alert #3 is no longer
    “Open”” — when the row has left ``old`` meanwhile (someone else acted first)."""
    if model.objects.filter(pk=pk, status=old).update(**fields) != 1:
        label = dict(model._meta.get_field("status").flatchoices).get(old, old)
        raise StatusConflict(
            _("%(model)s #%(pk)s is no longer “%(old)s”") % {"model": model._meta.verbose_name, "pk": pk, "old": label},
            code="status_conflict",
        )
