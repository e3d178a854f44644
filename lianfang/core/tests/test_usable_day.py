"""core.filters' usable day range (0002-01-01 … 9998-12-31): DayField, DayFilter and query_day refuse a
calendar-valid day at the edge of Python's range with a message naming it, so no app's day arithmetic
(the audit log's ``day + 1``) overflows into a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.http import QueryDict
from django.utils import translation

from lianfang.core.filters import FIRST_DAY, LAST_DAY, BadQuery, DayField, query_day, validate_usable_day

ZH_LATE = "“9999-12-31”超出可用的日期范围（0002-01-01 至 9998-12-31）"
EN_EARLY = "“0001-12-31” is outside the usable date range (0002-01-01 to 9998-12-31)"


def test_the_range_keeps_a_year_of_margin_inside_pythons_dates():
    assert (dt.date(2, 1, 1), dt.date(9998, 12, 31)) == (FIRST_DAY, LAST_DAY)
    assert FIRST_DAY.replace(year=FIRST_DAY.year - 1) == dt.date.min
    assert LAST_DAY.replace(year=LAST_DAY.year + 1) == dt.date.max


@pytest.mark.parametrize("day", [dt.date(2, 1, 1), dt.date(2026, 11, 30), dt.date(9998, 12, 31), None])
def test_days_inside_the_range_pass(day):
    assert validate_usable_day(day) is None
    assert DayField(required=False).clean(day.isoformat() if day else "") == day


def test_a_datetime_is_checked_by_its_day():
    validate_usable_day(dt.datetime(9998, 12, 31, 23, 59))
    with pytest.raises(forms.ValidationError) as exc:
        validate_usable_day(dt.datetime(9999, 1, 1, 0, 0))
    assert exc.value.code == "out_of_range"


def test_day_field_names_the_value_outside_the_range():
    with translation.override("zh-hans"):
        with pytest.raises(forms.ValidationError) as late:
            DayField().clean("9999-12-31")
        assert late.value.messages == [ZH_LATE]
    with translation.override("en"):
        with pytest.raises(forms.ValidationError) as early:
            DayField().clean("0001-12-31")
        assert early.value.messages == [EN_EARLY]


def test_query_day_names_the_parameter_and_the_value():
    with translation.override("zh-hans"), pytest.raises(BadQuery) as exc:
        query_day(QueryDict("on=9999-12-31"), "on")
    assert exc.value.errors == {"on": [ZH_LATE]}
    with translation.override("en"), pytest.raises(BadQuery) as exc:
        query_day(QueryDict("day=0001-12-31"))
    assert exc.value.errors == {"day": [EN_EARLY]}
    assert query_day(QueryDict("day=9998-12-31")) == dt.date(9998, 12, 31)
    assert query_day(QueryDict(""), default=dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)


@pytest.mark.django_db
def test_audit_log_refuses_a_day_past_the_range_with_400(district_commander, client_for):
    """The audit page adds a day to the filter's date: 9999-12-31 was a 500 OverflowError."""
    client = client_for(district_commander)
    response = client.get("/audit/", {"date": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert [(name, text) for name, text in response.context["errors"]] == [("日期（<code>date</code>）", ZH_LATE)]
    assert client.get("/audit/", {"date": "9998-12-31"}).status_code == 200
