from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    name = "lianfang.zones"
    label = "zones"
    verbose_name = _("Control areas")

    def ready(self):
        from lianfang.core.navigation import NavItem, register  # noqa: PLC0415

        register(NavItem("zones:index", _("Control areas"), order=30))
