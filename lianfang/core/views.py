"""Project-level pages: the role home page and the health check."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.defaults import bad_request as default_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error
from rest_framework.exceptions import NotFound

from lianfang.accounts.roles import Capability, Role
from lianfang.accounts.selectors import can, denied_message, primary_assignment
from lianfang.core.filters import BadQuery, bad_query_response
from lianfang.core.pagination import PageNotFound, page_of


def home_url(user) -> str:
    """The address of ``user``'s starting page (what :func:`home` redirects to): a household
    representative's households (``/registry/households/``), the division another role is assigned to
    (``/divisions/620103001/``), the division index for a superuser without a role; ``/`` (the
    explanation page) for a signed-in user without a role, and the sign-in page for an anonymous one.
    Raises nothing. Used where a page links "home" without a redirect through ``/`` (the 405 page)."""
    if not user.is_authenticated:
        return resolve_url(settings.LOGIN_URL)
    assignment = primary_assignment(user)
    if assignment is None:
        return reverse("divisions:index") if user.is_superuser else reverse("home")
    if assignment.role == Role.HOUSEHOLD_REPRESENTATIVE:
        return reverse("registry:my_households")
    return reverse("divisions:detail", kwargs={"code": assignment.division.code})


@login_required
def home(request):
    """Send each role to its starting page (:func:`home_url`): a household representative to their
    households, every other role to the division it is assigned to; a user with no role sees an
    explanation."""
    url = home_url(request.user)
    if url == reverse("home"):
        return render(request, "core/no_role.html", status=403)
    return redirect(url)


def healthz(request):
    """Liveness and database check for load balancers: ``ok`` with 200, or 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 (any database failure means unhealthy)
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def not_found(request, exception=None):
    """The 404 handler (``handler404``): under ``/api/`` the API's JSON ``{"detail": "Not found."}``
    (translated), so an unknown API route answers like an unknown id; elsewhere the 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    if isinstance(exception, PageNotFound):  # names the page asked for and the last page
        return render(request, "404.html", {"message": str(exception)}, status=404)
    return page_not_found(request, exception)


def megabytes(size: int) -> str:
    """``size`` bytes as the limits are stated: ``2621440`` → ``"2.5 MB"``, ``209715200`` → ``"200 MB"``."""
    return f"{size / 2**20:g} MB"


def bad_request(request, exception=None):
    """The 400 handler (``handler400``). A request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    (Django raises RequestDataTooBig when the form or body is read) answers 413 naming the limit:
    under ``/api/`` JSON ``{"detail": "..."}``, elsewhere the 413 page, which also says that files
    go through the registry import upload (its own limit, registry.io_views.MAX_UPLOAD_BYTES: file
    contents do not count toward the 2.5 MB). Any other bad request is Django's 400 page."""
    if isinstance(exception, BadQuery):
        return bad_query_response(request, exception.errors)
    if not isinstance(exception, RequestDataTooBig):
        return default_bad_request(request, exception)
    detail = _("The request is larger than the %(limit)s limit: send less at once.") % {
        "limit": megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=413)
    from lianfang.registry.io_views import MAX_UPLOAD_BYTES  # noqa: PLC0415 (core does not load apps at import)

    context = {"detail": detail, "file_limit": megabytes(MAX_UPLOAD_BYTES)}
    return render(request, "413.html", context, status=413)


def server_error_message() -> str:
    """The translated message of a server error (the 500 page's sentence, the API's ``detail``)."""
    return _("Something went wrong on our side and the error has been logged. Try again in a moment.")


def server_error(request):
    """The 500 handler (``handler500``): under ``/api/`` JSON ``{"detail": "<translated message>"}``
    (an unhandled exception in an API view reaches here too: DRF re-raises what its exception handler
    does not know), elsewhere the translated 500 page. If the page itself cannot be rendered (its
    context processors need the database that just failed), Django's plain 500 template."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": server_error_message()}, status=500)
    try:
        return render(request, "500.html", status=500)
    except Exception:  # noqa: BLE001 (the error page must not fail in turn)
        return default_server_error(request)


def csrf_failure_message() -> str:
    """What a refused form or API call (a stale or missing CSRF token) tells the reader."""
    return _(
        "The page was open too long or you signed in again elsewhere, so this form is no longer valid: "
        "reload the page and send it again."
    )


def api_csrf_failure_message() -> str:
    """What an API call refused for its CSRF token tells the caller (``{"detail": ...}``, status 403):
    a call with a browser session's cookie needs the page's CSRF token; a program uses a token."""
    return _(
        "CSRF check failed: this request uses your signed-in browser session but carries no valid CSRF "
        "token. Reload the page and try again; a program calling the API should send an access token "
        "(Authorization: Token …) instead."
    )


def csrf_failure(request, reason: str = ""):
    """The CSRF failure view (settings ``CSRF_FAILURE_VIEW``), status 403: under ``/api/`` JSON
    ``{"detail": ...}`` (:func:`api_csrf_failure_message`), elsewhere the site's translated error page
    telling the reader to reload the page and send again (never Django's unstyled English page).
    ``reason`` (Django's English diagnosis, e.g. "CSRF token from POST incorrect.") is not shown."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": api_csrf_failure_message()}, status=403)
    return render(request, "csrf_failure.html", {"message": csrf_failure_message()}, status=403)


AUDIT_PAGE_SIZE = 50


@login_required
def audit_log(request):
    """The audit log for the command centre: read-only, newest first, 50 a page, only entries whose
    ``division_code`` lies in the reader's scope (``AuditEntry.objects.visible_to``); needs the
    VIEW_AUDIT capability (the district commander), else 403. Filters (core.forms.AuditFilterForm):
    ``action``, ``object_type`` (what the entry is about), ``actor`` (name contains), ``date`` (local
    day); a bad value is a 400 naming it.
    Actions and the keys of each entry's detail are shown by their translated labels
    (core.audit_labels), times (the entry's and those in its detail) in local time
    (settings.TIME_ZONE); the detail is stored masked (core.audit), so no full ID or phone number is
    shown; a division object is named with its code and a resident by the masked name and number
    (core.audit_labels.object_names), division codes in the detail by name and code
    (division_names, one query a page), a reason code
    such as ``import_report`` or a ticket's ``accepted`` by its label (reason_label), code values in
    the detail (a status, a category …) by their model field's labels (detail_items). ``rows``:
    ``[(entry, action label, object label, object name or "", reason, [(detail label, value)])]``."""
    from lianfang.core.audit_labels import (  # noqa: PLC0415
        action_choices,
        action_label,
        detail_items,
        division_names,
        object_names,
        reason_label,
    )
    from lianfang.core.filters import bad_query_response, form_errors  # noqa: PLC0415
    from lianfang.core.forms import AuditFilterForm  # noqa: PLC0415
    from lianfang.core.models import AuditEntry  # noqa: PLC0415

    if not can(request.user, Capability.VIEW_AUDIT):
        assignment = primary_assignment(request.user)  # "not in 西园街道", never "not in the whole city"
        raise PermissionDenied(denied_message(Capability.VIEW_AUDIT, assignment.division.code if assignment else ""))
    entries = AuditEntry.objects.visible_to(request.user)
    codes = entries.order_by().values_list("action", flat=True).distinct()
    types = entries.exclude(object_type="").order_by().values_list("object_type", flat=True).distinct()
    object_types = sorted(((t, _object_label(t)) for t in types), key=lambda pair: pair[1])
    form = AuditFilterForm(request.GET or None, actions=action_choices(codes), object_types=object_types)
    if form.is_bound and not form.is_valid():
        return bad_query_response(request, form_errors(form))
    data = form.cleaned_data if form.is_bound else {}
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("object_type"):
        entries = entries.filter(object_type=data["object_type"])
    if data.get("actor"):
        who = data["actor"]
        entries = entries.filter(Q(actor__username__icontains=who) | Q(actor__display_name__icontains=who))
    if data.get("date"):
        day = data["date"]
        start = timezone.make_aware(dt.datetime(day.year, day.month, day.day))
        entries = entries.filter(
            at__gte=start, at__lt=timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
        )
    page = page_of(request, entries.select_related("actor").order_by("-at", "-id"), AUDIT_PAGE_SIZE)
    names = object_names(page)
    divisions = division_names(page)
    rows = [
        (
            entry,
            action_label(entry.action),
            _object_label(entry.object_type),
            names.get((entry.object_type, entry.object_id), ""),
            reason_label(entry.reason, entry.object_type, entry.action),
            detail_items(entry.detail, entry.object_type, divisions),
        )
        for entry in page
    ]
    return render(request, "core/audit_log.html", {"form": form, "page": page, "rows": rows})


def _object_label(object_type: str) -> str:
    """core.audit_labels.object_type_label (imported late: core's models import the labels)."""
    from lianfang.core.audit_labels import object_type_label  # noqa: PLC0415

    return object_type_label(object_type)
