"""Form helpers shared by the apps' page views."""

from __future__ import annotations

from django import forms
from django.forms import Form
from django.forms.forms import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.fielderrors import field_kind, is_stock_form_error, value_message
from lianfang.core.filters import DayField, empty_choice_label
from lianfang.core.widgets import DayInput, MomentInput

__all__ = ["DayInput", "MomentInput", "error_lines", "field_line"]  # the widgets live in core.widgets

# The suffix after a form field's label: Django's forms ask for gettext(":") (BaseForm.__init__), and Django's own
# zh_Hans catalogue answers the ASCII ":". Core's catalogue answers the full-width "：" and wins, since Django merges
# the installed apps' catalogues over its own (django.utils.translation.trans_real.DjangoTranslation), so a label
# reads "姓名：" in zh-Hans and "Name:" in English. A form that sets its own label_suffix (assistance's questions:
# "") keeps it. Marked here only so that makemessages keeps the msgid.
# Translators: the suffix after every form field's label; zh-Hans uses the full-width colon.
LABEL_SUFFIX = gettext_noop(":")

# Translators: one line naming a field and what is wrong with it (or its value); zh-Hans uses the
# full-width colon without a space: "人数：“abc” 不是整数。".
FIELD_LINE = gettext_noop("%(field)s: %(message)s")


def field_line(field, message) -> str:
    """``"<field>: <message>"`` in the active language (zh-Hans: ``"<field>：<message>"``) through
    core's catalogue (:data:`FIELD_LINE`); the pieces are used as they are (escape them for HTML)."""
    return gettext(FIELD_LINE) % {"field": field, "message": message}


def listing(items) -> str:
    """``items`` as one line in the active language: ``"西站家园、下西园社区"`` in zh-Hans (the
    enumeration comma 、), ``"A, B"`` in English (core's catalogue, context "list separator")."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def moment_text(at) -> str:
    """An aware datetime ``at`` as users read it in messages: the district's local time to the minute,
    ``"2022-03-26 08:30"`` (settings.TIME_ZONE, never the stored UTC)."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def items_line(items) -> str:
    """``items`` (messages, problems) as one line in the active language, joined by ``"; "``
    (zh-Hans ``"；"``, core's catalogue, context "between the items of a list")."""
    return pgettext("between the items of a list", "; ").join(str(item) for item in items)


def bracketed(text, note) -> str:
    """``"<text> (<note>)"`` in the active language (zh-Hans: ``"<text>（<note>）"``, no space) through
    core's catalogue (context "a text followed by a note in brackets"); the pieces are used as they
    are (escape them for HTML). ``text=""`` gives the bracketed note alone, with English's leading space."""
    # Translators: a text followed by a note in brackets ("Members (3)", "Chaoyang (110105001)"); zh-Hans
    # uses the full-width brackets without a space: "家庭成员（3）". With an empty text it is the note alone
    # after some markup (" (L2)" / "（L2）").
    return pgettext("a text followed by a note in brackets", "%(text)s (%(note)s)") % {"text": text, "note": note}


def error_lines(form: Form) -> list[str]:
    """A bound, invalid ``form``'s errors as lines a reader understands: ``"<field label>: <messages>"``
    with the field's translated label (never its code name such as ``direction``), and the form-wide
    errors on their own, joined by :func:`field_line` (full-width "：" in zh-Hans). Empty for a valid
    or unbound form. An error that refuses a submitted value (too long, out of range, not a whole
    number / number / date, not a choice, taken) quotes the value (core.fielderrors.value_message; ID
    and phone numbers masked). Examples: ``["方向：此项必填。"]``, ``["人数：“abc” 不是整数。"]``; in
    English ``["Direction: This field is required."]``."""
    lines = []
    for name, errors in form.errors.as_data().items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            lines.append(" ".join(" ".join(e.messages) for e in errors))
            continue
        field = form.fields[name]
        value = form[name].data if form.is_bound else None
        texts = [_field_message(field, error, value) for error in errors]
        label = field.label or form[name].label
        lines.append(field_line(label, " ".join(texts)))
    return lines


def _field_message(field, error, value) -> str:
    """One field error's text: the value-naming message when its code is one core words, else the stock one."""
    params = error.params or {}
    limit = params.get("limit_value")
    if limit is None and error.code in ("max_value", "min_value"):
        limit = getattr(field, error.code, None)
    message = None
    if is_stock_form_error(field, error):  # an app's own message is kept as it is
        message = value_message(error.code or "", value=value, kind=field_kind(field), limit=limit)
    return message or " ".join(error.messages)


class AuditFilterForm(forms.Form):
    """Filters of the audit log page: ``action`` (a code; choices are the codes in the reader's log,
    labelled, after the list filters' empty choice “Any action” / “全部操作”), ``object_type`` (what
    the entry is about, ``app_label.model``; choices the types in the reader's log by their
    translated names, so a generic action such as “Created” can be narrowed to households),
    ``actor`` (user name or display name contains), ``date`` (the local day, YYYY-MM-DD)."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=pgettext_lazy("audit filter", "Record"), required=False)
    actor = forms.CharField(label=_("By"), required=False, max_length=150)
    date = DayField(label=_("Date"), required=False)

    def __init__(self, *args, actions: list[tuple[str, str]] = (), object_types: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", empty_choice_label(self.fields["action"])), *actions]
        self.fields["object_type"].choices = [("", empty_choice_label(self.fields["object_type"])), *object_types]
