"""The date and date-and-time input widgets of every form and query form (see core.forms, which
re-exports them, and core.filters' DayField / MomentField, whose default widgets they are)."""

from __future__ import annotations

from django import forms


class DayInput(forms.DateInput):
    """The ``<input type="date">`` widget of every day field: its value is always ISO ``YYYY-MM-DD``
    (``2026-11-30``), whatever the language. Django's DateInput otherwise formats with the active
    language's first DATE_INPUT_FORMATS (zh-Hans: ``2026/11/30``), which a browser's date input
    rejects (HTML's "valid date string" is ``YYYY-MM-DD``) and shows empty. ``attrs`` as DateInput's."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format=format)


class MomentInput(forms.DateTimeInput):
    """The ``<input type="datetime-local">`` widget of every date-and-time field: its value is always
    ``YYYY-MM-DDTHH:MM`` (local time of the request, as the field prepares it), whatever the language
    (HTML's "valid normalized local date and time string"; zh-Hans' DATETIME_INPUT_FORMATS would give
    ``2026/11/30 10:00``, which the browser shows empty). ``attrs`` as DateTimeInput's."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format="%Y-%m-%dT%H:%M"):
        super().__init__(attrs, format=format)
