"""A day that must not be in the future (an arrival, an exposure, a symptom onset, a stock count, the
day of a page that shows what is) has one rule and one message naming the value: core.filters'
``future_day_error`` (“2026-12-01” is in the future), used by forms through ``DayField(past_only=True)``
— whose date picker offers no day to come (``max`` = today, Asia/Shanghai) — and by services that
check a day of their own."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from lianfang.core.filters import DayField, future_day_error, validate_past_day
from lianfang.core.forms import error_lines


def today() -> dt.date:
    return timezone.localdate()


def tomorrow() -> dt.date:
    return today() + dt.timedelta(days=1)


def test_one_message_naming_the_value():
    assert future_day_error(None) is None
    assert future_day_error(today()) is None
    assert future_day_error(dt.date(2026, 12, 1), today=dt.date(2026, 12, 1)) is None
    error = future_day_error(dt.date(2026, 12, 2), today=dt.date(2026, 12, 1))
    assert error.code == "future"
    with translation.override("en"):
        assert error.messages == ["“2026-12-02” is in the future"]
    with translation.override("zh-hans"):
        assert error.messages == ["“2026-12-02”尚未到来"]
        with pytest.raises(ValidationError, match="尚未到来"):
            validate_past_day(tomorrow())
    validate_past_day(today())


class ArrivalForm(forms.Form):
    arrived_on = DayField(label="Arrived on", required=False, past_only=True)
    planned_on = DayField(label="Planned on", required=False)


def test_a_past_only_field_refuses_a_day_to_come_and_offers_none():
    with translation.override("en"):
        form = ArrivalForm({"arrived_on": tomorrow().isoformat(), "planned_on": tomorrow().isoformat()})
        assert not form.is_valid()
        assert error_lines(form) == [f"Arrived on: “{tomorrow().isoformat()}” is in the future"]
        assert form.errors.as_data()["arrived_on"][0].code == "future"
    assert ArrivalForm({"arrived_on": today().isoformat()}).is_valid()
    html = str(ArrivalForm()["arrived_on"])
    assert f'max="{today().isoformat()}"' in html
    assert "max=" not in str(ArrivalForm()["planned_on"])


def test_a_day_outside_the_usable_range_is_named_as_such_not_as_future():
    with translation.override("en"):
        form = ArrivalForm({"arrived_on": "9999-12-31"})
        assert not form.is_valid()
        assert form.errors["arrived_on"] == ["“9999-12-31” is outside the usable date range (0002-01-01 to 9998-12-31)"]


def test_the_max_is_today_as_of_each_form_not_of_the_import():
    field = ArrivalForm.base_fields["arrived_on"]
    field.widget.attrs["max"] = "2000-01-01"  # as if the module had been imported long ago
    try:
        assert ArrivalForm().fields["arrived_on"].widget.attrs["max"] == today().isoformat()
        assert copy.deepcopy(field).widget.attrs["max"] == today().isoformat()
    finally:
        field.past_only = True


def test_a_form_may_switch_it_per_instance():
    form = ArrivalForm({"arrived_on": tomorrow().isoformat()})
    form.fields["arrived_on"].past_only = False
    assert form.is_valid() and "max" not in form.fields["arrived_on"].widget.attrs
    assert ArrivalForm.base_fields["arrived_on"].past_only  # the class's field is untouched


@pytest.mark.parametrize(
    ("module", "form", "field"),
    [
        ("lianfang.fieldops.forms", "PersonForm", "arrived_on"),
        ("lianfang.fieldops.forms", "PersonForm", "last_exposure_on"),
        ("lianfang.fieldops.forms", "ExposureForm", "exposure_on"),
        ("lianfang.zones.forms", "InfectionForm", "onset_on"),
        ("lianfang.zones.forms", "InfectionForm", "positive_sample_on"),
        ("lianfang.zones.forms", "EvidenceForm", "day"),
        ("lianfang.assistance.forms", "MedicineForm", "stock_counted_on"),
        ("lianfang.workforce.forms", "DivisionDayForm", "on"),
    ],
)
def test_the_forms_of_days_that_have_happened_use_it(module, form, field):
    import importlib  # noqa: PLC0415

    declared = getattr(importlib.import_module(module), form).base_fields[field]
    assert isinstance(declared, DayField) and declared.past_only
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            declared.clean(tomorrow().isoformat())
        assert refused.value.messages == [f"“{tomorrow().isoformat()}” is in the future"]
