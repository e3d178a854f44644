"""Background work of field operations (django-tasks, database backend; run ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_notice(notice_id: int) -> dict:
    """Post notice ``notice_id`` to its pending webhook deliveries (fieldops.notify.deliver)."""
    from lianfang.fieldops.notify import deliver  # noqa: PLC0415

    return deliver(notice_id)
