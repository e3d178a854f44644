from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldopsConfig(AppConfig):
    """Field operations (一线工作)."""

    name = "lianfang.fieldops"
    label = "fieldops"
    verbose_name = _("Field operations")

    def ready(self):
        """Navigation entries; the close-contact evidence provider for zones (the last close contact's
        exposure and tests, for lifting an area); the gate alert for emergencies and the notices on a
        household's QR page (assistance hooks)."""
        from lianfang.core.navigation import NavItem, register  # noqa: PLC0415
        from lianfang.fieldops import adapters, selectors  # noqa: PLC0415
        from lianfang.fieldops.services.gates import on_emergency  # noqa: PLC0415
        from lianfang.zones import evidence  # noqa: PLC0415

        register(NavItem("fieldops:index", _("Field work"), order=60))
        evidence.register_contact_provider(selectors.contact_evidence)
        adapters.register_emergency_listener(on_emergency)
        adapters.register_household_notice_provider(selectors.household_notices)
