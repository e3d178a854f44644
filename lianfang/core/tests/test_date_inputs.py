"""core.forms.DayInput / MomentInput: a browser's ``<input type="date">`` takes only ``YYYY-MM-DD``
and ``<input type="datetime-local">`` only ``YYYY-MM-DDTHH:MM``, so the value they are filled with is
ISO in every language — Django's DateInput would write zh-Hans' ``2026/11/30``, which the browser
shows as an empty field."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils import translation

from lianfang.core.forms import AuditFilterForm, DayInput, MomentInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


class DatesForm(forms.Form):
    day = forms.DateField(widget=DayInput())
    at = forms.DateTimeField(widget=MomentInput())


def test_the_plain_date_input_is_what_went_wrong_in_zh_hans():
    with translation.override("zh-hans"):
        html = forms.DateInput(attrs={"type": "date"}).render("day", dt.date(2026, 11, 30))
    assert 'value="2026/11/30"' in html


def test_inputs_render_iso_whatever_the_language():
    form_initial = {"day": dt.date(2026, 11, 30), "at": dt.datetime(2026, 11, 30, 8, 5, 59, tzinfo=SHANGHAI)}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(DatesForm(initial=form_initial))
        assert '<input type="date" name="day" value="2026-11-30"' in html, language
        assert '<input type="datetime-local" name="at" value="2026-11-30T08:05"' in html, language


def test_a_typed_value_is_shown_back_as_typed_and_read_in_any_language():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            form = DatesForm({"day": "2026-11-30", "at": "2026-11-30T08:05"})
            assert form.is_valid(), form.errors
            assert 'value="2026-11-30"' in str(form["day"]) and 'value="2026-11-30T08:05"' in str(form["at"])
        assert form.cleaned_data["day"] == dt.date(2026, 11, 30)
        assert form.cleaned_data["at"] == dt.datetime(2026, 11, 30, 8, 5, tzinfo=SHANGHAI)


def test_the_audit_filter_date_is_iso_in_zh_hans():
    with translation.override("zh-hans"):
        html = str(AuditFilterForm(initial={"date": dt.date(2026, 11, 30)})["date"])
    assert html.startswith('<input type="date" name="date" value="2026-11-30"'), html
