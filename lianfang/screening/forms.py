"""Forms of the screening pages (validation only; writes go through services)."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import CODE_VALIDATOR, CodeField, IdField, MomentField
from lianfang.screening.importers import ACCEPTED_SUFFIXES
from lianfang.screening.models import (
    MAX_CAPACITY_PER_HOUR,
    MAX_PLANNED_PEOPLE,
    MIN_CAPACITY_PER_HOUR,
    Exemption,
    PoolingMode,
)


def _range_text(low: int, high: int) -> str:
    """ "1 to 2000" in the active language (the bounds a number field takes, shown as its help)."""
    return gettext("%(min)s to %(max)s") % {"min": f"{low:,}", "max": f"{high:,}"}


range_help = lazy(_range_text, str)

CODES_HELP = _("Division codes separated by commas or spaces (a street, community, compound, building...)")


class NamedDateTimeField(MomentField):
    """A date and time field whose error quotes what was typed: "“2026-02-30T10:00” is not a date and
    time (YYYY-MM-DD HH:MM)" instead of Django's "Enter a valid date/time." (which names no value
    and, for 30 February, suggests the format is at fault); a day outside core's usable range is
    refused naming the value (core.filters.MomentField)."""

    default_error_messages = {"invalid": _("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM).")}


class RoundForm(forms.Form):
    """Open a round over division codes or a control area, with an optional deadline."""

    name = forms.CharField(label=pgettext_lazy("round", "Name"), max_length=120)
    codes = forms.CharField(label=_("Places"), required=False, help_text=CODES_HELP, max_length=2000)
    control_area = IdField(label=_("Or control area number"), required=False)
    deadline = NamedDateTimeField(label=_("Deadline"), required=False)


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Site name"), max_length=120)
    code = CodeField(label=_("Place (division code)"), validators=[CODE_VALIDATOR])
    planned_people = forms.IntegerField(
        label=_("Planned people"),
        min_value=0,
        max_value=MAX_PLANNED_PEOPLE,
        initial=2500,
        help_text=range_help(0, MAX_PLANNED_PEOPLE),
    )


class DeskForm(forms.Form):
    site = IdField(label=_("Sampling site"), widget=forms.HiddenInput)
    name = forms.CharField(label=_("Desk name"), max_length=60)
    mode = forms.ChoiceField(
        label=_("Pooling mode"), choices=[("", _("From the area's rule set")), *PoolingMode.choices], required=False
    )
    capacity_per_hour = forms.IntegerField(
        label=_("People per hour"),
        min_value=MIN_CAPACITY_PER_HOUR,
        max_value=MAX_CAPACITY_PER_HOUR,
        initial=60,
        help_text=range_help(MIN_CAPACITY_PER_HOUR, MAX_CAPACITY_PER_HOUR),
    )


class ResultUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Result file (CSV, XLSX, XLS or ODS)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_SUFFIXES)}),
    )
    lab = forms.CharField(label=_("Lab (when the file has no lab column)"), max_length=80, required=False)


class ExemptForm(forms.Form):
    exemption = forms.ChoiceField(label=_("Exemption"), choices=[("", _("None")), *Exemption.choices], required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


MIN_PERCENT, MAX_PERCENT = 0.001, 50


class PercentField(forms.FloatField):
    """A prevalence in percent, MIN_PERCENT … MAX_PERCENT (a finite number); every error is the one
    message naming the text typed (“0” is not a percentage from 0.001 to 50), not the parsed float."""

    default_error_messages = {"invalid": _("“%(value)s” is not a percentage from 0.001 to 50")}

    def __init__(self, **kwargs):
        super().__init__(min_value=MIN_PERCENT, max_value=MAX_PERCENT, **kwargs)

    def clean(self, value):
        if value in self.empty_values:
            return super().clean(value)
        try:
            return super().clean(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": str(value)[:40]}
            ) from exc


class AdvisorForm(forms.Form):
    """``percent``: a prevalence typed in (optional); a bad value is an error naming it."""

    percent = PercentField(label=_("Prevalence (%)"), required=False)
