"""Background work of the registry (django-tasks, database backend; run ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from lianfang.accounts.models import User
from lianfang.registry.models import ImportBatch, ImportStatus


@task()
def run_import_batch(batch_id: int, actor_id: int | None = None) -> str:
    """Validate and (unless a dry run) commit import ``batch_id`` as user ``actor_id``; returns its status.

    A batch that is no longer queued (already run by another worker) is left alone. Progress is
    written to the batch row as it goes (phase, rows done, rows in all) for the page to poll.
    """
    from lianfang.registry.importing.batches import import_batch_run  # noqa: PLC0415

    batch = ImportBatch.objects.select_related("division").filter(pk=batch_id).first()
    if batch is None or batch.status != ImportStatus.QUEUED:
        return "skipped"
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        batch = import_batch_run(actor=actor, batch=batch)
    except ValueError:
        return "skipped"
    return batch.status
