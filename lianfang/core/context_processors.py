"""Template context shared by every page: the user's roles and the navigation."""

from __future__ import annotations

from django.conf import settings


def lianfang(request):
    """Adds ``district_code``, ``user_roles`` (role labels) and ``nav_items`` (core.navigation) to every page."""
    roles, nav = [], []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from lianfang.accounts.selectors import active_assignments  # noqa: PLC0415
        from lianfang.core.navigation import items_for  # noqa: PLC0415

        roles = [a.get_role_display() for a in active_assignments(user)]
        nav = items_for(user)
    return {"district_code": settings.LIANFANG_DISTRICT_CODE, "user_roles": roles, "nav_items": nav}
