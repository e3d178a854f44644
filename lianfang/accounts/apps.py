from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lianfang.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        """The background-task app's admin name in the user's language (accounts.third_party); a
        sign-in lockout audited (accounts.lockout.audit_lockout)."""
        from axes.signals import user_locked_out  # noqa: PLC0415

        from lianfang.accounts.lockout import audit_lockout  # noqa: PLC0415
        from lianfang.accounts.third_party import relabel  # noqa: PLC0415

        relabel()
        user_locked_out.connect(audit_lockout, dispatch_uid="lianfang.accounts.audit_lockout")
