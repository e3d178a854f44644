from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def representative_households(user):
    """Household scope of a household representative (联户代表): the households of the active L4
    assignments of the Worker linked to ``user`` (today, in the district's time zone), as a lazy
    queryset of Household ids; None when the user is linked to no worker. One query per request."""
    from django.utils import timezone  # noqa: PLC0415

    from lianfang.workforce.models import ResponsibilityAssignment, ResponsibilityLevel, Worker  # noqa: PLC0415

    worker_id = Worker.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
    if worker_id is None:
        return None
    return (
        ResponsibilityAssignment.objects.filter(level=ResponsibilityLevel.L4, worker_id=worker_id)
        .active_on(timezone.localdate())
        .values("household_id")
    )


class WorkforceConfig(AppConfig):
    name = "lianfang.workforce"
    label = "workforce"
    verbose_name = _("Workforce and responsibility grid")

    def ready(self):
        from lianfang.accounts.roles import Capability  # noqa: PLC0415
        from lianfang.core.navigation import NavItem, register  # noqa: PLC0415
        from lianfang.core.scoping import register_household_scope_provider  # noqa: PLC0415

        register_household_scope_provider(representative_households)
        register(NavItem("workforce:index", _("Workforce"), order=30))
        register(
            NavItem("workforce:coverage", _("Responsibility grid"), order=31, capability=Capability.MANAGE_WORKFORCE)
        )
