"""The display names of the demo users (``manage.py create_demo_users``), in both languages.

The database keeps the zh-Hans name (``网格员（演示）``: the default language, what the audit log's
"by" filter matches); :func:`demo_display_name` shows it in the reader's language ("Grid worker
(demo)" on an English page), so an English page never reads "Staff (网格员（演示）)". A demo user
whose display name was changed by hand keeps that name."""

from __future__ import annotations

import functools

from django.utils import translation
from django.utils.translation import pgettext_lazy

DEMO_NAMES: dict[str, object] = {
    "commander": pgettext_lazy("demo user", "Commander (demo)"),
    "street": pgettext_lazy("demo user", "Street officer (demo)"),
    "community": pgettext_lazy("demo user", "Community staff (demo)"),
    "cadre": pgettext_lazy("demo user", "Stationed cadre (demo)"),
    "grid": pgettext_lazy("demo user", "Grid worker (demo)"),
    "volunteer": pgettext_lazy("demo user", "Volunteer (demo)"),
    "desk": pgettext_lazy("demo user", "Sampling desk volunteer (demo)"),
    "representative": pgettext_lazy("demo user", "Household representative (demo)"),
    "admin": pgettext_lazy("demo user", "System administrator (demo)"),
}
"""Demo username → its display name (message context "demo user")."""


@functools.cache
def stored_demo_name(username: str) -> str:
    """The display name stored for demo user ``username``: its zh-Hans name (``"grid"`` →
    ``"网格员（演示）"``). Raises KeyError for a username that is not a demo user's."""
    with translation.override("zh-hans"):
        return str(DEMO_NAMES[username])


def demo_display_name(username: str, display_name: str) -> str | None:
    """The demo user's name in the active language when ``display_name`` is still the stored one
    (``("grid", "网格员（演示）")`` → "Grid worker (demo)" in English); None for any other user or a
    demo user renamed by hand."""
    if username not in DEMO_NAMES or display_name != stored_demo_name(username):
        return None
    return str(DEMO_NAMES[username])
