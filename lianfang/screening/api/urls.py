from django.urls import path
from rest_framework.routers import SimpleRouter

from lianfang.screening.api import views

router = SimpleRouter()
router.register("screening/rounds", views.RoundViewSet, basename="screening-round")
router.register("screening/sites", views.SiteViewSet, basename="screening-site")
router.register("screening/desks", views.DeskViewSet, basename="screening-desk")
router.register("screening/tasks", views.TaskViewSet, basename="screening-task")
router.register("screening/tubes", views.TubeViewSet, basename="screening-tube")
router.register("screening/samples", views.SampleViewSet, basename="screening-sample")
router.register("screening/results", views.LabResultViewSet, basename="screening-result")
router.register("screening/held-results", views.ResultExceptionViewSet, basename="screening-held-result")
router.register("screening/follow-ups", views.FollowUpViewSet, basename="screening-follow-up")
# desk submissions (POST) skip DRF in the usual case; the router's route stays for GET and the schema
urlpatterns = [path("screening/samples/", views.sample_submit, name="screening-sample-list"), *router.urls]
