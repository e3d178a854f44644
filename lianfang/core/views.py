"""Project-level pages: the role home page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
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
