from django.urls import path
from rest_framework.routers import SimpleRouter

from lianfang.reports.api.views import (
    DailyCloseView,
    DailyReportViewSet,
    DailyView,
    OverviewView,
    ReportLayoutViewSet,
    TrendsView,
)

router = SimpleRouter()
router.register("reports/layouts", ReportLayoutViewSet, basename="report-layout")
router.register("reports/days", DailyReportViewSet, basename="daily-report")
urlpatterns = [
    path("reports/overview/", OverviewView.as_view(), name="reports-overview"),
    path("reports/daily/", DailyView.as_view(), name="reports-daily"),
    path("reports/daily/close/", DailyCloseView.as_view(), name="reports-daily-close"),
    path("reports/trends/", TrendsView.as_view(), name="reports-trends"),
    *router.urls,
]
