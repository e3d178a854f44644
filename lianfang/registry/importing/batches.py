"""Import batches, every write atomic and audited: :func:`import_batch_create` (queue a file),
:func:`import_batch_run` (validate, then commit a registry or workers plan), :func:`registry_import`
(the command-line path) and :func:`import_batch_rollback` with its blockers and audit detail.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gc
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.core import audit
from lianfang.divisions.models import Division, Level
from lianfang.registry.importing.commit import _db_value, _update_rows, commit_plan
from lianfang.registry.importing.plan import Issue, Plan, ProgressCallback
from lianfang.registry.importing.reading import ImportFileError, detect_format
from lianfang.registry.importing.validation import plan_import
from lianfang.registry.importing.workers import commit_workers, other_kind_hint, plan_workers
from lianfang.registry.models import Household, ImportBatch, ImportKind, ImportStatus, Resident, import_summary

logger = logging.getLogger(__name__)
MAX_STORED_ISSUES = 200


def _check_target(actor, target: Division) -> None:
    if target.level > Level.COMMUNITY:
        raise ValidationError(_("import into a community/village, street/town or district, not %s") % target)
    if target.level < Level.DISTRICT:
        raise ValidationError(_("import into a community/village, street/town or district, not %s") % target)
    if actor is not None and not can(actor, Capability.EDIT_REGISTRY, target.code):
        raise PermissionDenied(_("you may not edit the registry of %s") % target.short_name)


def import_batch_create(
    *,
    actor,
    target: Division,
    file_name: str,
    data: bytes,
    dry_run: bool = False,
    keep_file: bool = True,
    kind: str = "registry",
) -> ImportBatch:
    """Record a new import of ``data`` (the file's bytes) into ``target``, status ``queued``; audited.

    ``keep_file`` stores the bytes (default storage, ``imports/``) for a background task to read.
    The active language (the uploader's) is recorded on the batch (``language``): :func:`import_batch_run`
    writes the problems and the report in it, whichever language the background worker runs in.
    Raises PermissionDenied without EDIT_REGISTRY on ``target``, ValidationError for a target below
    community or above district level, ImportFileError for an unsupported file type.
    """
    from django.core.files.base import ContentFile  # noqa: PLC0415

    _check_target(actor, target)
    file_format = detect_format(file_name)
    with transaction.atomic():
        batch = ImportBatch(
            division=target,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            file_name=Path(file_name).name[:200],
            file_sha256=hashlib.sha256(data).hexdigest(),
            file_format=file_format,
            dry_run=dry_run,
            kind=kind,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        if keep_file:
            batch.file.save(f"{batch.file_sha256[:16]}.{file_format}", ContentFile(data), save=False)
        batch.save()
        audit.record(
            actor=actor,
            action="import_queued",
            obj=batch,
            detail={
                "file": batch.file_name,
                "sha256": batch.file_sha256,
                "dry_run": dry_run,
                "language": batch.language,
            },
        )
    return batch


def queued_language(batch: ImportBatch) -> str:
    """The language ``batch`` was queued in (``batch.language``, recorded by :func:`import_batch_create`):
    one of ``settings.LANGUAGES``; the active language for a batch queued before it was recorded."""
    language = batch.language
    return language if language in dict(settings.LANGUAGES) else translation.get_language()


def _set_progress(batch: ImportBatch, phase: str, done: int, total: int) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(phase=phase, progress_done=done, progress_total=total)


@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while the block runs (re-enabled on exit if it was on).

    An import builds a few million small, acyclic objects (row tuples, plans); every full collection
    would walk all of them again, which made a 0.5 M-row import markedly slower per row than a 50 k-row
    one. Reference counting still frees them; the few cycles made meanwhile wait for the next collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_batch_run(
    *,
    actor,
    batch: ImportBatch,
    data: bytes | None = None,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
    language: str | None = None,
) -> ImportBatch:
    """Validate the batch's file and, when it has no error and is not a dry run, commit it.

    Status goes ``queued → running`` (conditional update; raises ValueError when the batch is not
    queued), then to ``invalid`` (errors; report written), ``validated`` (dry run), ``unchanged``
    (nothing to change: "already up to date") or ``committed``; ``failed`` with the message when the
    database refuses the write or on any other exception (logged; the message names its type). All
    writes of a commit are in one transaction with the audit entry. Returns the refreshed batch. The
    garbage collector is paused meanwhile (:func:`gc_paused`).

    The problems (``issues``, the report) are written in ``language``, by default the one the batch
    was queued in (:func:`queued_language`), also by forked validation workers; the result sentence is
    rendered in the viewer's language (``ImportBatch.summary``).
    """
    with gc_paused(), translation.override(language or queued_language(batch)):
        try:
            return _import_batch_run(actor=actor, batch=batch, data=data, today=today, progress=progress)
        except Exception as exc:
            message = _("the import stopped on an unexpected error (%(error)s); nothing was written") % {
                "error": type(exc).__name__
            }
            failed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                phase="done",
                message=message,
                issues=[Issue("", 0, "", "", message).as_dict()],
            )
            if not failed:  # not ours to mark (not queued, or finished meanwhile)
                raise
            logger.exception("import %s failed", batch.pk)
            batch.refresh_from_db()
            return batch


def _import_batch_run(*, actor, batch, data, today, progress) -> ImportBatch:
    if not ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, phase="read"
    ):
        raise ValueError(f"import {batch.pk} is not queued")
    if data is None:
        with batch.file.open("rb") as fh:
            data = fh.read()

    def report_progress(phase: str, done: int, total: int) -> None:
        if phase != "write":  # rows written inside the transaction are not visible to others anyway
            _set_progress(batch, phase, done, total)
        if progress:
            progress(phase, done, total)

    try:
        if batch.kind == ImportKind.WORKERS:
            plan = plan_workers(target=batch.division, data=data, file_name=batch.file_name, today=today)
        else:
            plan = plan_import(
                target=batch.division, data=data, file_name=batch.file_name, today=today, progress=report_progress
            )
    except ImportFileError as exc:
        return _finish(batch, ImportStatus.INVALID, message=str(exc), issues=[Issue("", 0, "", "", str(exc))])
    if not plan.rows and plan.errors:  # no row read: the file may be of the other kind
        hint = other_kind_hint(data=data, file_name=batch.file_name, kind=batch.kind)
        if hint:
            plan.issues.insert(0, Issue("", 0, "", "", hint))
    counts = plan.counts() if batch.kind != ImportKind.WORKERS else _worker_counts(plan)
    batch.encoding = plan.encoding
    issues = plan.errors[:MAX_STORED_ISSUES] + plan.warnings[: max(0, MAX_STORED_ISSUES - len(plan.errors))]
    if plan.issues:
        from lianfang.registry.exporters import write_issue_report  # noqa: PLC0415

        write_issue_report(batch=batch, data=data, plan=plan)
    if plan.errors:
        message = import_summary(ImportStatus.INVALID, batch.kind, counts)
        return _finish(batch, ImportStatus.INVALID, counts=counts, issues=issues, message=message)
    if batch.kind == ImportKind.WORKERS:
        return _run_workers(batch, plan, actor, counts, issues)
    if not plan.changes_anything:
        previous = (
            ImportBatch.objects.filter(
                division=batch.division, file_sha256=batch.file_sha256, status=ImportStatus.COMMITTED
            )
            .exclude(pk=batch.pk)
            .order_by("-created_at")
            .first()
        )
        if previous is not None:
            counts["same_file_as"] = previous.pk
        message = import_summary(ImportStatus.UNCHANGED, batch.kind, counts)
        return _finish(batch, ImportStatus.UNCHANGED, counts=counts, issues=issues, message=message)
    if batch.dry_run:
        message = import_summary(ImportStatus.VALIDATED, batch.kind, counts)
        return _finish(batch, ImportStatus.VALIDATED, counts=counts, issues=issues, message=message)
    try:
        with transaction.atomic():
            counts = commit_plan(plan=plan, batch=batch, progress=progress)
            message = import_summary(ImportStatus.COMMITTED, batch.kind, counts)
            batch = _committed(batch, actor, counts, issues, message)
    except IntegrityError as exc:
        return _finish(batch, ImportStatus.FAILED, counts=counts, issues=issues, message=str(exc)[:500])
    return batch


def _worker_counts(plan: Plan) -> dict[str, int]:
    return {
        "rows": plan.rows,
        "blank_rows": plan.skipped,
        "workers_created": sum(1 for r in plan.residents if r.existing_id is None),
        "workers_unchanged": sum(1 for r in plan.residents if r.existing_id is not None),
        "assignments_created": sum(1 for r in plan.residents if r.level),
        "errors": len(plan.errors),
        "warnings": len(plan.warnings),
    }


class _WorkersRefused(Exception):
    """Raised inside the transaction to undo a workers import that the workforce services refused."""


def _run_workers(batch: ImportBatch, plan: Plan, actor, counts: dict, issues: list) -> ImportBatch:
    """The commit half of import_batch_run for a workers roster (see commit_workers)."""
    new = sum(1 for r in plan.residents if r.existing_id is None or r.level)
    if not new:
        message = import_summary(ImportStatus.UNCHANGED, batch.kind, counts)
        return _finish(batch, ImportStatus.UNCHANGED, counts=counts, issues=issues, message=message)
    if batch.dry_run:
        message = import_summary(ImportStatus.VALIDATED, batch.kind, counts)
        return _finish(batch, ImportStatus.VALIDATED, counts=counts, issues=issues, message=message)
    try:
        with transaction.atomic():
            counts = commit_workers(plan=plan, batch=batch, actor=actor)
            if plan.errors:
                raise _WorkersRefused
            message = import_summary(ImportStatus.COMMITTED, batch.kind, counts)
            batch = _committed(batch, actor, counts, issues, message)
    except _WorkersRefused:
        counts["errors"] = len(plan.errors)
        message = import_summary(ImportStatus.INVALID, batch.kind, counts)
        return _finish(
            batch, ImportStatus.INVALID, counts=counts, issues=plan.errors[:MAX_STORED_ISSUES], message=message
        )
    return batch


def _committed(batch: ImportBatch, actor, counts: dict, issues: list, message: str) -> ImportBatch:
    """Mark the batch committed and audit it (inside the commit's transaction)."""
    batch = _finish(
        batch, ImportStatus.COMMITTED, counts=counts, issues=issues, message=message, created_ids=batch.created_ids
    )
    audit.record(actor=actor, action="import", obj=batch, detail={"sha256": batch.file_sha256, **counts})
    return batch


def _finish(batch: ImportBatch, status: str, **fields) -> ImportBatch:
    values = {
        "status": status,
        "finished_at": timezone.now(),
        "phase": "done",
        "encoding": batch.encoding,
        "report": batch.report.name or "",
    }
    for key in ("counts", "message", "created_ids"):
        if key in fields:
            values[key] = fields[key]
    if "issues" in fields:
        values["issues"] = [i.as_dict() for i in fields["issues"]]
    if "counts" in fields:
        values["progress_done"] = values["progress_total"] = fields["counts"].get("rows", 0)
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).update(**values)
    if updated != 1:
        raise ValueError(f"import {batch.pk} is no longer running")
    batch.refresh_from_db()
    return batch


def registry_import(
    *,
    actor,
    target: Division,
    path: Path,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
    kind: str = "registry",
) -> ImportBatch:
    """Import the file at ``path`` into ``target`` now (the command-line path): create and run a batch.

    Raises what :func:`import_batch_create` raises; returns the finished batch (see
    :func:`import_batch_run` for its statuses).
    """
    data = Path(path).read_bytes()
    batch = import_batch_create(
        actor=actor, target=target, file_name=Path(path).name, data=data, dry_run=dry_run, keep_file=False, kind=kind
    )
    return import_batch_run(actor=actor, batch=batch, data=data, today=today, progress=progress)


def _goes_with_household(relation) -> bool:
    """Whether the rows of ``relation`` (one of Household's reverse relations) are only an attribute of
    their household that a rollback deletes with it — a model that sets ``GOES_WITH_HOUSEHOLD = True``,
    such as assistance.HouseholdToken (the printed QR link) — rather than a record that blocks it."""
    return not relation.many_to_many and getattr(relation.related_model, "GOES_WITH_HOUSEHOLD", False)


def _delete_created(created: dict[str, list[list[int]]]) -> None:
    """Delete the rows of ``created`` (id ranges per table) in dependency order, by raw ranges; the
    rows that go with the households (:func:`_goes_with_household`) just before the households."""
    from lianfang.workforce.models import ResponsibilityAssignment, Worker, WorkerCategory  # noqa: PLC0415

    # (model, key of ``created``, column holding those ids, extra condition)
    with_households = [
        (relation.related_model, "household", relation.field.column, "")
        for relation in Household._meta.related_objects
        if _goes_with_household(relation)
    ]
    steps = [
        (Resident, "resident", "id", " AND guardian_id IS NOT NULL"),  # wards first: a PROTECT self-reference
        (Resident, "resident", "id", ""),
        *with_households,
        (Household, "household", "id", ""),
        (ResponsibilityAssignment, "assignment", "id", ""),
        (WorkerCategory, "worker", "worker_id", ""),  # the created workers' categories (CASCADE is Django's, not SQL's)
        (Worker, "worker", "id", ""),
    ]
    with connection.cursor() as cursor:
        for model, key, column, extra in steps:
            for first, last in created.get(key, []):
                cursor.execute(
                    f'DELETE FROM "{model._meta.db_table}" WHERE "{column}" BETWEEN %s AND %s{extra}',  # noqa: S608
                    [first, last],
                )


# The tables of ``ImportBatch.created_ids`` by the audit detail keys that name them (core.audit_labels
# DETAIL_LABELS: "住户", "居民", "人员", "包保关系（新建）"), in this order.
ROLLBACK_REMOVED_KEYS = {
    "household": "households",
    "resident": "residents",
    "worker": "workers",
    "assignment": "assignments_created",
}


def rollback_detail(created: dict[str, list[list[int]]], restored: int) -> dict:
    """The audit detail of a rollback: ``{"removed": {"residents": 5, "households": 2}, "restored": 3}``,
    the rows deleted per table of ``created`` (id ranges, ``ImportBatch.created_ids``; a registry
    import's two tables always named, 0 included) and the rows whose values were put back. Every key
    has a translated label on the audit page (移除: 居民: 5; 住户: 2), never a table's code name."""
    tables = [key for key in ROLLBACK_REMOVED_KEYS if key in created] or ["household", "resident"]
    removed = {
        ROLLBACK_REMOVED_KEYS[key]: sum(last - first + 1 for first, last in created.get(key, [])) for key in tables
    }
    # in PostgreSQL jsonb's key order (shorter first, then by bytes), so the entry reads the same on both databases
    return {"removed": dict(sorted(removed.items(), key=lambda item: (len(item[0]), item[0]))), "restored": restored}


class RollbackError(ValueError):
    """An import that cannot be rolled back (wrong status, a later import on top, rows in use)."""


ROLLBACK_BLOCKERS_SHOWN = 5


def _rollback_blockers(created: dict[str, list[list[int]]]) -> list[str]:
    """What keeps the households and residents of ``created`` (id ranges per table) from being deleted:
    ``["household 下西园社区 … 701 has 1 service request", …]`` (translated, at most
    ROLLBACK_BLOCKERS_SHOWN), from every foreign key to them (all PROTECT) whose row the rollback does
    not delete itself. One query per relation."""
    from lianfang.workforce.models import ResponsibilityAssignment, Worker  # noqa: PLC0415

    keys = {Household: "household", Resident: "resident", ResponsibilityAssignment: "assignment", Worker: "worker"}

    def within(model, prefix: str = "") -> Q:
        ranges = Q()
        for first, last in created.get(keys.get(model, ""), []):
            ranges |= Q(**{f"{prefix}pk__range": (first, last)})
        return ranges

    blockers: list[str] = []
    for model in (Household, Resident):
        if not created.get(keys[model]):
            continue
        for relation in model._meta.related_objects:
            if relation.many_to_many or _goes_with_household(relation):
                continue
            related, name = relation.related_model, relation.field.name
            rows = related._base_manager.filter(within(model, f"{name}__"))
            if created.get(keys.get(related, "")):
                rows = rows.exclude(within(related))
            for target_id, n in rows.values_list(name).annotate(n=Count("pk")).order_by(name)[:ROLLBACK_BLOCKERS_SHOWN]:
                meta = related._meta
                blockers.append(
                    _("%(kind)s %(object)s has %(n)d %(what)s")
                    % {
                        "kind": model._meta.verbose_name,
                        "object": model._base_manager.get(pk=target_id),
                        "n": n,
                        "what": meta.verbose_name if n == 1 else meta.verbose_name_plural,
                    }
                )
    return blockers[:ROLLBACK_BLOCKERS_SHOWN]


def _from_json(model, column: str, value):
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    return model._meta.get_field(column).to_python(value)


def import_batch_rollback(*, actor, batch: ImportBatch, reason: str = "") -> ImportBatch:
    """Undo a committed import as a unit: delete the rows it created, restore the values it changed.

    Audited (action ``import_rollback``): the free-text ``reason`` (``rollback`` when none is given),
    the rows removed and restored (:func:`rollback_detail`). Raises
    PermissionDenied without EDIT_REGISTRY on the batch's division, RollbackError when the batch is
    not ``committed``, when a later committed import of the same division exists (roll that back
    first), or when created rows are now referenced by other records. One transaction.
    """
    _check_target(actor, batch.division)
    code = batch.division.code
    overlapping = Q(division__code__startswith=code) | Q(division__code__in=batch.division.ancestor_codes())
    later = (
        ImportBatch.objects.filter(overlapping, status=ImportStatus.COMMITTED, created_at__gt=batch.created_at)
        .exclude(pk=batch.pk)
        .order_by("created_at")
        .first()
    )
    if later is not None:
        raise RollbackError(_("roll back the later import #%(id)d first") % {"id": later.pk})
    try:
        with transaction.atomic():
            if not ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.COMMITTED).update(
                status=ImportStatus.ROLLED_BACK,
                rolled_back_at=timezone.now(),
                rolled_back_by=actor if getattr(actor, "is_authenticated", False) else None,
            ):
                raise RollbackError(_("only an imported batch can be rolled back"))
            created = batch.created_ids or {}
            blockers = _rollback_blockers(created)
            if blockers:
                raise RollbackError(
                    _("rows created by this import are now used by other records: %s") % "; ".join(blockers)
                )
            _delete_created(created)
            for model, key in ((Household, "household"), (Resident, "resident")):
                restores = [
                    (
                        c.object_id,
                        {col: _db_value(model, col, _from_json(model, col, v)) for col, v in c.before.items()},
                    )
                    for c in batch.changes.filter(table=key)
                ]
                _update_rows(model, restores)
            audit.record(
                actor=actor,
                action="import_rollback",
                obj=batch,
                reason=reason or "rollback",
                detail=rollback_detail(created, batch.changes.count()),
            )
    except IntegrityError as exc:
        raise RollbackError(_("rows created by this import are now used by other records: %s") % exc) from exc
    batch.refresh_from_db()
    return batch
