from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "lianfang.registry"
    label = "registry"
    verbose_name = _("Household registry")

    def ready(self):
        from lianfang.registry.io_views import register_navigation

        register_navigation()
