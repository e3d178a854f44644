from rest_framework.routers import SimpleRouter

from lianfang.divisions.api.views import DivisionViewSet

router = SimpleRouter()
router.register("divisions", DivisionViewSet, basename="division")
urlpatterns = router.urls
