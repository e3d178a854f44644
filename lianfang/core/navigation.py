"""Navigation entries contributed by each app (so no app edits the shared base template)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """A top-bar link: ``url_name`` (reversible without arguments), translated ``label``, ``order``,
    and the capability a user needs to see it (None: any signed-in user with a role)."""

    url_name: str
    label: object
    order: int = 50
    capability: str | None = None


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    """Add ``item`` once (call from ``AppConfig.ready``)."""
    if item not in _items:
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def items_for(user) -> list[NavItem]:
    """The entries ``user`` may see, in order."""
    from lianfang.accounts.selectors import can  # noqa: PLC0415

    return [i for i in _items if i.capability is None or can(user, i.capability)]
