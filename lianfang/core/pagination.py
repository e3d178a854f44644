"""API pagination (kept apart from core.api: DRF imports it while loading its own generics)."""

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``?page=N&page_size=M`` (M ≤ 500)."""

    page_size_query_param = "page_size"
    max_page_size = 500
