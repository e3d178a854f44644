"""Root URL configuration: pages per app, the API under /api/v1/, the admin, i18n switching."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from lianfang.core import views as core_views

# The sampling desk's submission endpoint is the hottest URL at peak (docs/benchmarks.md): the API is
# resolved before the pages and screening first within it. Prefixes are disjoint, so order is not meaning.
api_patterns = [
    path("", include("lianfang.screening.api.urls")),
    path("", include("lianfang.divisions.api.urls")),
    path("", include("lianfang.registry.api.urls")),
    path("", include("lianfang.workforce.api.urls")),
    path("", include("lianfang.zones.api.urls")),
    path("", include("lianfang.assistance.api.urls")),
    path("", include("lianfang.fieldops.api.urls")),
    path("", include("lianfang.reports.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]

urlpatterns = [
    path("api/v1/", include((api_patterns, "api"), namespace="api")),
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("lianfang.accounts.urls")),
    path("divisions/", include("lianfang.divisions.urls")),
    path("registry/", include("lianfang.registry.urls")),
    path("workforce/", include("lianfang.workforce.urls")),
    path("zones/", include("lianfang.zones.urls")),
    path("screening/", include("lianfang.screening.urls")),
    path("assistance/", include("lianfang.assistance.urls")),
    path("fieldops/", include("lianfang.fieldops.urls")),
    path("reports/", include("lianfang.reports.urls")),
    path("audit/", include("lianfang.core.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "lianfang.core.views.bad_request"
handler404 = "lianfang.core.views.not_found"
handler500 = "lianfang.core.views.server_error"
