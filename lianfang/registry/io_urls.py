"""Import/export pages, mounted at /registry/io/ by lianfang/registry/urls.py."""

from django.urls import path

from lianfang.registry import io_views

urlpatterns = [
    path("", io_views.io_index, name="io_index"),
    path("upload/", io_views.io_upload, name="io_upload"),
    path("template.xlsx", io_views.io_template, name="io_template"),
    path("export/", io_views.io_export, name="io_export"),
    path("<int:pk>/", io_views.io_batch, name="io_batch"),
    path("<int:pk>/progress/", io_views.io_batch_progress, name="io_batch_progress"),
    path("<int:pk>/report/", io_views.io_batch_report, name="io_batch_report"),
    path("<int:pk>/rollback/", io_views.io_batch_rollback, name="io_batch_rollback"),
    path("<int:pk>/commit/", io_views.io_batch_commit, name="io_batch_commit"),
]
