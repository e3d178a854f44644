from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "lianfang.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        """Navigation entries (overview, daily report) and the cache invalidation: every write of the
        apps the reports read bumps their cached aggregates (lianfang.reports.cache)."""
        from lianfang.core.navigation import NavItem, register  # noqa: PLC0415
        from lianfang.reports import cache  # noqa: PLC0415
        from lianfang.reports.views import has_reports  # noqa: PLC0415

        register(NavItem("reports:overview", _("Overview"), order=10, visible=has_reports))
        register(NavItem("reports:daily", _("Daily report"), order=11, visible=has_reports))
        cache.connect()
