from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "lianfang.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from lianfang.accounts.roles import Capability  # noqa: PLC0415
        from lianfang.core.navigation import NavItem, register  # noqa: PLC0415

        register(NavItem("core:audit_log", _("Audit log"), order=90, capability=Capability.VIEW_AUDIT))
