"""Shared API pieces: the scoped viewset base and the 400 for bad query parameters."""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from lianfang.core.fielderrors import field_kind, is_stock_api_error, value_message
from lianfang.core.filters import MAX_ID, BadQuery

# json.JSONDecodeError.msg (Python's English) → what is wrong, translated
_JSON_REASONS = {
    "Expecting value": gettext_lazy("a value is expected"),
    "Expecting property name enclosed in double quotes": gettext_lazy("a field name in double quotes is expected"),
    "Expecting ':' delimiter": gettext_lazy("“:” is expected"),
    "Expecting ',' delimiter": gettext_lazy("“,” is expected"),
    "Unterminated string starting at": gettext_lazy("a string starting here is not closed"),
    "Extra data": gettext_lazy("there is more text after the end of the JSON value"),
    "Invalid \\escape": gettext_lazy("an invalid escape (\\…)"),
    "Invalid \\uXXXX escape": gettext_lazy("an invalid escape (\\uXXXX)"),
    "Invalid control character at": gettext_lazy("a control character inside a string"),
}


def parse_error_message(exc: exceptions.ParseError) -> str:
    """The translated message for a request body DRF's parsers could not read.

    DRF's parsers raise ParseError with an untranslated English detail ("JSON parse error - Expecting
    value: line 1 column 10 (char 9)"); the error they caught is ``exc.__context__``. Returns e.g.
    "The request body is not valid JSON: a value is expected at line 1, column 10." (a
    json.JSONDecodeError), a message naming the encoding (a UnicodeDecodeError), NaN/Infinity
    (DRF's strict constants), the multipart form or the charset; any other ParseError keeps its
    detail if DRF translated it, else a general "The request body cannot be read." message."""
    cause = exc.__context__
    detail = str(exc.detail)
    if isinstance(cause, json.JSONDecodeError):
        reason = _JSON_REASONS.get(cause.msg, gettext_lazy("the text is not JSON"))
        return _("The request body is not valid JSON: %(reason)s at line %(line)d, column %(column)d.") % {
            "reason": reason,
            "line": cause.lineno,
            "column": cause.colno,
        }
    if isinstance(cause, UnicodeDecodeError):
        return _("The request body is not valid JSON: it is not text in the encoding %(encoding)s.") % {
            "encoding": cause.encoding
        }
    if detail.startswith("JSON parse error - "):  # drf's strict_constant: NaN, Infinity, -Infinity
        return _("The request body is not valid JSON: NaN and Infinity are not JSON numbers.")
    if detail.startswith("Multipart form parse error - "):
        return _("The request body is not a valid multipart form.")
    if detail.startswith("Unsupported charset "):
        return _("The charset “%(charset)s” in the Content-Type header is not supported.") % {
            "charset": detail.split('"')[1][:40] if detail.count('"') >= 2 else ""
        }
    if detail == str(exceptions.ParseError.default_detail):
        return detail
    return _("The request body cannot be read.")


def _serializer_fields(context) -> dict:
    """The fields of the serializer the view validates with (``{}`` when it has none or cannot build one)."""
    view = context.get("view")
    getter = getattr(view, "get_serializer", None)
    if getter is None:
        return {}
    try:
        return dict(getter().fields)
    except Exception:  # noqa: BLE001 (a view whose serializer needs more context: stock messages stay)
        return {}


_LIMIT_CODES = ("max_length", "min_length", "max_value", "min_value")


def field_errors(detail: dict, context) -> dict:
    """A ValidationError's ``{field: [ErrorDetail, ...]}`` with each error that refuses a submitted
    value reworded to quote it (core.fielderrors.value_message: "“abc” 不是整数。", "“…” 有 25 个字符，
    最多 20 个。"; ID and phone numbers masked); the field is the key. Other errors, nested ones and
    form-wide ones are kept as they are."""
    request = context.get("request")
    try:
        data = getattr(request, "data", None)
    except exceptions.APIException:  # a body the parsers refuse, met only now (a header was checked first)
        data = None
    fields = _serializer_fields(context)
    result = {}
    for name, errors in detail.items():
        if not isinstance(errors, list) or not hasattr(data, "get") or name not in fields:
            result[name] = errors
            continue
        field = fields[name]
        value = data.get(name)
        reworded = []
        for error in errors:
            code = getattr(error, "code", "") or ""
            limit = getattr(field, code, None) if code in _LIMIT_CODES else None
            message = None
            if isinstance(error, str) and is_stock_api_error(field, code, str(error)):  # a validate_* message stays
                message = value_message(code, value=value, kind=field_kind(field), limit=limit)
            reworded.append(exceptions.ErrorDetail(message, code=code) if message else error)
        result[name] = reworded
    return result


def exception_handler(exc, context):
    """DRF's exception handler (settings ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``), except that:

    - a Django ``Http404`` answers DRF's translated "Not found." instead of the ORM's English message
      ("No Household matches the given query."), which also named the model of an out-of-scope id;
    - a body DRF's parsers cannot read (malformed JSON, …) answers 400 ``{"detail": "…"}`` with a
      translated message naming what is wrong and where (parse_error_message), never DRF's English
      "JSON parse error - …";
    - a refused CSRF token (session authentication) answers 403 with core.views.api_csrf_failure_message
      (the CSRF check failed: reload the page and try again, or call with a token), never DRF's
      English "CSRF Failed: …" (new-user trial: the form-expired words read wrong for an API call);
    - a field error refusing a submitted value quotes the value (:func:`field_errors`).

    Any other exception is not handled (None): Django's handler500 (core.views.server_error) answers
    ``{"detail": "..."}`` with status 500."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(parse_error_message(exc))
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        from lianfang.core.views import api_csrf_failure_message  # noqa: PLC0415 (views import the apps)

        exc = exceptions.PermissionDenied(api_csrf_failure_message(), code="csrf")
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        exc = exceptions.ValidationError(field_errors(exc.detail, context))
    return drf_exception_handler(exc, context)


class BadQueryMixin:
    """APIView mixin: a query parameter or body value that cannot be understood is a 400, never a 500.

    ``BadQuery`` (core.filters) becomes ``{"<parameter>": ["<message>"]}``; a Django ValidationError
    raised while filtering (an app's own filter method) becomes ``{"detail": [...]}``; a number too
    large for the database (:func:`number_out_of_range`) becomes ``{"<name>": ["“…” is more than
    9223372036854775807, …"]}`` naming each query parameter, URL part or body field holding one.
    All with status 400.
    """

    def handle_exception(self, exc):
        if isinstance(exc, BadQuery):
            exc = exceptions.ValidationError(exc.errors)
        elif isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        else:
            exc = number_out_of_range(exc, self.request, getattr(self, "kwargs", None) or {}) or exc
        return super().handle_exception(exc)


# PostgreSQL's "<type> out of range" (SQLSTATE 22003, numeric_value_out_of_range) → the type's largest value
_PG_INTEGER_TYPES = {"smallint": 32767, "integer": 2**31 - 1, "bigint": MAX_ID}


def number_out_of_range(exc, request, url_kwargs) -> exceptions.ValidationError | None:
    """The 400 for a number the database could not take, or None when ``exc`` is not one.

    - An OverflowError (SQLite's driver: a whole number outside 64 bits, −2**63 … 2**63 − 1) names each
      query parameter, URL part or top-level body field holding such a number
      (:func:`overflowing_parameters`); when none does (e.g. date arithmetic), ``{"detail": "a number
      in the query is too large"}``.
    - A django.db.DataError from PostgreSQL's "smallint/integer/bigint out of range" names each of
      them holding a whole number outside that type (smallint: −32768 … 32767; integer: −2**31 …
      2**31 − 1); when none does, None (the number was the server's own: a 500).

    Found by the new-user trial: ``{"position": 99999999999999999999}`` answered "a number in the
    query is too large" on SQLite and a 500 on PostgreSQL, naming no field."""
    if isinstance(exc, OverflowError):
        largest = MAX_ID
    elif isinstance(exc, DataError) and getattr(exc.__cause__, "sqlstate", None) == "22003":
        words = str(exc.__cause__).split()
        largest = _PG_INTEGER_TYPES.get(words[0]) if words[1:3] == ["out", "of"] else None
        if largest is None:
            return None
    else:
        return None
    try:
        body = getattr(request, "data", None)
    except exceptions.APIException:  # a body the parsers refuse: nothing in it to name
        body = None
    errors = overflowing_parameters(request.query_params, url_kwargs, body=body, largest=largest)
    if errors:
        return exceptions.ValidationError(errors)
    if isinstance(exc, OverflowError):
        return exceptions.ValidationError({"detail": _("a number in the query is too large")})
    return None


_WHOLE_NUMBER = re.compile(r"\s*-?\d+\s*")


def _body_values(body, *, texts: bool) -> list[tuple[str, object]]:
    """``(field, value)`` for each top-level field of a request body (a dict or a QueryDict) whose value
    is a whole JSON number (not a boolean), or with ``texts`` also a string; nothing for any other body.
    Strings count only for a 64-bit overflow: against a smaller type (PostgreSQL's smallint) a division
    code such as "620103001001001" would read as the culprit."""
    if not hasattr(body, "items"):
        return []
    getlist = getattr(body, "getlist", None)
    values = [(name, value) for name in body for value in (getlist(name) if getlist else [body[name]])]
    return [
        (name, v)
        for name, v in values
        if (texts and isinstance(v, str)) or (isinstance(v, int) and not isinstance(v, bool))
    ]


def overflowing_parameters(query, url_kwargs, *, body=None, largest: int = MAX_ID) -> dict[str, list[str]]:
    """The parameters that can explain an overflow: each query parameter (``query``, a QueryDict), URL
    part (``url_kwargs``, the view's ``kwargs``) or top-level field of a request ``body``
    (:func:`_body_values`: JSON numbers, and strings for a 64-bit ``largest``) whose value, or one
    item of its comma-separated list, is a whole number outside −``largest`` − 1 … ``largest``
    (default a 64-bit integer, −2**63 … 2**63 − 1: SQLite's INTEGER, PostgreSQL's bigint; the
    database driver overflows past it), as ``{"<name>": ["<message>"]}`` with
    core.fielderrors.value_message's "“…” is more than 9223372036854775807, the largest value
    allowed." (the value quoted by core.pii.quoted: runs of 7+ digits masked). Empty when no value is
    such a number: the overflow came from elsewhere (e.g. date arithmetic on a number in range), and
    the caller keeps its message without a name."""
    values = [(name, value) for name in query for value in query.getlist(name)]
    values += [(name, value) for name, value in url_kwargs.items() if isinstance(value, str)]
    values += _body_values(body, texts=largest >= MAX_ID)
    errors: dict[str, list[str]] = {}
    for name, value in values:
        for item in str(value).split(","):
            if not _WHOLE_NUMBER.fullmatch(item):
                continue
            number = int(item)
            if -largest - 1 <= number <= largest:
                continue
            code, limit = ("max_value", largest) if number > 0 else ("min_value", -largest - 1)
            message = value_message(code, value=item.strip(), kind="integer", limit=limit)
            errors.setdefault(name, []).append(message)
    return errors


class ScopedViewSetMixin(BadQueryMixin):
    """Viewset mixin: rows always come from ``queryset.visible_to(request.user)``.

    ``queryset`` must be a ScopedQuerySet (``Model.objects.select_related(...)``); an out-of-scope
    detail URL returns 404 because the row is not in the queryset. Bad query parameters are 400
    (see BadQueryMixin).
    """

    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only scoped viewset (list + retrieve)."""
