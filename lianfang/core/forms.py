"""Form helpers shared by the apps' page views."""

from __future__ import annotations

from django import forms
from django.forms import Form
from django.forms.forms import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import DayField


def error_lines(form: Form) -> list[str]:
    """A bound, invalid ``form``'s errors as lines a reader understands: ``"<field label>: <messages>"``
    with the field's translated label (never its code name such as ``direction``), and the form-wide
    errors on their own. Empty for a valid or unbound form. Example: ``["方向: 这个字段是必填项。"]``."""
    lines = []
    for name, messages in form.errors.items():
        text = " ".join(str(m) for m in messages)
        if name == NON_FIELD_ERRORS or name not in form.fields:
            lines.append(text)
        else:
            label = form.fields[name].label or form[name].label
            lines.append(f"{label}: {text}")
    return lines


class AuditFilterForm(forms.Form):
    """Filters of the audit log page: ``action`` (a code; choices are the codes in the reader's log,
    labelled), ``actor`` (user name or display name contains), ``date`` (the local day, YYYY-MM-DD)."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("By"), required=False, max_length=150)
    date = DayField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actions: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "—"), *actions]
