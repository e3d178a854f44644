from django.urls import include, path

from lianfang.registry import views

app_name = "registry"
urlpatterns = [
    path("households/", views.my_households, name="my_households"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("residents/", views.residents, name="residents"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("search/", views.search, name="search"),
    path("reveal/<str:kind>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
    path("io/", include("lianfang.registry.io_urls")),
]
