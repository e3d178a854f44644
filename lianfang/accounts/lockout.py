"""Sign-in lockout (django-axes): after ``AXES_FAILURE_LIMIT`` wrong passwords for one user name from
one network address, that pair may not sign in until ``AXES_COOLOFF_TIME`` has passed since the last
counted failure (settings; docs/accounts.md). Every password sign-in passes through it: the site's
login page, the admin's and any ``authenticate(request=...)`` call.

- :class:`LockoutBackend`: the first authentication backend (axes' check, no sign-in of its own).
- :func:`lockout_response`: ``AXES_LOCKOUT_CALLABLE``: status 429 with ``Retry-After`` (seconds), the
  login form shown again with the translated message naming the local time to try again, or
  ``{"detail": "..."}`` for a JSON caller.
- :func:`audit_lockout`: the ``user_locked_out`` receiver: one audit entry when a lockout starts.
"""

from __future__ import annotations

import datetime as dt
import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.forms.forms import NON_FIELD_ERRORS
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class LockoutBackend(AxesStandaloneBackend):
    """axes' lockout check as the first of ``AUTHENTICATION_BACKENDS``: a locked-out user name and
    address pair is refused before any password is checked (the following ModelBackend signs in).

    A call without a request (Django's test ``Client.login()``, a shell) is not checked here: it
    comes from code on the server, not from a sign-in form, and axes could neither count nor refuse
    it (its own backend raises AxesBackendRequestParameterRequired)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_until(request, credentials: dict | None = None) -> dt.datetime | None:
    """When the lockout of ``request``'s user name and address ends (aware, UTC): the last counted
    failure plus the cool-off; None when no failure is on record (the cool-off is then from now)."""
    cool_off = get_cool_off(request)
    latest = None
    for attempts in AxesProxyHandler.get_implementation().get_user_attempts(request, credentials):
        for moment in attempts.values_list("attempt_time", flat=True):
            latest = moment if latest is None or moment > latest else latest
    if cool_off is None:
        return None
    return (latest or timezone.now()) + cool_off


def lockout_message(until: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """The translated lockout message: too many failed sign-ins, and when to try again — the local
    time (settings.TIME_ZONE) and the minutes left, rounded up ("Try again after 14:35 (in 15
    minutes)."); the date too when ``until`` is on another local day than ``now``."""
    if until is None:
        return _("Too many failed sign-ins with this user name from your network address. Ask an administrator.")
    now = now or timezone.now()
    local, today = timezone.localtime(until), timezone.localtime(now).date()
    shown = date_format(local, "H:i") if local.date() == today else date_format(local, "Y-m-d H:i")
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return ngettext(
        "Too many failed sign-ins with this user name from your network address: signing in is locked. "
        "Try again after %(time)s (in %(minutes)d minute).",
        "Too many failed sign-ins with this user name from your network address: signing in is locked. "
        "Try again after %(time)s (in %(minutes)d minutes).",
        minutes,
    ) % {"time": shown, "minutes": minutes}


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """``AXES_LOCKOUT_CALLABLE``: the answer to a locked-out sign-in, status 429 with ``Retry-After``
    (whole seconds until the lockout ends, at least 1).

    A login page (a TemplateResponse with a ``form``: the site's or the admin's) is rendered again
    with the form's error replaced by :func:`lockout_message` (and ``lockout`` in the context, which
    accounts/login.html shows); anything else (a JSON caller) gets ``{"detail": message}``."""
    now = timezone.now()
    until = locked_until(request, credentials)
    message = lockout_message(until, now)
    seconds = max(1, math.ceil((until - now).total_seconds())) if until else None
    context = getattr(original_response, "context_data", None) or {}
    if isinstance(original_response, TemplateResponse) and context.get("form") is not None:
        form = context["form"]
        form.errors[NON_FIELD_ERRORS] = form.error_class([message], renderer=form.renderer)
        original_response.context_data = {**context, "lockout": message}
        original_response.content = original_response.rendered_content
        response = original_response
    else:
        response = JsonResponse({"detail": message})
    response.status_code = settings.AXES_HTTP_RESPONSE_CODE
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def audit_lockout(sender, request, username, ip_address, **kwargs):
    """``axes.signals.user_locked_out`` receiver: audit ``login_locked`` when a lockout starts (the
    failure that reached the limit), not for each refused try during it. Under the user's primary
    division (their division's commanders read it), or the district for an unknown user name;
    detail: the user name, the network address, the failures counted and the local end time."""
    if getattr(request, "axes_failures_since_start", None) is None:  # a try refused during the lockout
        return
    from lianfang.accounts.models import User  # noqa: PLC0415 (models load after the apps)
    from lianfang.accounts.selectors import primary_assignment  # noqa: PLC0415
    from lianfang.core import audit  # noqa: PLC0415

    user = User.objects.filter(username=username).first() if username else None
    assignment = primary_assignment(user) if user else None
    until = locked_until(request)
    audit.record(
        actor=None,
        action="login_locked",
        obj=user,
        division_code=assignment.division.code if assignment else settings.LIANFANG_DISTRICT_CODE,
        detail={
            "user": username or get_client_username(request) or "",
            "ip_address": ip_address or "",
            "failures": request.axes_failures_since_start,
            "until": until.isoformat() if until else "",
        },
    )
