from django.urls import path
from rest_framework.routers import SimpleRouter

from lianfang.fieldops.api import views

router = SimpleRouter()
router.register("fieldops/gates", views.GateViewSet, basename="fieldops-gate")
router.register("fieldops/shifts", views.DutyShiftViewSet, basename="fieldops-shift")
router.register("fieldops/checkpoints", views.CheckpointViewSet, basename="fieldops-checkpoint")
router.register("fieldops/patrols", views.PatrolRoundViewSet, basename="fieldops-patrol")
router.register("fieldops/passages", views.PassageViewSet, basename="fieldops-passage")
router.register("fieldops/people", views.ScreenedPersonViewSet, basename="fieldops-person")
router.register("fieldops/tests", views.QuarantineTestViewSet, basename="fieldops-test")
router.register("fieldops/bulk-changes", views.BulkStatusChangeViewSet, basename="fieldops-bulk")
router.register("fieldops/transfers", views.TransferOutViewSet, basename="fieldops-transfer")
router.register("fieldops/monitoring", views.HomeMonitoringViewSet, basename="fieldops-monitoring")
router.register("fieldops/check-ins", views.HealthCheckInViewSet, basename="fieldops-check-in")
router.register("fieldops/disinfection-schedules", views.DisinfectionScheduleViewSet, basename="fieldops-schedule")
router.register("fieldops/disinfection-logs", views.DisinfectionLogViewSet, basename="fieldops-disinfection-log")
router.register("fieldops/notices", views.NoticeViewSet, basename="fieldops-notice")
router.register("fieldops/alerts", views.AlertViewSet, basename="fieldops-alert")
urlpatterns = [path("fieldops/briefing/", views.BriefingView.as_view(), name="fieldops-briefing"), *router.urls]
