"""Navigation entries contributed by each app (so no app edits the shared base template)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    """A top-bar link: ``url_name`` (reversible without arguments), translated ``label``, ``order``,
    the capability a user needs to see it (None: any signed-in user with a role), and ``visible``, a
    predicate ``visible(user) -> bool`` for pages that only open for some scopes (None: always), so
    no user is shown a link that answers 403 or 404."""

    url_name: str
    label: object
    order: int = 50
    capability: str | None = None
    visible: Callable | None = None


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    """Add ``item`` once (call from ``AppConfig.ready``)."""
    if item not in _items:
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def items_for(user) -> list[tuple[str, object]]:
    """``[(url, label)]`` of the entries ``user`` may see, in order.

    An entry whose URL does not resolve is logged and left out (core/tests/test_navigation.py fails on it).
    """
    from lianfang.accounts.selectors import can  # noqa: PLC0415

    result = []
    for item in _items:
        if item.capability is not None and not can(user, item.capability):
            continue
        if item.visible is not None and not item.visible(user):
            continue
        try:
            result.append((reverse(item.url_name), item.label))
        except NoReverseMatch:
            logger.error("navigation entry %s does not resolve", item.url_name)
    return result


def all_items() -> list[NavItem]:
    """Every registered entry (for tests)."""
    return list(_items)
