"""Texts Lianfang writes itself on a ticket (a refill request, a fever found by home monitoring, an
emergency filed without words), kept as a message and its values and rendered in the reader's
language at display time.

A new-user trial found English pages showing the Chinese text stored when the care tick or the home
monitoring filed a ticket. The caller passes ``text=auto_text(MSGID, name=value, ...)`` to
``services.intake.service_request_create``: the ticket's ``description`` is still stored, rendered in
the site's default language (zh-Hans: search, exports, old readers), and ``ServiceRequest.text`` (and
the timeline event's ``detail["text"]``) keeps ``{"msgid": ..., "params": {...}}``. The msgid is the
English source string of a catalogue (mark it with ``gettext_noop`` in the module that owns the
wording, so makemessages keeps it); a value may be a list of msgids (``{"msgids": [...]}``: symptom
labels), translated one by one and joined. Rows written before (no ``text``) show what was stored.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def auto_text(msgid: str, **params) -> dict:
    """``{"msgid": msgid, "params": params}`` for ``service_request_create(text=...)``. ``params`` values
    are text or numbers (stored as text), or ``{"msgids": [msgid, ...]}`` for a list of labels."""
    return {"msgid": str(msgid), "params": {k: v if isinstance(v, dict) else str(v) for k, v in params.items()}}


def msgid_of(label) -> str:
    """The English source string (msgid) of a lazily translated ``label`` (a choice's label): msgids are
    English, so the English rendering is the msgid."""
    with translation.override("en"):
        return str(label)


def _value(value) -> str:
    if isinstance(value, dict):
        return _(", ").join(_(m) for m in value.get("msgids", []) if m) or "—"
    return str(value)


def render(text: dict | None, fallback: str) -> str:
    """``text`` (from :func:`auto_text`) in the active language, or ``fallback`` (the stored text) when
    there is none, it cannot be formatted, or the catalogue of a language other than English lacks its
    message (the stored text is better than English on a Chinese page). Raises nothing."""
    if not isinstance(text, dict) or not text.get("msgid"):
        return fallback
    msgid = text["msgid"]
    translated = _(msgid)
    language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    if translated == msgid and not language.startswith("en"):
        return fallback
    try:
        return translated % {k: _value(v) for k, v in (text.get("params") or {}).items()}
    except (KeyError, TypeError, ValueError):
        return fallback


def stored(text: dict) -> str:
    """``text`` rendered in the site's default language (``settings.LANGUAGE_CODE``): what is stored as
    the ticket's description."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(text, "") or _(text["msgid"])
