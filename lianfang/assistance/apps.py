from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "lianfang.assistance"
    label = "assistance"
    verbose_name = _("Service requests and supplies")

    def ready(self):
        from lianfang.core.navigation import NavItem, register  # noqa: PLC0415

        register(NavItem("assistance:index", _("Requests"), order=40))
        register(NavItem("assistance:plans", _("Supplies"), order=41))
