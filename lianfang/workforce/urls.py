from django.urls import path

from lianfang.workforce import views

app_name = "workforce"
urlpatterns = [
    path("", views.index, name="index"),
    path("sheet/", views.sheet, name="sheet"),
    path("sheet/export/", views.sheet_export, name="sheet_export"),
    path("sheet/units/", views.sheet_units, name="sheet_units"),
    path("grid/", views.coverage, name="coverage"),
    path("grid/gaps/", views.gaps, name="gaps"),
    path("grid/problems/", views.problems, name="problems"),
    path("grid/proposal/", views.proposal, name="proposal"),
    path("grid/household/<int:pk>/", views.household_chain, name="household"),
    path("workers/", views.workers, name="workers"),
    path("workers/<int:pk>/", views.worker_detail, name="worker"),
    path("workers/<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("deployments/", views.deployments, name="deployments"),
    path("assignments/", views.assignments, name="assignments"),
]
