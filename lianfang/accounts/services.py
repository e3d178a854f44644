"""Writes to accounts: users and role assignments (audited)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from lianfang.accounts.models import RoleAssignment, User
from lianfang.core import audit


def role_assignment_create(
    *, actor, user: User, role: str, division, starts_on: dt.date, ends_on: dt.date | None = None
) -> RoleAssignment:
    """Give ``user`` ``role`` over ``division`` from ``starts_on`` (inclusive) to ``ends_on`` (inclusive/None).

    Idempotent for the same (user, role, division, starts_on). Raises IntegrityError when ``ends_on`` is
    before ``starts_on`` (database constraint).
    """
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, division=division, starts_on=starts_on, defaults={"ends_on": ends_on}
        )
        if created:
            audit.record(
                actor=actor,
                action="create",
                obj=assignment,
                division_code=division.code,
                detail={"user": user.username, "role": role},
            )
    return assignment


def demo_user_ensure(
    *, actor, username: str, display_name: str, password: str, role: str | None, division, superuser: bool = False
) -> User:
    """Create or refresh a demo user (password reset to ``password``) with one role over ``division``."""
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=username, defaults={"display_name": display_name})
        user.display_name = display_name
        user.set_password(password)
        user.is_staff = user.is_superuser = superuser
        user.save()
        if role:
            role_assignment_create(actor=actor, user=user, role=role, division=division, starts_on=dt.date(2022, 3, 1))
    return user
