"""Field error messages a reader understands, in one place for the API and the pages.

Django's and DRF's stock messages never name the value refused ("Ensure this value has at most 20
characters (it has 25).", "A valid integer is required.") and Django's zh-Hans catalogue calls the
value a "变量". :func:`value_message` rewrites an error by its code (``max_length``, ``min_length``,
``max_value``, ``min_value``, ``invalid`` of a whole-number, number or date field,
``invalid_choice``, ``unique``) into a sentence quoting the submitted value (core.pii.quoted: ID and
phone numbers masked). The API's exception handler (core.api) and the pages' form helper
(core.forms.error_lines) both call it; the field is named by the API's key and by the form line's
label. Errors without a value to quote (``required``, ``blank``, ``null``) keep their stock message,
which core's locale catalogue words plainly (:data:`DJANGO_MSGIDS`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from lianfang.core import pii

# Django's msgids that core's catalogue (lianfang/core/locale) words plainly ("该值"/"此项", never
# "变量"): listed here so makemessages keeps them. Core comes before Django's own catalogue (the
# lowest) and is the first of INSTALLED_APPS, so its wording wins over every app's too (DRF's
# "This field is required." reads 此项必填。, not 该字段是必填项。).
DJANGO_MSGIDS = (
    gettext_noop("This field is required."),
    gettext_noop("This field cannot be null."),
    gettext_noop("This field cannot be blank."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Value %(value)r is not a valid choice."),
    gettext_noop("%(model_name)s with this %(field_label)s already exists."),
    gettext_noop("“%(value)s” value must be an integer."),
    # Django's zh-Hans reads "不允许是用空字符串" (not allowed to be using an empty string)
    gettext_noop("Null characters are not allowed."),
)


def _django_plural_msgids() -> None:  # pragma: no cover (only read by makemessages)
    ngettext(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        1,
    )
    ngettext(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        1,
    )


def field_kind(field) -> str:
    """``"integer"``, ``"number"``, ``"date"`` or ``""`` for a Django form field or a DRF serializer
    field (what an ``invalid`` error of it means)."""
    from django import forms  # noqa: PLC0415
    from rest_framework import serializers  # noqa: PLC0415

    # before IntegerField: Django's FloatField and DecimalField are IntegerField subclasses
    if isinstance(field, forms.FloatField | forms.DecimalField | serializers.FloatField | serializers.DecimalField):
        return "number"
    if isinstance(field, forms.IntegerField | serializers.IntegerField):
        return "integer"
    if isinstance(field, forms.DateTimeField | serializers.DateTimeField):
        return ""
    if isinstance(field, forms.DateField | serializers.DateField):
        return "date"
    return ""


_DATE_LIKE = re.compile(r"\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?")


def _class_default(field, code: str) -> str:
    """The stock message template of ``code`` for ``field``'s class (the ``default_error_messages`` of
    Django's or DRF's classes along the MRO; an app's own field class words its own), "" for none."""
    for klass in type(field).__mro__:
        if not klass.__module__.startswith(("django.", "rest_framework.")):
            continue
        message = getattr(klass, "default_error_messages", {}).get(code)
        if message is not None:
            return str(message)
    return ""


def is_stock_form_error(field, error) -> bool:
    """Whether a Django form ``error`` (a ValidationError with ``code``) is the stock message of its
    field class or of one of its validators, not an app's own (a custom ``error_messages`` entry or a
    ``clean_*`` message): only a stock message is reworded."""
    template = str(error.message)
    if template == _class_default(field, error.code or ""):
        return True
    return any(getattr(v, "code", None) == error.code and str(v.message) == template for v in field.validators)


def is_stock_api_error(field, code: str, text: str) -> bool:
    """Whether a DRF error ``text`` of ``code`` is the stock message of ``field``'s class (formatted
    with any parameters) or of DRF's UniqueValidator, not a serializer's own ``validate_*`` message."""
    if code == "unique":
        from rest_framework.validators import UniqueValidator  # noqa: PLC0415

        return text == str(UniqueValidator.message)
    template = _class_default(field, code)
    if not template or str(field.error_messages.get(code, "")) != template:
        return False
    pattern = re.sub(r"\\\{\w+\\\}", ".*", re.escape(template))
    return re.fullmatch(pattern, text, flags=re.DOTALL) is not None


def _limit(value) -> str:
    if isinstance(value, decimal.Decimal | float):
        return f"{value:g}" if isinstance(value, float) else str(value.normalize())
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _consistent(code: str, value, limit) -> bool:
    """Whether ``limit`` explains an error of ``code`` on ``value`` (a too-long value is longer than it,
    a too-large one larger); True for the codes without a limit."""
    if code not in ("max_length", "min_length", "max_value", "min_value"):
        return True
    if limit is None:
        return False
    try:
        if code == "max_length":
            return len(str(value)) > int(limit)
        if code == "min_length":
            return len(str(value)) < int(limit)
        number, bound = decimal.Decimal(str(value).strip()), decimal.Decimal(str(limit))
    except (ValueError, TypeError, ArithmeticError):
        return False
    return number > bound if code == "max_value" else number < bound


def value_message(code: str, *, value, kind: str = "", limit=None) -> str | None:
    """The message for an error of ``code`` on a submitted ``value`` (a str, number, …; None: not
    known), or None when the stock message should stay (no value, or a code not listed). ``kind``:
    :func:`field_kind` of the field; ``limit``: the field's length or value bound. Examples (zh-Hans):
    ``value_message("max_length", value="x" * 25, limit=20)`` → "“xxxx…” 有 25 个字符，最多 20 个。";
    ``value_message("invalid", value="abc", kind="integer")`` → "“abc” 不是整数。"."""
    if value is None or isinstance(value, list | dict):
        return None
    shown = pii.quoted(value)
    if kind == "date" and _DATE_LIKE.fullmatch(str(value).strip()):
        shown = f"“{str(value).strip()}”"  # a mistyped date is no phone number: shown as typed
    if not _consistent(code, value, limit):
        return None  # the limit is another field's (a view validating with another serializer)
    if code in ("max_length", "min_length") and limit is not None:
        length = len(str(value))
        if code == "max_length":
            text = ngettext(
                "%(value)s has %(length)d characters; at most %(limit)d is allowed.",
                "%(value)s has %(length)d characters; at most %(limit)d are allowed.",
                int(limit),
            )
        else:
            text = ngettext(
                "%(value)s has %(length)d characters; at least %(limit)d is needed.",
                "%(value)s has %(length)d characters; at least %(limit)d are needed.",
                int(limit),
            )
        return text % {"value": shown, "length": length, "limit": int(limit)}
    if code == "max_value" and limit is not None:
        return _("%(value)s is more than %(limit)s, the largest value allowed.") % {
            "value": shown,
            "limit": _limit(limit),
        }
    if code == "min_value" and limit is not None:
        return _("%(value)s is less than %(limit)s, the smallest value allowed.") % {
            "value": shown,
            "limit": _limit(limit),
        }
    if code == "invalid" and kind == "integer":
        return _("%(value)s is not a whole number.") % {"value": shown}
    if code == "invalid" and kind == "number":
        return _("%(value)s is not a number.") % {"value": shown}
    if code == "invalid" and kind == "date":
        return _("%(value)s is not a date (write it as YYYY-MM-DD, e.g. 2026-03-01).") % {"value": shown}
    if code == "invalid_choice":
        return _("%(value)s is not one of the choices.") % {"value": shown}
    if code == "unique":
        return _("%(value)s is already taken: it must be unique.") % {"value": shown}
    return None


def reason_with_value(reason: object, value: object) -> str:
    """A refusal ``reason`` (an exception's or a message's text) followed by the refused ``value``
    quoted and masked (core.pii.quoted), joined by a colon of the language: zh-Hans
    "手机号码位数不对：“138****5678”", English "wrong number of digits: “138****5678”"."""
    return _("%(reason)s: %(value)s") % {"reason": reason, "value": pii.quoted(value)}


# C0 controls (BEL, ESC, …) but tab, line feed and carriage return, DEL and the C1 controls; a one-line
# text refuses tab, line feed and carriage return too. Django refuses only NUL (ProhibitNullCharactersValidator).
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_CHARACTERS_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
# Invisible format characters (Unicode category Cf) that reorder or hide text: the bidirectional
# controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069: an RLO shows "txt.exe" as "exe.txt"),
# zero-width space and word joiner (U+200B, U+2060–U+2064), the byte order mark (U+FEFF), U+180E and
# the soft hyphen (U+00AD): a name holding one looks like another name and finds nothing. Zero-width
# (non-)joiners (U+200C, U+200D) stay allowed in multi-line texts (emoji sequences, scripts that need
# them); a one-line text refuses every Cf character.
_FORMAT_CHARACTERS = re.compile("[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


# Letters and symbols that print as empty space: the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the
# braille blank (U+2800) and the combining grapheme joiner (U+034F). Unicode lists them as default
# ignorable or as blank-looking; they are not category Cf, so is_blank names them.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")


def is_blank(text: object) -> bool:
    """True when ``text`` shows nothing: it is empty or holds only white space, invisible format
    characters (Unicode category Cf: zero-width space U+200B, zero-width (non-)joiners U+200C/U+200D,
    word joiner U+2060, BOM U+FEFF, ...) and blank-looking letters (Hangul filler U+3164, braille blank
    U+2800, ...: _BLANK_LOOKING). A required text (a description, a reason) that is blank is missing,
    whatever control_character_problem says of it. Raises nothing. Rule: new-user trials 15 and 16 (a
    description or close reason of zero-width characters, then of Hangul fillers, was accepted)."""
    return all(c.isspace() or c in _BLANK_LOOKING or unicodedata.category(c) == "Cf" for c in str(text or ""))


def _format_character(text: str, *, multiline: bool) -> str | None:
    """The first invisible format character of ``text`` (see _FORMAT_CHARACTERS), or None."""
    if not multiline:
        return next((c for c in text if unicodedata.category(c) == "Cf"), None)
    found = _FORMAT_CHARACTERS.search(text)
    return found.group() if found else None


def control_character_problem(text: str, *, multiline: bool = True) -> str | None:
    """Why ``text`` cannot be stored (translated), or None: it holds a control character, named by its
    code point: ``"不能包含控制字符（U+0007）。"`` / ``"must not contain control characters (U+0007)."``.
    ``multiline`` texts (descriptions, notes) may hold tab and line breaks; one-line texts (names,
    references) may not. Invisible format characters count as control characters too: the
    bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE …), zero-width space U+200B, the byte
    order mark U+FEFF (_FORMAT_CHARACTERS) in every text, and any other Unicode format character
    (category Cf, e.g. the zero-width joiner U+200D) in a one-line text. The first control character
    (C0/C1 first, then format) is named. Raises nothing. Rule: the new-user trial's BEL (\\x07)
    stored in a ticket; new-user trial 14's U+202E and U+200B in a screened person's name and address."""
    text = text or ""
    found = (_CONTROL_CHARACTERS if multiline else _CONTROL_CHARACTERS_ONE_LINE).search(text)
    character = found.group() if found is not None else _format_character(text, multiline=multiline)
    if character is None:
        return None
    return _("must not contain control characters (%(code)s).") % {"code": f"U+{ord(character):04X}"}
