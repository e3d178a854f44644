from django.urls import path

from lianfang.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.overview_page, name="overview"),
    path("daily/", views.daily_page, name="daily"),
    path("daily/export/", views.daily_export, name="daily_export"),
    path("daily/close/", views.daily_close, name="daily_close"),
    path("daily/reopen/", views.daily_reopen, name="daily_reopen"),
    path("daily/closed/", views.daily_list, name="daily_list"),
    path("trends/", views.trends_page, name="trends"),
    path("layouts/", views.layouts_page, name="layouts"),
    path("layouts/new/", views.layout_edit, name="layout_new"),
    path("layouts/<slug:key>/", views.layout_page, name="layout"),
    path("layouts/<slug:key>/export/", views.layout_export, name="layout_export"),
    path("layouts/<slug:key>/edit/", views.layout_edit, name="layout_edit"),
    path("records/<slug:source>/", views.records_page, name="records"),
]
