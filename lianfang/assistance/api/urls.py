from rest_framework.routers import SimpleRouter

from lianfang.assistance.api.views import ExitPassViewSet, ServiceRequestViewSet, SupplyPlanViewSet

router = SimpleRouter()
router.register("service-requests", ServiceRequestViewSet, basename="service-request")
router.register("exit-passes", ExitPassViewSet, basename="exit-pass")
router.register("supply-plans", SupplyPlanViewSet, basename="supply-plan")
urlpatterns = router.urls
