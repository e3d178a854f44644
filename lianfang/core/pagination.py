"""API pagination (kept apart from core.api: DRF imports it while loading its own generics)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``?page=N&page_size=M`` (1 ≤ M ≤ 500).

    A ``page_size`` that is not a whole number from 1 to 500 is a 400 naming it (``{"page_size":
    ["…"]}``), never silently replaced by the default or clamped; an unknown ``page`` is DRF's 404."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= self.max_page_size):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("“%(value)s” is not a page size (a whole number from 1 to %(max)d)")
                        % {"value": raw[:40], "max": self.max_page_size}
                    ]
                }
            )
        return int(text)
