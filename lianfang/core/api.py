"""Shared API pieces: the scoped viewset base."""

from __future__ import annotations

from rest_framework import viewsets


class ScopedViewSetMixin:
    """Viewset mixin: rows always come from ``queryset.visible_to(request.user)``.

    ``queryset`` must be a ScopedQuerySet (``Model.objects.select_related(...)``); an out-of-scope
    detail URL returns 404 because the row is not in the queryset.
    """

    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only scoped viewset (list + retrieve)."""
