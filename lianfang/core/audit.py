"""Recording audit entries. Every service write and every unmasked view/export calls :func:`record`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.signals import post_save

from lianfang.core.db import insert_one
from lianfang.core.models import AuditEntry


def _label(obj) -> tuple[str, str]:
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}", str(obj.pk)


def record(**fields) -> AuditEntry:
    """Append one audit entry and return it; ``fields`` are :func:`prepare`'s (``actor``, ``action``,
    ``obj`` or ``object_type``/``object_id``, ``division_code``, ``reason``, ``detail``)."""
    entry = prepare(**fields)
    # one prepared INSERT (every service write passes here, the desk several times a second), then
    # the post_save that save() would send (the reports cache listens to the audit log)
    insert_one(entry)
    announce(entry)
    return entry


def prepare(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    division_code: str = "",
    reason: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """The unsaved audit entry :func:`record` appends. ``obj`` (a model instance) fills
    ``object_type``/``object_id``; ``division_code`` defaults to the object's
    ``audit_division_code`` attribute when it has one; ``actor`` may be None for system work (cron
    commands) and is stored as NULL; ``reason`` is cut to 500 characters. A service that writes the
    entry within a statement of its own (the sampling desk's one-statement registration,
    screening.deskpath) then calls :func:`announce`."""
    if obj is not None:
        object_type, object_id = _label(obj)
        division_code = division_code or getattr(obj, "audit_division_code", "") or ""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        actor=actor_obj,
        action=action,
        object_type=object_type,
        object_id=object_id,
        division_code=division_code,
        reason=reason[:500],
        detail=detail or {},
    )


def announce(entry: AuditEntry) -> None:
    """Send the ``post_save`` that ``save()`` would have sent for the written ``entry``."""
    post_save.send(
        sender=AuditEntry, instance=entry, created=True, update_fields=None, raw=False, using=entry._state.db
    )


def record_many(*, actor, action: str, objects: Iterable, reason: str = "", detail: dict | None = None) -> int:
    """Append one entry per object in one INSERT batch; returns the number written."""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    entries = []
    for obj in objects:
        object_type, object_id = _label(obj)
        entries.append(
            AuditEntry(
                actor=actor_obj,
                action=action,
                object_type=object_type,
                object_id=object_id,
                division_code=getattr(obj, "audit_division_code", "") or "",
                reason=reason[:500],
                detail=detail or {},
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)
