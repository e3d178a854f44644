"""Shared query-parameter parsing for pages and API: a bad value is a 400 naming the parameter and
the value, never a 500.

- :class:`WithinFilter`: ``within`` = a division code (1-20 digits; rows in its subtree);
  :class:`ScopedWithinFilter`: the same, and a division the user does not reach is a 400.
- :class:`IdFilter`: a row id (a whole number 1 … 2**63 − 1, the range of a 64-bit primary key; a
  larger number would overflow SQLite's INTEGER and PostgreSQL's bigint).
- :class:`DayFilter` / :class:`DayField`: a date whose error names the value, within the usable
  range :data:`FIRST_DAY` … :data:`LAST_DAY` (:func:`validate_usable_day`, also for forms and
  serializers' own date fields); ``DayField(past_only=True)`` also refuses a day after today
  (:func:`future_day_error`, the one rule for services too).
- :class:`MomentFilter` / :class:`MomentField`: an ISO date and time whose error names the value,
  its day within the same usable range.
- :class:`YesNoFilter` / :class:`YesNoField`: yes/no (``true``/``false``/``1``/``0``/``yes``/``no``/
  ``on``/``off``, any case; empty or ``unknown`` = no filter); anything else is a 400 naming the value
  and the accepted values. Every FilterSet (:class:`FilterSet` and any FilterSet :class:`FilterBackend`
  uses) applies the same rule to its plain django-filter ``BooleanFilter`` filters.
- :func:`query_code` / :func:`query_scoped_code`: a division code as a plain page parameter; the
  scoped one answers an out-of-scope code with the same 400 as :class:`ScopedWithinFilter`.
- :func:`query_day`: an ISO date (``YYYY-MM-DD``) that exists in the calendar and lies in the usable range.
- :func:`search_text` / :class:`SearchFilter` / :class:`SearchField`: a free search text (``q``) of at
  most :data:`SEARCH_MAX_LENGTH` characters; a longer one is a 400 naming the parameter and the limit.
- :exception:`BadQuery` (a ``django.core.exceptions.BadRequest``) and :func:`bad_query_response`:
  one way for pages and API to answer 400 with the messages. The errors (:class:`QueryErrors`) carry
  each parameter's human label (a filter's or form field's label, or the caller's), so the 400 page
  reads “日期（on）：…” / “Date (on): …”; the API answers the parameter names only.

Use these filters in every FilterSet; check ``filterset.is_valid()`` on pages and answer
``bad_query_response(request, filterset.errors)`` when it is not (the API's DjangoFilterBackend
already answers 400 with ``{"<parameter>": ["<message>"]}``).
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata

import django_filters
import django_filters.conf
import django_filters.fields
import django_filters.rest_framework
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, BadRequest, ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
    RegexValidator,
)
from django.forms.utils import ErrorDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy
from django_filters.utils import label_for_filter

from lianfang.core import pii
from lianfang.core.scoping import reaches, subtree_q
from lianfang.core.widgets import DayInput, MomentInput

MAX_ID = 2**63 - 1
"""The largest primary key a 64-bit integer column holds (SQLite INTEGER, PostgreSQL bigint)."""

FIRST_DAY = dt.date(2, 1, 1)
"""The earliest day accepted (a year after ``date.min``, so that ``day − 1 year`` still computes)."""
LAST_DAY = dt.date(9998, 12, 31)
"""The latest day accepted (a year before ``date.max``, so that ``day + 1 year`` still computes)."""

OUT_OF_RANGE = gettext_lazy("“%(value)s” is outside the usable date range (%(first)s to %(last)s)")
IN_THE_FUTURE = gettext_lazy("“%(value)s” is in the future")

CODE_VALIDATOR = RegexValidator(
    r"^[0-9]{1,20}\Z", gettext_lazy("“%(value)s” is not a division code (1 to 20 digits)"), code="invalid_code"
)


def normalize_text(raw: str | None) -> str:
    """A typed value (a date, a code) after Unicode NFKC with surrounding spaces (also the
    full-width space) removed: full-width digits and punctuation from a Chinese input method
    (``２０２６－１２－０１``) become ASCII (``2026-12-01``); ``None`` → ``""``. Raises nothing."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def normalize_code(raw: str | None) -> str:
    """A division code as typed, normalised before it is checked: Unicode NFKC (full-width digits
    from a Chinese input method, ``６２０１０３``, become ``620103``) and surrounding spaces (also
    the full-width space) removed (:func:`normalize_text`); ``None`` → ``""``. Anything else is
    left for CODE_VALIDATOR."""
    return normalize_text(raw)


class CodeField(forms.CharField):
    """A division code form field: the value is normalised by :func:`normalize_code` before
    validation (the field of :class:`WithinFilter`)."""

    def to_python(self, value):
        return normalize_code(super().to_python(value))


def validate_usable_day(value: dt.date | None) -> None:
    """Django validator (form and DRF serializer fields): raise ValidationError (code
    ``out_of_range``) naming ``value`` when it lies outside FIRST_DAY … LAST_DAY — “9999-12-31” is
    outside the usable date range (0002-01-01 to 9998-12-31). A datetime is checked by its date; None
    passes (the field's ``required`` decides).

    Why: a day is turned into instants (the last microsecond of the day = next midnight − 1 µs,
    Asia/Shanghai) and shifted by rule periods (14 days of monitoring, a year of history, a report's
    trend of up to 120 days), so a calendar-valid day at the edge of Python's range (``9999-12-31``,
    ``0001-01-01``) overflowed into a 500 OverflowError; a year of margin on either side keeps every
    such shift computable."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise out_of_range(day.isoformat())


def future_day_error(value: dt.date | None, *, today: dt.date | None = None) -> ValidationError | None:
    """The ValidationError (code ``future``) “2026-12-01” is in the future when day ``value`` lies after
    ``today`` (default: today in the district's time zone, Asia/Shanghai); None for a day up to today
    and for None. The one rule and message of a day that must not be in the future (an arrival, an
    exposure, a symptom onset, a stock count, the day of a page that shows what is): forms use it
    through :class:`DayField` ``(past_only=True)``; services that check a day of their own put it in
    their errors (``errors["arrived_on"] = error``) or raise it."""
    if value is None or value <= (today or timezone.localdate()):
        return None
    return ValidationError(IN_THE_FUTURE, code="future", params={"value": value.isoformat()})


def validate_past_day(value: dt.date | None) -> None:
    """Django validator: raise :func:`future_day_error` of ``value`` when there is one."""
    error = future_day_error(value)
    if error is not None:
        raise error


def out_of_range(shown: str) -> ValidationError:
    """The ValidationError (code ``out_of_range``) of a day outside FIRST_DAY … LAST_DAY, naming ``shown``."""
    return ValidationError(
        OUT_OF_RANGE,
        code="out_of_range",
        params={"value": shown, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
    )


WITHIN_LABEL = pgettext_lazy("the within parameter", "Division code")
"""The label of ``within``: a :class:`WithinFilter`'s, and a ``within`` read by :func:`query_code` /
:func:`query_scoped_code` (the 400 page names it the same way whichever read it)."""
DIVISION_CODE_LABEL = gettext_lazy("Division code")
"""The label of a division code parameter of another name (``code``) read by :func:`query_code` /
:func:`query_scoped_code`."""
DATE_LABEL = gettext_lazy("Date")
"""The label of a date parameter read by :func:`query_day`."""
ID_LABEL = gettext_lazy("ID")
"""The label of a row id parameter read by :func:`query_id`."""


class QueryErrors(ErrorDict):
    """Parameter name → messages (a form's ``errors`` or a plain ``{"within": ["…"]}``), and
    ``labels``: parameter name → its human label (a form field's label, lazy or str) for the
    parameters that have one. What :class:`BadQuery` carries, :class:`FilterSet`'s ``errors`` are and
    :func:`bad_query_response` shows, each parameter as “<label> (<name>)” in the page's language
    (:func:`parameter_label`); the API answers the keys only (``{"within": ["…"]}``). ``labels``
    passed here win over those ``errors`` already carries."""

    def __init__(self, errors=(), labels=None):
        super().__init__(errors, renderer=getattr(errors, "renderer", None))
        self.labels = {**getattr(errors, "labels", {}), **{k: v for k, v in (labels or {}).items() if v}}


def form_labels(form) -> dict:
    """``{field name: label}`` of ``form``'s fields that have a label (a filter form's names are its
    query parameters): the labels :class:`QueryErrors` shows for a form's errors."""
    return {name: field.label for name, field in form.fields.items() if field.label}


def form_errors(form) -> QueryErrors:
    """A bound form's errors with its fields' labels (:class:`QueryErrors`), for
    :func:`bad_query_response`: ``bad_query_response(request, form_errors(form))``."""
    return QueryErrors(form.errors, form_labels(form))


def parameter_label(name: str, label=None) -> str:
    """How a query parameter is named to a reader: its ``label`` with the parameter's ``name`` in
    brackets (core.forms.bracketed: ``日期（on）`` in zh-Hans, ``Date (on)`` in English, the label's
    first letter capitalised), ``name`` alone without a label; plain text (escape it for HTML)."""
    from lianfang.core.forms import bracketed  # noqa: PLC0415 (core.forms imports this module)

    return capfirst(bracketed(label, name)) if label else name


class BadQuery(BadRequest):
    """A query parameter that cannot be understood. ``errors`` (a :class:`QueryErrors`) maps
    parameter name → list of messages; ``labels`` (optional) parameter name → its human label, shown
    on the 400 page as “<label> (<name>)” (the API answers the names only)."""

    def __init__(self, errors: dict[str, list[str]], labels: dict | None = None):
        super().__init__("; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in errors.items()))
        self.errors = QueryErrors(errors, labels)


def refuse_unknown_parameters(request, accepted) -> None:
    """Raise BadQuery ``{"<name>": ["…"]}`` for every query parameter of ``request`` (a DRF request)
    not in ``accepted`` (names; DRF's ``format`` is always accepted), naming it and the accepted
    ones — for an endpoint without filters or pages, where an ignored parameter (``?date=`` on an
    endpoint that is always "now") would silently answer something else than was asked. A view
    answers it as a 400 through core.api.BadQueryMixin. Names are cut to 40 characters."""
    accepted = tuple(accepted)
    unknown = [name for name in request.query_params if name not in (*accepted, "format")]
    if unknown:
        message = _("“%(name)s” is not a parameter of this endpoint (accepted: %(accepted)s)")
        raise BadQuery(
            {name[:40]: [message % {"name": name[:40], "accepted": ", ".join(accepted)}] for name in unknown}
        )


def within_method(queryset, name, value):
    """Filter method: rows whose ``SCOPE_PATH_FIELD`` lies in the subtree of division code ``value``."""
    if not value:
        return queryset
    return queryset.filter(subtree_q(queryset.model.SCOPE_PATH_FIELD, value))


class CodeFilter(django_filters.CharFilter):
    """A division-code filter (1-20 digits, full-width digits normalised: :class:`CodeField`);
    anything else makes the form invalid with the message “<value>” is not a division code."""

    field_class = CodeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [CODE_VALIDATOR])
        super().__init__(*args, **kwargs)


class WithinFilter(CodeFilter):
    """``within``: a division code (:class:`CodeFilter`); rows in its subtree."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("method", within_method)
        kwargs.setdefault("label", WITHIN_LABEL)
        super().__init__(*args, **kwargs)


class ScopedWithinField(CodeField):
    """A division code (1-20 digits) that must name a division holding something ``user`` may see
    (core.scoping.reaches); ``user`` is set by :class:`ScopedWithinFilter` per request. A malformed
    value fails with CODE_VALIDATOR's message, an unknown or out-of-scope code with “<value>” is not
    the code of a division you may see."""

    user = None

    def run_validators(self, value):
        super().run_validators(value)
        if value not in self.empty_values:
            validate_reached(self.user, value)


def validate_reached(user, code: str) -> None:
    """Raise ValidationError (code ``out_of_scope``) “<code>” is not the code of a division you may
    see when the well-formed division code ``code`` holds nothing ``user`` may see (unknown, another
    community, or no user: core.scoping.reaches). The one scope rule of ``within`` in filter forms
    (:class:`ScopedWithinField`) and plain page parameters (:func:`query_scoped_code`)."""
    if not reaches(user, code):
        raise forms.ValidationError(
            _("“%(value)s” is not the code of a division you may see"), code="out_of_scope", params={"value": code}
        )


class GivesFieldTheUser:
    """Filter mixin: its form field gets ``user`` (the request's user, None without a request) each
    time the field is built, for fields that check a value against the user's scope."""

    @property
    def field(self):
        field = super().field
        request = getattr(getattr(self, "parent", None), "request", None)
        field.user = getattr(request, "user", None)
        return field


class ScopedWithinFilter(GivesFieldTheUser, WithinFilter):
    """``within`` like :class:`WithinFilter`, except that a well-formed code of a division that is
    unknown or holds nothing the request's user may see is a form error (a 400 ``{"within": ["…"]}``
    naming the value) instead of an empty list; a code above the user's scope (a compound's grid
    worker naming its community) filters to their part of it."""

    field_class = ScopedWithinField


class NamesTheValue:
    """Form field mixin: an unparsable value fails with the field's ``invalid`` message formatted with
    ``%(value)s`` (Django's own parsers raise it without the value)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            message = self.error_messages["invalid"]
            raise forms.ValidationError(message, code="invalid", params={"value": value}) from exc


class IdField(NamesTheValue, forms.IntegerField):
    """A row id: a whole number 1 … MAX_ID."""

    default_error_messages = {"invalid": gettext_lazy("“%(value)s” is not an id (a whole number)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators = [
            MinValueValidator(1, gettext_lazy("“%(value)s” is not an id (ids start at 1)")),
            MaxValueValidator(MAX_ID, gettext_lazy("“%(value)s” is not an id (too large)")),
        ]


class DayField(NamesTheValue, forms.DateField):
    """A date (``YYYY-MM-DD``) whose error names the value: “2026-02-30” is not a date (YYYY-MM-DD),
    not Django's bare "Enter a valid date." (which leaves the reader guessing which input was wrong);
    a day outside FIRST_DAY … LAST_DAY fails :func:`validate_usable_day` (also naming the value).
    The field of every day in query forms and POST forms alike; its widget (core.widgets.DayInput)
    writes the value as ``YYYY-MM-DD`` in every language.

    ``past_only`` (keyword, default False; an attribute a form may switch per instance): a day after
    today (Asia/Shanghai) fails with :func:`future_day_error` (“2026-12-01” is in the future), and the
    widget's ``max`` is today, so the browser's date picker offers no day to come either. The ``max``
    is today as of each form made (the field is copied per form), not as of the module's import."""

    widget = DayInput
    default_error_messages = {"invalid": gettext_lazy("“%(value)s” is not a date (YYYY-MM-DD)")}
    default_validators = [validate_usable_day]

    def __init__(self, *args, past_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.past_only = past_only

    @property
    def past_only(self) -> bool:
        return self._past_only

    @past_only.setter
    def past_only(self, value: bool) -> None:
        self._past_only = value
        if value:
            self.widget.attrs["max"] = timezone.localdate().isoformat()
        else:
            self.widget.attrs.pop("max", None)

    def __deepcopy__(self, memo):
        field = super().__deepcopy__(memo)
        field.past_only = self.past_only  # today's max for the new form
        return field

    def to_python(self, value):
        """A typed date is read after Unicode NFKC (:func:`normalize_text`): full-width digits and
        dashes from a Chinese input method (``２０２６－１２－０１``) are ``2026-12-01``."""
        return super().to_python(normalize_text(value) if isinstance(value, str) else value)

    def bound_data(self, data, initial):
        """The typed date as the form shows it again, normalised like :meth:`to_python`: a browser's
        date input shows ``2026-12-01``, never empty for ``２０２６－１２－０１``."""
        return normalize_text(data) if isinstance(data, str) else super().bound_data(data, initial)

    def run_validators(self, value):
        super().run_validators(value)  # a day outside the usable range is named as such first
        if self.past_only:
            validate_past_day(value)


class DayFilter(django_filters.DateFilter):
    """A date filter validated by :class:`DayField` (a malformed day or one outside FIRST_DAY …
    LAST_DAY is a 400 naming it)."""

    field_class = DayField


class MomentField(NamesTheValue, django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date and time (``2026-11-30T08:00``, with or without seconds and offset; a naive
    one is read in the current time zone, Asia/Shanghai) whose error names the value: “yesterday” is
    not a date and time (YYYY-MM-DDTHH:MM), not Django's bare "Enter a valid date/time.". A moment
    whose day (as written, in its own offset) lies outside FIRST_DAY … LAST_DAY fails with code
    ``out_of_range`` naming the value as typed: “0001-01-01T00:00:00” is outside the usable date range
    (0002-01-01 to 9998-12-31) — the same rule as :func:`validate_usable_day`, because such an
    instant overflowed into a 500 (page) or a nameless 400 (API) when turned into UTC for the query.
    The field of every date and time in query forms and POST forms alike; its widget
    (core.widgets.MomentInput) writes the value as ``YYYY-MM-DDTHH:MM`` in every language."""

    widget = MomentInput
    default_error_messages = {"invalid": gettext_lazy("“%(value)s” is not a date and time (YYYY-MM-DDTHH:MM)")}

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and not FIRST_DAY <= moment.date() <= LAST_DAY:
            raise out_of_range(str(value).strip())
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):
    """A date-time filter validated by :class:`MomentField` (a malformed moment or one whose day is
    outside FIRST_DAY … LAST_DAY is a 400 naming the parameter and the value)."""

    field_class = MomentField


class IdFilter(django_filters.NumberFilter):
    """A filter on a row id (``field_name`` e.g. ``"household_id"``), validated by :class:`IdField`."""

    field_class = IdField


YES = frozenset({"true", "1", "yes", "on"})
NO = frozenset({"false", "0", "no", "off"})
ANY = frozenset({"", "unknown"})  # absent, or the select's "Unknown" option: no filter


DJANGO_EMPTY_LABEL = django_filters.conf.settings.EMPTY_CHOICE_LABEL
"""django-filter's empty choice (“---------”), replaced by :func:`label_empty_choices`."""
ALL_CHOICE = pgettext_lazy("the empty choice of a yes/no filter: no filter", "All")


def empty_choice_label(filter_):
    """The label of the empty choice of a choice filter, or of a plain form's choice field (anything
    with a ``label``; lazy, in the language of the page that renders it): “Any <the filter's label>”
    — Any status / 全部状态 — instead of Django's “---------”. The English label's first letter is
    put in lower case unless the label starts with an abbreviation (“Any tier”, but “Any ID type”)."""

    def text():
        name = str(filter_.label or "")
        if name[:1].isupper() and not name[1:2].isupper():
            name = name[:1].lower() + name[1:]
        return pgettext("the empty choice of a list filter; %(label)s is the filter's name", "Any %(label)s") % {
            "label": name
        }

    return lazy(text, str)()


def label_empty_choices(filterset) -> None:
    """Give every single-choice filter of ``filterset`` (an instance: its filters are its own copies)
    whose ``empty_label`` is django-filter's default (“---------”, also set explicitly on the filters
    it generates for foreign keys) the label :func:`empty_choice_label`. Returns None; raises
    nothing."""
    for filter_ in filterset.filters.values():
        default = filter_.extra.get("empty_label", DJANGO_EMPTY_LABEL) == DJANGO_EMPTY_LABEL
        if isinstance(filter_, django_filters.ChoiceFilter) and default:  # model choice filters too
            filter_.extra["empty_label"] = empty_choice_label(filter_)
            filter_.__dict__.pop("_field", None)


class YesNoWidget(forms.NullBooleanSelect):
    """The yes/no select (All / Yes / No: the empty choice reads “All”, not Django's “Unknown”) that
    hands the typed text to the field as it is (NullBooleanSelect and django-filter's BooleanWidget
    turn any text they do not know into "no filter", so ``?overdue=zz`` listed everything)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", ALL_CHOICE), *self.choices[1:]]

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class YesNoField(forms.NullBooleanField):
    """A yes/no query value: ``true``/``1``/``yes``/``on`` → True, ``false``/``0``/``no``/``off`` →
    False (any case, surrounding spaces ignored), absent, empty or ``unknown`` → None (no filter).
    Anything else raises ValidationError “<value>” is not yes or no (true/false, 1/0, yes/no, on/off)."""

    widget = YesNoWidget
    default_error_messages = {"invalid": gettext_lazy("“%(value)s” is not yes or no (true/false, 1/0, yes/no, on/off)")}

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ANY:
            return None
        if text in YES or text in NO:
            return text in YES
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"value": str(value)[:40]})

    def validate(self, value):
        """None (no filter) is allowed."""


class YesNoFilter(django_filters.BooleanFilter):
    """A BooleanFilter validated by :class:`YesNoField`: a value other than yes/no/empty makes the
    FilterSet invalid (pages: ``bad_query_response``; API: 400 ``{"<parameter>": ["…"]}``)."""

    field_class = YesNoField


def strict_booleans(filterset) -> None:
    """Make every plain ``BooleanFilter`` of ``filterset`` (an instance: its filters are its own
    copies) read its value with :class:`YesNoField` / :class:`YesNoWidget`, so ``?is_active=abc`` is
    a form error naming the value instead of "no filter". Returns None; raises nothing."""
    for filter_ in filterset.filters.values():
        if isinstance(filter_, django_filters.BooleanFilter) and not issubclass(filter_.field_class, YesNoField):
            filter_.field_class = YesNoField
            filter_.extra["widget"] = YesNoWidget
            filter_.__dict__.pop("_field", None)


def query_day(params, name: str = "day", default: dt.date | None = None, label=DATE_LABEL) -> dt.date | None:
    """The ISO date ``params[name]`` (``YYYY-MM-DD``, read after :func:`normalize_text`: full-width
    ``２０２６－１２－０１`` is read), ``default`` when absent or empty.

    Raises BadQuery naming the parameter (with ``label``, for the 400 page) and value when it is not
    a date that exists (``2026-13-45``) or lies outside FIRST_DAY … LAST_DAY (``9999-12-31``,
    :func:`validate_usable_day`); ``default`` is returned as it is.
    """
    raw = normalize_text(params.get(name))
    if not raw:
        return default
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise BadQuery({name: [_("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": raw}]}, {name: label}) from None
    try:
        validate_usable_day(day)
    except ValidationError as exc:
        raise BadQuery({name: [str(m) for m in exc.messages]}, {name: label}) from None
    return day


def code_label(name: str):
    """The label of a division code parameter ``name`` on the 400 page: WITHIN_LABEL for ``within``,
    else DIVISION_CODE_LABEL."""
    return WITHIN_LABEL if name == "within" else DIVISION_CODE_LABEL


def query_code(params, name: str = "within", label=None) -> str:
    """The division code ``params[name]`` (``""`` when absent or empty), normalised by
    :func:`normalize_code` (full-width digits read as digits); raises BadQuery naming the parameter
    (with ``label``, by default :func:`code_label`) and value when it is not 1-20 digits."""
    label = label or code_label(name)
    raw = normalize_code(params.get(name))
    if raw:
        try:
            CODE_VALIDATOR(raw)
        except forms.ValidationError as exc:
            raise BadQuery({name: exc.messages}, {name: label}) from None
    return raw


def query_scoped_code(user, params, name: str = "within", label=None) -> str:
    """The division code ``params[name]`` (``""`` when absent or empty) checked like a
    :class:`ScopedWithinFilter`: raises BadQuery naming the parameter (with ``label``) and value
    when it is not 1-20 digits (:func:`query_code`) or names a division holding nothing ``user`` may
    see (:func:`validate_reached`) — the same 400 a filter form's ``within`` answers."""
    label = label or code_label(name)
    code = query_code(params, name, label)
    if code:
        try:
            validate_reached(user, code)
        except forms.ValidationError as exc:
            raise BadQuery({name: exc.messages}, {name: label}) from None
    return code


def query_id(params, name: str, label=ID_LABEL) -> int | None:
    """The row id ``params[name]`` (None when absent or empty); raises BadQuery naming the parameter
    (with ``label``) and value when not 1 … MAX_ID."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return IdField().clean(raw)
    except forms.ValidationError as exc:
        raise BadQuery({name: exc.messages}, {name: label}) from None


SEARCH_MAX_LENGTH = 100
"""The most characters a search text (``q``) may have. A name, an address part or an ID number is far
shorter; a longer text is a mistake or an attack — 60,000 characters made SQLite's LIKE answer "LIKE
or GLOB pattern too complex" (a 500, new-user trial 14)."""
SEARCH_LABEL = gettext_lazy("Search text")
"""The label of a search parameter read by :func:`search_text` (the 400 page: “Search text (q)”)."""


def search_problem(text: str, max_length: int = SEARCH_MAX_LENGTH) -> ValidationError | None:
    """The ValidationError (code ``max_length``) of a search ``text`` (already stripped) longer than
    ``max_length`` characters — “xxxx…” has 60000 characters; a search text may have at most 100. —
    or of one holding a NUL character (PostgreSQL cannot compare it), None when ``text`` may be
    searched. The one rule of :func:`search_text` and :class:`SearchField`."""
    if len(text) > max_length:
        message = ngettext(
            "%(value)s has %(length)d characters; a search text may have at most %(limit)d character.",
            "%(value)s has %(length)d characters; a search text may have at most %(limit)d characters.",
            max_length,
        ) % {"value": pii.quoted(text), "length": len(text), "limit": max_length}
        return ValidationError(message, code="max_length")
    try:
        ProhibitNullCharactersValidator()(text)
    except ValidationError as exc:
        return exc
    return None


def search_text(value: str | None, name: str = "q", *, label=SEARCH_LABEL, max_length: int = SEARCH_MAX_LENGTH) -> str:
    """A search text as typed (``request.GET.get("q")``), surrounding spaces removed; ``None`` → ``""``.

    Raises BadQuery ``{name: ["…"]}`` (the 400 page names it by ``label``: “Search text (q)”) when the
    text is longer than ``max_length`` characters (default :data:`SEARCH_MAX_LENGTH`) or holds a NUL
    character (:func:`search_problem`). Pages answer it through :func:`answers_bad_query`, the API
    through core.api.BadQueryMixin. Example: ``query = search_text(request.GET.get("q"))``."""
    text = (value or "").strip()
    problem = search_problem(text, max_length)
    if problem is not None:
        raise BadQuery({name: problem.messages}, {name: label})
    return text


class SearchField(forms.CharField):
    """A search text form field (surrounding spaces removed): longer than ``max_length`` (default
    :data:`SEARCH_MAX_LENGTH`) or holding a NUL character fails with :func:`search_problem`'s message."""

    def __init__(self, *args, max_length: int = SEARCH_MAX_LENGTH, **kwargs):
        super().__init__(*args, **kwargs)
        self.search_max_length = max_length

    def validate(self, value):
        super().validate(value)
        problem = search_problem(value or "", self.search_max_length)
        if problem is not None:
            raise problem


class SearchFilter(django_filters.CharFilter):
    """A search text filter (``q``) validated by :class:`SearchField`: a text over
    :data:`SEARCH_MAX_LENGTH` characters is a 400 naming the parameter and the limit, not a 500 from
    the database's LIKE (``lookup_expr`` ``contains`` / ``icontains`` or a ``method`` as usual)."""

    field_class = SearchField


def bad_query_response(request, errors):
    """A 400 page listing ``errors`` (parameter → messages: a :class:`QueryErrors` — BadQuery's,
    ``filterset.errors``, :func:`form_errors` — or a plain mapping) with a way home. Each parameter
    is shown by its label when ``errors`` carries one, with the name in brackets (日期（<code>on</code>）：…,
    Date (<code>on</code>): …), else by its name (<code>on</code>：…); errors about no parameter
    (``""``, a form's ``__all__``) by their messages alone."""
    labels = getattr(errors, "labels", {})
    rows = []
    for name, messages in errors.items():
        label = labels.get(name)
        code = format_html("<code>{}</code>", name) if name and name != NON_FIELD_ERRORS else ""
        shown = parameter_label(code, conditional_escape(label)) if label and code else code
        rows.append((mark_safe(shown), " ".join(str(m) for m in messages)))  # noqa: S308 (pieces escaped)
    return render(request, "400.html", {"errors": rows}, status=400)


def answers_bad_query(view):
    """Page view decorator: a BadQuery raised inside ``view`` becomes :func:`bad_query_response` (400)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadQuery as exc:
            return bad_query_response(request, exc.errors)

    return wrapper


class SafeModelChoiceField(django_filters.fields.ModelChoiceField):
    """A ModelChoiceField whose look-up of an id past MAX_ID is "not a choice", not an OverflowError,
    and whose "not a choice" message names the value (“abc” is not one of the choices)."""

    default_error_messages = {"invalid_choice": gettext_lazy("“%(value)s” is not one of the choices you may pick")}

    def to_python(self, value):
        text = str(value or "").strip()
        if text.isdigit() and int(text) > MAX_ID:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text}
            )
        return super().to_python(value)


class ScopedIdField(SafeModelChoiceField):
    """A row id typed as a number (no choice list: it would enumerate every household of the district)
    that must name a row of the field's queryset — the rows the viewer may see (core.filters.FilterSet
    scopes it). Anything else (another community's row, an id that does not exist, not a number) is
    the form error “<value>” is not the id of a <model> you may see: a 400 naming the parameter."""

    widget = forms.NumberInput

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self.queryset.model._meta.verbose_name if self.queryset is not None else ""
        # built per request (in its language); ModelChoiceField fills %(value)s with the value asked for
        self.error_messages["invalid_choice"] = _("“%(value)s” is not the id of a %(model)s you may see") % {
            "value": "%(value)s",
            "model": model,
        }


class ScopedIdFilter(django_filters.ModelChoiceFilter):
    """A filter on a row named by its id, accepting only rows the request's user may see.

    ``queryset`` is the model's rows (e.g. ``Household.objects.all()``); the shared FilterSet base narrows
    it to ``visible_to(user)`` per request (core.filters.scoped_choices), so an id in scope filters as a
    plain ``<field>=<id>`` did and any other id answers 400 ``{"<parameter>": ["“<id>” is not the id
    of a household you may see"]}`` in the API (the same 400 page on pages) instead of an empty list."""

    field_class = ScopedIdField


def scoped_choices(queryset, request):
    """The rows of a choice filter's ``queryset`` that the request's user may see.

    ``queryset`` is a queryset, a callable ``queryset(request)`` (django-filter's convention) or None.
    When its model's default manager has ``visible_to`` the answer is ``visible_to(request.user)`` —
    none at all when there is no request or no user (deny by default); a model without access scope
    (a fixed list such as tiers) is returned unchanged. Returns None for None; raises nothing.
    """
    if callable(queryset):
        queryset = queryset(request)
    if queryset is None or not hasattr(queryset.model._default_manager, "visible_to"):
        return queryset
    user = getattr(request, "user", None)
    if user is None:
        return queryset.none()
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(user)
    return queryset.filter(pk__in=queryset.model._default_manager.visible_to(user).values("pk"))


class FilterSet(django_filters.FilterSet):
    """Base of every FilterSet: labels of filters generated from model fields follow the language of
    each request (django-filter caches the first language's label otherwise: "Status:" on a zh page),
    the empty choice of every choice filter reads “Any <label>” (:func:`label_empty_choices`),
    a generated foreign-key filter answers "not a choice" for an id past MAX_ID, and every model
    choice filter (declared or generated, single or multiple) offers and accepts only the rows the
    request's user may see (:func:`scoped_choices`): another community's row is "not a choice", a
    400 naming the parameter. Pass ``request=request`` from pages: without it such filters offer
    nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():  # deep copies of the class's filters, one set per instance
            if isinstance(filter_, django_filters.filters.QuerySetRequestMixin):
                filter_.queryset = functools.partial(scoped_choices, filter_.queryset)
                filter_.__dict__.pop("_field", None)  # a form field built before (schema) holds every row
        strict_booleans(self)
        label_empty_choices(self)

    @property
    def errors(self) -> QueryErrors:
        """The form's errors with the filters' labels (:class:`QueryErrors`): the 400 page names
        each bad parameter by its label, “所属区划代码（within）”."""
        return form_errors(self.form)

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        filter_ = super().filter_for_field(field, field_name, lookup_expr)
        if filter_ is None:
            return None
        if filter_._label is None:
            model, expr = cls._meta.model, filter_.lookup_expr
            filter_._label = lazy(lambda: str(label_for_filter(model, field_name, expr, False)), str)()
        if isinstance(filter_, django_filters.ModelChoiceFilter):
            filter_.field_class = SafeModelChoiceField
        return filter_


class APIFilterSet(FilterSet, django_filters.rest_framework.FilterSet):
    """:class:`FilterSet` with django-filter's API defaults (``true``/``false`` booleans): the base of
    the FilterSets :class:`FilterBackend` builds from a view's ``filterset_fields``."""


class FilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """DjangoFilterBackend whose FilterSets built from ``filterset_fields`` derive from
    :class:`APIFilterSet`, so their foreign-key filters are scoped like every other (a view's own
    ``filterset_class`` is used as it is, except that its BooleanFilters are strict yes/no). Bad values
    answer 400 ``{"<parameter>": ["<message>"]}``."""

    filterset_base = APIFilterSet

    def get_filterset(self, request, queryset, view):
        """The view's FilterSet (None without one), its plain BooleanFilters made strict
        (:func:`strict_booleans`) even when the view's ``filterset_class`` does not derive from
        :class:`FilterSet`."""
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            strict_booleans(filterset)
        return filterset
