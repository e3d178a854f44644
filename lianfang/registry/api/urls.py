from rest_framework.routers import SimpleRouter

from lianfang.registry.api.views import HouseholdViewSet, ResidentViewSet

router = SimpleRouter()
router.register("households", HouseholdViewSet, basename="household")
router.register("residents", ResidentViewSet, basename="resident")
urlpatterns = router.urls
