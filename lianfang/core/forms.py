"""Form helpers shared by the apps' page views."""

from __future__ import annotations

from django.forms import Form
from django.forms.forms import NON_FIELD_ERRORS


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
