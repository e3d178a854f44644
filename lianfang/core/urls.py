"""Project-level pages of the core app (the audit log under /audit/)."""

from django.urls import path

from lianfang.core import views

app_name = "core"

urlpatterns = [
    path("", views.audit_log, name="audit_log"),
]
