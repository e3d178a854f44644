from django.urls import path

from lianfang.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.index, name="index"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/coverage/", views.coverage, name="coverage"),
    path("rounds/<int:pk>/tasks/", views.tasks, name="tasks"),
    path("members/<int:pk>/exempt/", views.member_exempt, name="member_exempt"),
    path("missed/", views.missed_repeatedly, name="missed"),
    path("<str:kind>/<int:pk>/sample/", views.station, name="station"),
    path("<str:kind>/<int:pk>/submit/", views.station_submit, name="station_submit"),
    path("<str:kind>/<int:pk>/search/", views.station_search, name="station_search"),
    path("households/<int:pk>/qr.svg", views.household_qr, name="household_qr"),
    path("results/", views.results, name="results"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="follow_up"),
    path("advisor/", views.pool_advisor, name="advisor"),
]
