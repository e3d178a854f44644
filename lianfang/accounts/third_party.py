"""Labels of third-party apps shown in the admin, marked here so that ``makemessages`` keeps them in
this app's zh-Hans catalogue (Django merges every catalogue, so the translations reach the admin).

django-tasks-db ships no Chinese: its model and field names and django-tasks' status labels are
listed below with the same msgids (and context) as in its source; its app name is a plain string,
relabelled by :func:`relabel` from ``AccountsConfig.ready``. django-axes (the sign-in lockout,
accounts.lockout) ships no Chinese either: its admin's model, field and filter names are listed the
same way, and its app ("Axes") is relabelled too.
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

AXES_LABELS = (
    gettext_lazy("User Agent"),
    gettext_lazy("IP Address"),
    gettext_lazy("Username"),
    gettext_lazy("HTTP Accept"),
    gettext_lazy("Path"),
    gettext_lazy("Attempt Time"),
    gettext_lazy("Access lock out"),
    gettext_lazy("access failure"),
    gettext_lazy("access failures"),
    gettext_lazy("GET Data"),
    gettext_lazy("POST Data"),
    gettext_lazy("Failed Logins"),
    gettext_lazy("access attempt"),
    gettext_lazy("access attempts"),
    gettext_lazy("Access Attempt"),
    gettext_lazy("Expires At"),
    gettext_lazy("The time when access attempt expires and is no longer valid."),
    gettext_lazy("access attempt expiration"),
    gettext_lazy("access attempt expirations"),
    gettext_lazy("Logout Time"),
    gettext_lazy("Session key hash (sha256)"),
    gettext_lazy("access log"),
    gettext_lazy("access logs"),
    gettext_lazy("Locked Out"),
    gettext_lazy("Form Data"),
    gettext_lazy("Meta Data"),
    gettext_lazy("Clean up expired attempts"),
    gettext_lazy("Not set"),
    gettext_lazy("Attempt Remaining"),
)


def relabel() -> None:
    """Give the background-task and sign-in lockout apps translated names in the admin (their own are
    plain English)."""
    from django.apps import apps  # noqa: PLC0415

    if apps.is_installed("django_tasks_db"):
        apps.get_app_config("django_tasks_database").verbose_name = gettext_lazy("Background tasks")
    if apps.is_installed("axes"):
        apps.get_app_config("axes").verbose_name = gettext_lazy("Sign-in lockout")
