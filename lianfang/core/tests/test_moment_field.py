"""core.filters.MomentField / MomentFilter: an ISO date and time whose day lies outside the usable
range (0002-01-01 … 9998-12-31) is refused with a message naming the value as typed, before the
query turns it into UTC (0001-01-01T00:00 in Asia/Shanghai is a year-0 instant: an overflow)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.utils import translation

from lianfang.core.filters import MomentField

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("0002-01-01T00:00", dt.datetime(2, 1, 1, tzinfo=SHANGHAI)),
        ("2026-11-30T08:00", dt.datetime(2026, 11, 30, 8, tzinfo=SHANGHAI)),
        ("2026-11-30T00:00:00Z", dt.datetime(2026, 11, 30, tzinfo=dt.UTC)),
        ("9998-12-31T23:59:59", dt.datetime(9998, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)),
        (
            "9998-12-31T23:59:59-12:00",
            dt.datetime(9998, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=12))),
        ),
    ],
)
def test_moments_inside_the_range_pass(text, moment):
    assert MomentField().clean(text) == moment


@pytest.mark.parametrize(
    "text",
    ["0001-01-01", "0001-01-01T00:00:00", "0001-12-31T23:59+14:00", "9999-01-01T00:00", "9999-12-31T23:59:59"],
)
def test_moments_outside_the_range_are_refused_naming_the_value(text):
    field = MomentField()
    with translation.override("en"):
        with pytest.raises(forms.ValidationError) as exc:
            field.clean(text)
        assert exc.value.code == "out_of_range"
        assert exc.value.messages == [f"“{text}” is outside the usable date range (0002-01-01 to 9998-12-31)"]
    with translation.override("zh-hans"):
        with pytest.raises(forms.ValidationError) as exc:
            field.clean(text)
        assert exc.value.messages == [f"“{text}”超出可用的日期范围（0002-01-01 至 9998-12-31）"]


def test_a_malformed_moment_names_the_value():
    with translation.override("zh-hans"):
        with pytest.raises(forms.ValidationError) as exc:
            MomentField().clean("yesterday")
        assert exc.value.messages == ["“yesterday”不是日期时间（格式为 YYYY-MM-DDTHH:MM）"]
