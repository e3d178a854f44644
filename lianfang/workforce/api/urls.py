from django.urls import path
from rest_framework.routers import SimpleRouter

from lianfang.workforce.api.views import (
    AssignmentViewSet,
    CoverageView,
    DeploymentViewSet,
    TeamViewSet,
    WorkerViewSet,
)

router = SimpleRouter()
router.register("workers", WorkerViewSet, basename="worker")
router.register("teams", TeamViewSet, basename="team")
router.register("deployments", DeploymentViewSet, basename="deployment")
router.register("assignments", AssignmentViewSet, basename="assignment")
urlpatterns = [*router.urls, path("coverage/", CoverageView.as_view(), name="coverage")]
