"""Every date and date-and-time field of the POST forms and query forms (FilterSets) is core's
(core.filters.DayField / MomentField): its input is written ISO in every language (zh-Hans'
Django formats would give ``2026/11/30``, which a browser's date input shows empty) and a day outside
0002-01-01 … 9998-12-31 is a form error naming the field and the value, never a 500."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from zoneinfo import ZoneInfo

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.utils import translation

from lianfang.core.filters import DayField, MomentField
from lianfang.core.forms import error_lines

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 30)
MOMENT = dt.datetime(2026, 11, 30, 8, 5, tzinfo=SHANGHAI)


def _modules(suffix: str):
    """The ``lianfang.<app>.<suffix>`` modules (registry's are another engineer's)."""
    for config in apps.get_app_configs():
        if config.name.startswith("lianfang.") and config.name != "lianfang.registry":
            try:
                yield importlib.import_module(f"{config.name}.{suffix}")
            except ModuleNotFoundError:
                continue


def _declared(suffix: str, base: type, members: str, kinds: tuple, field_of):
    """``(Class.name, form field)`` of the ``members`` (``base_fields`` / ``base_filters``) of each
    ``base`` subclass defined in the apps' ``suffix`` modules whose member is one of ``kinds``."""
    for module in _modules(suffix):
        for _name, klass in inspect.getmembers(module, inspect.isclass):
            if issubclass(klass, base) and klass.__module__ == module.__name__:
                for name, member in getattr(klass, members).items():
                    if isinstance(member, kinds):
                        yield f"{klass.__name__}.{name}", field_of(member)


def _form_fields():
    """Every date or date-and-time field declared on the apps' POST forms."""
    return _declared("forms", forms.BaseForm, "base_fields", (forms.DateField, forms.DateTimeField), lambda f: f)


def _filter_fields():
    """Every date or date-and-time filter's field of the apps' FilterSets (query forms)."""
    kinds = (django_filters.DateFilter, django_filters.IsoDateTimeFilter)
    return _declared("filtersets", django_filters.FilterSet, "base_filters", kinds, lambda f: f.field)


def test_every_date_field_of_forms_and_query_forms_is_cores():
    fields = [*_form_fields(), *_filter_fields()]
    assert len(fields) > 10
    others = [name for name, field in fields if not isinstance(field, DayField | MomentField)]
    assert others == []


def test_every_date_input_renders_iso_in_zh_hans():
    """Fourth new-user trial: a query form's date showed ``2026/11/30`` in zh-Hans."""
    rendered = {}
    with translation.override("zh-hans"):
        for name, field in [*_form_fields(), *_filter_fields()]:
            value = MOMENT if isinstance(field, forms.DateTimeField) else DAY
            rendered[name] = field.widget.render("x", value)
    wrong = {
        name: html
        for name, html in rendered.items()
        if 'value="2026-11-30"' not in html and 'value="2026-11-30T08:05"' not in html
    }
    assert wrong == {}
    shown = [html for html in rendered.values() if 'type="hidden"' not in html]  # reports' close: a hidden day
    assert all('type="date"' in html or 'type="datetime-local"' in html for html in shown)


def test_every_date_field_refuses_a_day_outside_the_usable_range():
    refused = {}
    with translation.override("zh-hans"):
        for name, field in [*_form_fields(), *_filter_fields()]:
            value = "0001-01-01T00:00" if isinstance(field, forms.DateTimeField) else "9999-12-31"
            try:
                field.clean(value)
            except forms.ValidationError as exc:
                refused[name] = exc.messages
    expected = "“{}”超出可用的日期范围（0002-01-01 至 9998-12-31）"
    fields = [*_form_fields(), *_filter_fields()]
    assert refused == {
        name: [expected.format("0001-01-01T00:00" if isinstance(f, forms.DateTimeField) else "9999-12-31")]
        for name, f in fields
    }


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("zh-hans", "生效时间（留空：立即）：“9999-12-31T23:00”超出可用的日期范围（0002-01-01 至 9998-12-31）"),
        (
            "en",
            "In force from (empty: now): “9999-12-31T23:00” is outside the usable date range "
            "(0002-01-01 to 9998-12-31)",
        ),
    ],
)
def test_a_post_forms_error_line_names_the_field_and_the_value(language, line):
    from lianfang.zones.forms import ApproveForm

    with translation.override(language):
        assert error_lines(ApproveForm({"effective_from": "9999-12-31T23:00"})) == [line]
