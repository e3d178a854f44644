from django.urls import path

from lianfang.divisions import views

app_name = "divisions"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.detail, name="detail"),
]
