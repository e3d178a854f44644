from rest_framework.routers import SimpleRouter

from lianfang.registry.api.views import HouseholdViewSet, ResidentViewSet
from lianfang.registry.io_views import ImportBatchViewSet

router = SimpleRouter()
router.register("households", HouseholdViewSet, basename="household")
router.register("residents", ResidentViewSet, basename="resident")
router.register("registry-imports", ImportBatchViewSet, basename="registry-import")
urlpatterns = router.urls
