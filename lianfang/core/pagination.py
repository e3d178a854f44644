"""API pagination (kept apart from core.api: DRF imports it while loading its own generics)."""

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``?page=N&page_size=M`` (1 ≤ M ≤ 500).

    A ``page_size`` that is not a whole number from 1 to 500 is a 400 naming it (``{"page_size":
    ["…"]}``), never silently replaced by the default or clamped. A ``page`` that is not a whole
    number from 1 up (``abc``, ``0``, ``-1``) is a 400 ``{"page": ["…"]}`` naming the value; a
    page past the last is a 404 ``{"detail": "…"}`` naming the page asked for and the last page
    (an empty list has one, empty, page 1). ``page=last`` is the last page (DRF's convention)."""

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

    def get_page_number(self, request, paginator):
        """The page asked for as an int ≥ 1 (``page`` absent or empty: 1; ``last``: the last page).

        Raises ValidationError (400) ``{"page": [...]}`` naming the value if it is not a whole
        number from 1 up."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw == "":
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and int(text) >= 1):
            raise ValidationError(
                {
                    self.page_query_param: [
                        _("“%(value)s” is not a page number (a whole number from 1 up)") % {"value": raw[:40]}
                    ]
                }
            )
        return int(text)

    def paginate_queryset(self, queryset, request, view=None):
        """DRF's, with the out-of-range page answered as a 404 naming the page and the last page."""
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage:
            raise NotFound(
                _("There is no page %(page)d (the “page” parameter): the last page is %(last)d.")
                % {"page": page_number, "last": paginator.num_pages}
            ) from None
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)


class PageNotFound(Http404):
    """A page number past the last page of a list page; core.views.not_found shows its message."""


def page_of(request, object_list, per_page: int, name: str = "page"):
    """The Django ``Page`` of ``object_list`` (``per_page`` rows a page) that ``request.GET[name]`` asks for.

    Absent or empty: page 1; ``last``: the last page. A value that is not a whole number from 1 up
    raises core.filters.BadQuery (400 page naming the parameter and value); a page past the last
    raises :class:`PageNotFound` (404 page naming the page asked for and the last page), like the
    API's :class:`StandardPagination` — never silently page 1 or the last page."""
    from lianfang.core.filters import BadQuery  # noqa: PLC0415 (filters imports the apps' scoping)

    paginator = Paginator(object_list, per_page)
    raw = request.GET.get(name) or ""
    text = raw.strip()
    if not text:
        return paginator.page(1)
    if text == "last":
        return paginator.page(paginator.num_pages)
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        message = _("“%(value)s” is not a page number (a whole number from 1 up)") % {"value": raw[:40]}
        raise BadQuery({name: [message]}, {name: _("Page")})
    try:
        return paginator.page(int(text))
    except InvalidPage:
        raise PageNotFound(
            _("There is no page %(page)d (the “page” parameter): the last page is %(last)d.")
            % {"page": int(text), "last": paginator.num_pages}
        ) from None
