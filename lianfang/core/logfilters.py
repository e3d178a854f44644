"""Logging filters that keep personal data out of log files.

``StripQueryString`` is wired on the ``django.server`` logger (runserver's request log, used by
``make demo``) in ``lianfang/settings.py`` LOGGING: searches such as ``/registry/search/?q=<ID number>``
put full ID and phone numbers in the query string. ``make serve`` leaves query strings out of
gunicorn's access log the same way (Makefile ACCESS_LOG_FORMAT).
"""

from __future__ import annotations

import logging
import re

# A path followed by its query string, inside a request line ("GET /a/?q=1 HTTP/1.1") or an error
# message quoting one ("Bad request syntax ('GET /a/?q=1')"): the query runs to a space or a quote.
_QUERY = re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*")


# Paths whose segment after the prefix is a bearer token (a household's link, a pass or a checkpoint
# code, a notice link): whoever holds the URL can use it, so a log line keeps the route, not the token.
_TOKEN_PATH = re.compile(r"(/(?:assistance/(?:r|gate)|fieldops/(?:p|h|n))/)[^/\s?'\"]+")


def strip_query(text: str) -> str:
    """``text`` with every URL query string removed and every link token hidden:
    ``"GET /s/?q=620103 HTTP/1.1"`` → ``"GET /s/ HTTP/1.1"``; ``/assistance/r/dhHyF…/new/`` →
    ``/assistance/r/***/new/`` (the token routes of assistance and fieldops)."""
    return _TOKEN_PATH.sub(r"\1***", _QUERY.sub(r"\1", text))


class StripQueryString(logging.Filter):
    """Remove query strings from a record's message and string arguments; never drops a record.

    runserver (django/core/servers/basehttp.py ``WSGIRequestHandler.log_message``) logs
    ``msg='"%s" %s %s'`` with ``args=(request_line, status, size)``; its error lines are
    ``"code %d, message %s"``. Both are rewritten in place, so every handler prints the stripped text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = strip_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(strip_query(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: strip_query(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


class NoClientErrorTraceback(logging.Filter):
    """Drop the traceback from a ``django.request`` record of a 4xx answer; never drops a record.

    Django logs a refused request (``PermissionDenied`` → 403, ``SuspiciousOperation`` → 400) as a
    warning with the exception attached (django/utils/log.py ``log_response(exception=…)``), so every
    403 printed a full stack trace in ``make demo``'s console though nothing went wrong on the server.
    The one-line warning ("Forbidden (Permission denied): /registry/io/") stays; 5xx keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True
