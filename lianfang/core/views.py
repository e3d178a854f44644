"""Project-level pages: the role home page and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.defaults import bad_request as default_bad_request
from django.views.defaults import page_not_found
from rest_framework.exceptions import NotFound

from lianfang.accounts.roles import Role
from lianfang.accounts.selectors import primary_assignment


@login_required
def home(request):
    """Send each role to its starting page: a household representative to their households, every
    other role to the division it is assigned to; a user with no role sees an explanation."""
    assignment = primary_assignment(request.user)
    if request.user.is_superuser and assignment is None:
        return redirect("divisions:index")
    if assignment is None:
        return render(request, "core/no_role.html", status=403)
    if assignment.role == Role.HOUSEHOLD_REPRESENTATIVE:
        return redirect("registry:my_households")
    return redirect("divisions:detail", code=assignment.division.code)


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
