"""Forms of the reports pages (validation of input only; writes go through reports.services)."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.filters import CODE_VALIDATOR, CodeField, DayField
from lianfang.reports import sources
from lianfang.reports.models import ReasonCode


class CloseForm(forms.Form):
    """Close ``code``'s report of ``date`` with an optional ``note``."""

    code = CodeField(label=_("Division code"), validators=[CODE_VALIDATOR], widget=forms.HiddenInput)
    date = DayField(label=_("Date"), widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class ReopenForm(forms.Form):
    """Reopen ``code``'s report of ``date`` for a ``reason`` with a ``note``."""

    code = CodeField(label=_("Division code"), validators=[CODE_VALIDATOR], widget=forms.HiddenInput)
    date = DayField(label=_("Date"), widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (ReasonCode.REOPENED_LATE_DATA, ReasonCode.REOPENED_LATE_DATA.label),
            (ReasonCode.REOPENED_CORRECTION, ReasonCode.REOPENED_CORRECTION.label),
        ],
    )
    note = forms.CharField(label=_("Explanation"), max_length=2000)


def _source_choices():
    return [(s.key, s.label) for s in sources.all_sources()]


class LayoutForm(forms.Form):
    """A report layout: a data source, its columns (one per line: ``field`` or ``field | 标题 | Heading``),
    filters (JSON object), order and the form's titles."""

    key = forms.SlugField(label=pgettext_lazy("code name", "Key"), max_length=60)
    name = forms.CharField(label=_("Name (zh-Hans)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120)
    form_title = forms.CharField(label=_("Form title (zh-Hans)"), max_length=200)
    form_title_en = forms.CharField(label=_("Form title (English)"), max_length=200)
    issuer = forms.CharField(label=_("Submitted to (zh-Hans)"), max_length=120, required=False)
    issuer_en = forms.CharField(label=_("Submitted to (English)"), max_length=120, required=False)
    source = forms.ChoiceField(label=_("Data source"), choices=_source_choices)
    columns = forms.CharField(
        label=_("Columns"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One per line: a field key, optionally followed by | heading in Chinese | heading in English."),
    )
    filters = forms.CharField(
        label=pgettext_lazy("report layout", "Filters"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_('A JSON object, e.g. {"category": ["inflow"], "arrived_from": "day-13"}.'),
    )
    order_by = forms.CharField(label=_("Order by (field, - for descending)"), max_length=60, required=False)
    totals = forms.BooleanField(label=_("Totals line"), required=False)

    def __init__(self, *args, base=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if base is not None and not self.is_bound:
            self.initial = {
                "key": base.key if editing else f"{base.key}-local",
                "name": base.name,
                "name_en": base.name_en,
                "form_title": base.form_title,
                "form_title_en": base.form_title_en,
                "issuer": base.issuer,
                "issuer_en": base.issuer_en,
                "source": base.source,
                "columns": "\n".join(
                    " | ".join(
                        [
                            c["field"],
                            *(
                                [c.get("label", ""), c.get("label_en", "")]
                                if c.get("label") or c.get("label_en")
                                else []
                            ),
                        ]
                    )
                    for c in base.columns
                ),
                "filters": json.dumps(base.filters, ensure_ascii=False) if base.filters else "",
                "order_by": base.order_by,
                "totals": base.totals,
            }
        if editing:
            self.fields["key"].disabled = True

    def clean_columns(self):
        columns = []
        for number, line in enumerate(self.cleaned_data["columns"].splitlines(), start=1):
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                continue
            if len(parts) > 3:
                raise ValidationError(_("line %(n)d: at most field | heading | English heading") % {"n": number})
            spec = {"field": parts[0]}
            if len(parts) > 1 and parts[1]:
                spec["label"] = parts[1]
            if len(parts) > 2 and parts[2]:
                spec["label_en"] = parts[2]
            columns.append(spec)
        if not columns:
            raise ValidationError(_("give at least one column"))
        return columns

    def clean_filters(self):
        text = self.cleaned_data["filters"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("not valid JSON: %(error)s") % {"error": exc.msg}) from None
        if not isinstance(value, dict):
            raise ValidationError(_("filters must be a JSON object"))
        return value

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            k: data[k]
            for k in (
                "key",
                "name",
                "name_en",
                "form_title",
                "form_title_en",
                "issuer",
                "issuer_en",
                "source",
                "columns",
                "filters",
                "order_by",
                "totals",
            )
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)
