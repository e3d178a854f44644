"""Labels of third-party apps shown in the admin, marked here so that ``makemessages`` keeps them in
this app's zh-Hans catalogue (Django merges every catalogue, so the translations reach the admin).

django-tasks-db ships no Chinese: its model and field names and django-tasks' status labels are
listed below with the same msgids (and context) as in its source; its app name is a plain string,
relabelled by :func:`relabel` from ``AccountsConfig.ready``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, pgettext_lazy

TASK_LABELS = (
    gettext_lazy("Task Result"),
    gettext_lazy("Task Results"),
    gettext_lazy("status"),
    gettext_lazy("enqueued at"),
    gettext_lazy("started at"),
    gettext_lazy("finished at"),
    gettext_lazy("args kwargs"),
    gettext_lazy("priority"),
    gettext_lazy("task path"),
    gettext_lazy("worker id"),
    gettext_lazy("queue name"),
    gettext_lazy("backend name"),
    gettext_lazy("run after"),
    gettext_lazy("return value"),
    gettext_lazy("exception class path"),
    gettext_lazy("traceback"),
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
)


def relabel() -> None:
    """Give the background-task app a translated name in the admin (its own is plain English)."""
    from django.apps import apps  # noqa: PLC0415

    if apps.is_installed("django_tasks_db"):
        apps.get_app_config("django_tasks_database").verbose_name = gettext_lazy("Background tasks")
