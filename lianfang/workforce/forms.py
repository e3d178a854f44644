"""Forms of the workforce pages (validation only; writes go through services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import CODE_VALIDATOR, CodeField, DayField
from lianfang.core.forms import DayInput


class DivisionDayForm(forms.Form):
    """``code`` (a division code: 1-20 ASCII digits) and ``on`` (a date, YYYY-MM-DD); both optional.
    A bad value is a form error naming it (“62x” is not a division code …).

    ``future`` (keyword, default False): whether ``on`` may lie after today (Asia/Shanghai). Pages
    that show what is (the daily sheet, coverage, its gaps and problems, the coverage API) refuse a day
    to come with the error on ``on`` “2026-12-01” is in the future and offer none in the date picker
    (core.filters.DayField ``past_only``: nothing is recorded for it yet); planning pages (the gap-fill
    proposal, a household's chain after a scheduled hand-over) pass ``future=True``."""

    code = CodeField(
        required=False, label=_("Division code"), validators=[CODE_VALIDATOR]
    )  # full-width digits read as digits
    on = DayField(required=False, label=_("Date"), widget=DayInput(), past_only=True)

    def __init__(self, *args, future: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].past_only = not future


class HandOverForm(forms.Form):
    """Make ``to_worker`` the household's representative from ``on`` (hand-over when someone holds it)."""

    to_worker = forms.IntegerField(label=_("New representative"))
    on = DayField(label=_("From"), widget=DayInput())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
