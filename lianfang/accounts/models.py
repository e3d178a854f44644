"""Users and their role assignments to divisions (角色分配)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lianfang.accounts.roles import SUBTREE_ROLES, Role
from lianfang.core.scoping import ScopedManager


class User(AbstractUser):
    """A person who signs in. ``display_name`` is shown in the interface (real name, 姓名); a demo
    user's stored name in the reader's language (accounts.demo_names)."""

    display_name = models.CharField(_("display name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        from lianfang.accounts.demo_names import demo_display_name  # noqa: PLC0415

        return demo_display_name(self.username, self.display_name) or self.display_name or self.username


class RoleAssignment(models.Model):
    """User ``user`` holds ``role`` over ``division`` (and its subtree) from ``starts_on`` to ``ends_on``.

    ``ends_on`` is inclusive; NULL means open-ended. Scope is computed from the active assignments
    (lianfang.core.scoping.scope_for).
    """

    SCOPE_PATH_FIELD = "division__code"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    division = models.ForeignKey("divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="roleassignment_dates_ordered"
            ),
            models.UniqueConstraint(fields=["user", "role", "division", "starts_on"], name="roleassignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.division_id}"

    @property
    def grants_subtree(self) -> bool:
        return self.role in SUBTREE_ROLES
