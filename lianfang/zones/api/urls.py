from rest_framework.routers import SimpleRouter

from lianfang.zones.api.views import ControlAreaViewSet, InfectionViewSet, RuleSetViewSet

router = SimpleRouter()
router.register("rule-sets", RuleSetViewSet, basename="rule-set")
router.register("infections", InfectionViewSet, basename="infection")
router.register("control-areas", ControlAreaViewSet, basename="control-area")
urlpatterns = router.urls
