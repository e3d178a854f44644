from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _round_evidence(*, codes, until):
    """Zones round-evidence provider: the last whole-area round covering ``codes`` (screening.selectors)."""
    from lianfang.screening.selectors import last_whole_area_round  # noqa: PLC0415

    return last_whole_area_round(codes=codes, until=until)


class ScreeningConfig(AppConfig):
    name = "lianfang.screening"
    label = "screening"
    verbose_name = _("Testing rounds")

    def ready(self):
        from lianfang.core.navigation import NavItem, register  # noqa: PLC0415

        register(NavItem("screening:index", _("Testing rounds"), order=40))
        try:
            from lianfang.zones import evidence  # noqa: PLC0415
        except ImportError:  # the zones app is not installed
            return
        evidence.register_round_provider(_round_evidence)
