"""Forms of the workforce pages (validation only; writes go through services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import CODE_VALIDATOR, DayField
from lianfang.core.forms import DayInput


class DivisionDayForm(forms.Form):
    """``code`` (a division code: 1-20 ASCII digits) and ``on`` (a date, YYYY-MM-DD); both optional.
    A bad value is a form error naming it (“62x” is not a division code …)."""

    code = forms.CharField(required=False, label=_("Division code"), validators=[CODE_VALIDATOR])
    on = DayField(required=False, label=_("Date"), widget=DayInput())


class HandOverForm(forms.Form):
    """Make ``to_worker`` the household's representative from ``on`` (hand-over when someone holds it)."""

    to_worker = forms.IntegerField(label=_("New representative"))
    on = DayField(label=_("From"), widget=DayInput())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
