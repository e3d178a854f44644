"""Shared API pieces: the scoped viewset base and the 400 for bad query parameters."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from lianfang.core.filters import BadQuery


def exception_handler(exc, context):
    """DRF's exception handler (settings ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``), except that a
    Django ``Http404`` answers DRF's translated "Not found." instead of the ORM's English message
    ("No Household matches the given query."), which also named the model of an out-of-scope id."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class BadQueryMixin:
    """APIView mixin: a query parameter that cannot be understood is a 400, never a 500.

    ``BadQuery`` (core.filters) becomes ``{"<parameter>": ["<message>"]}``; a Django ValidationError
    raised while filtering (an app's own filter method) becomes ``{"detail": [...]}``; an
    OverflowError (a number too large for the database driver, e.g. an id past 2**63 − 1 on SQLite)
    becomes ``{"detail": "..."}``. All with status 400.
    """

    def handle_exception(self, exc):
        if isinstance(exc, BadQuery):
            exc = exceptions.ValidationError(exc.errors)
        elif isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        elif isinstance(exc, OverflowError):
            exc = exceptions.ValidationError({"detail": _("a number in the query is too large")})
        return super().handle_exception(exc)


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
