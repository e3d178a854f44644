"""Core's middleware: the translated page of a 405 (a page URL opened with the wrong method)."""

from __future__ import annotations

from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.translation import gettext as _


def method_not_allowed_message() -> str:
    """The one-line explanation of a 405 page: the address takes a form sent from another page."""
    return _("This address only takes a form sent from its page; it cannot be opened on its own.")


class MethodNotAllowedPageMiddleware:
    """Turns the empty 405 of a page URL into the site's translated error page (405.html: a
    one-line explanation and a link to the reader's own home page, core.views.home_url: a household
    representative's households, the sign-in page only for a reader not signed in), keeping
    status 405 and the ``Allow`` header. Django's
    ``require_POST`` and class-based views answer a GET of a POST-only URL (``/fieldops/gates/new/``)
    with an empty ``HttpResponseNotAllowed``, which the browser shows as a blank page. Untouched:
    anything under ``/api/`` (DRF answers JSON there), and a 405 that already has a body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 405
            or not isinstance(response, HttpResponseNotAllowed)
            or response.content
            or request.path.startswith("/api/")
        ):
            return response
        from lianfang.core.views import home_url  # noqa: PLC0415 (views import the apps; settings load this)

        context = {"message": method_not_allowed_message(), "home_url": home_url(request.user)}
        page = render(request, "405.html", context, status=405)
        page["Allow"] = response["Allow"]
        return page
