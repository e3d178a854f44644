from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lianfang.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        """The background-task app's admin name in the user's language (accounts.third_party)."""
        from lianfang.accounts.third_party import relabel  # noqa: PLC0415

        relabel()
