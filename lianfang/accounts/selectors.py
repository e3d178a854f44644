"""Reads about users: active role assignments and capabilities."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import CAPABILITY_PHRASES, ROLE_CAPABILITIES


def active_assignments(user, *, on: dt.date | None = None) -> list:
    """The user's role assignments valid on ``on`` (default: today in the district's time zone).

    Cached on the user object per day; returns a list of RoleAssignment with ``division`` loaded.
    """
    from lianfang.accounts.models import RoleAssignment  # noqa: PLC0415

    if user is None or not getattr(user, "is_authenticated", False):
        return []
    day = on or timezone.localdate()
    cache = getattr(user, "_lianfang_assignments", None)
    if cache is not None and cache[0] == day:
        return cache[1]
    rows = list(
        RoleAssignment.objects.filter(user=user, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("division")
        .order_by("division__code", "role")
    )
    user._lianfang_assignments = (day, rows)
    return rows


def can(user, capability: str, code: str | None = None) -> bool:
    """True when ``user`` has ``capability`` through a role assigned at or above division ``code``.

    ``code=None`` asks whether any assignment grants it. Superusers can do everything.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    for assignment in active_assignments(user):
        if capability not in ROLE_CAPABILITIES.get(assignment.role, ()):
            continue
        if code is None or code.startswith(assignment.division.code):
            return True
    return False


def denied_message(capability: str, code: str | None, what=None) -> str:
    """The sentence a refused user reads, in the active language, e.g. "You may not declare and lift
    control areas in 东岗街道 › 某社区." / "您无权在东岗街道 › 某社区划定和解除管控区域。"

    The capability is a lower-case phrase (roles.CAPABILITY_PHRASES), or ``what`` when the refused act
    has its own (a lower-case phrase: "record infections", "close daily reports"); the division its
    path below the district (divisions.selectors.place_name; "" is the whole city); the user's display
    name and the raw code are left out. One query.
    """
    from lianfang.divisions.models import Level  # noqa: PLC0415
    from lianfang.divisions.selectors import place_name  # noqa: PLC0415

    phrase = what or CAPABILITY_PHRASES.get(capability) or _("do this")
    place = place_name(code or "", below=Level.DISTRICT)
    return _("You may not %(what)s in %(place)s.") % {"what": phrase, "place": place}


def require(actor, capability: str, code: str, what=None) -> None:
    """Raise PermissionDenied(:func:`denied_message`, naming ``what`` was refused when given) unless
    ``actor`` has ``capability`` at division ``code``; ``actor=None`` (the system) always passes. Rule
    source: roles.ROLE_CAPABILITIES via :func:`can`.
    """
    if actor is None:
        return
    if not can(actor, capability, code):
        raise PermissionDenied(denied_message(capability, code, what))


def primary_assignment(user):
    """The user's widest active assignment (shortest division code), or None."""
    rows = active_assignments(user)
    return min(rows, key=lambda a: (len(a.division.code), a.role)) if rows else None


def has_division_scope(user) -> bool:
    """True when ``user`` sees a division subtree (a superuser, or an active role other than household
    representative, whose rows come from their households only): pages of a division (sheets, grids,
    reports) open for them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or any(a.grants_subtree for a in active_assignments(user))


def demo_places(district) -> dict:
    """Where the demo logins work: ``{"district", "street", "community", "compound", "site"}`` — the
    first street of ``district`` by code, its first community, and that community's first compound
    (the community itself when it has none); ``site``, where the demo round's sampling site stands
    (demo.services): the first compound of the street's second community (that community itself when
    it has none; the ``compound`` when the street has one community). Raises LookupError when no
    street or community is loaded."""
    from lianfang.divisions.models import Division, Level  # noqa: PLC0415

    street = Division.objects.filter(parent=district).order_by("code").first()
    community = Division.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code").first()
    if street is None or community is None:
        raise LookupError(f"district {district.code} has no streets/communities loaded")
    compound = Division.objects.filter(parent=community, level=Level.COMPOUND).order_by("code").first()
    compound = compound or community
    other = Division.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code")[1:2].first()
    site = compound
    if other is not None:
        site = Division.objects.filter(parent=other, level=Level.COMPOUND).order_by("code").first() or other
    return {"district": district, "street": street, "community": community, "compound": compound, "site": site}
