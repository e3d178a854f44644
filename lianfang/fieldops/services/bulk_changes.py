"""Bulk status changes: one status change for many screened people, requested by one person and
applied only when a second person approves (or rejected by them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import audit
from lianfang.core.forms import items_line
from lianfang.fieldops.models import ApprovalStatus, BulkStatusChange, PersonStatus, ScreenedPerson, StatusReason
from lianfang.fieldops.services.base import SCREENING, StatusConflict, _require, _text
from lianfang.fieldops.services.quarantine import ALLOWED_TRANSITIONS, _apply_status


def _common_path(codes: Iterable[str]) -> str:
    codes = list(codes)
    if not codes:
        return ""
    prefix = codes[0]
    for code in codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    lengths = sorted(n for n in (2, 4, 6, 9, 12, 15, 18, 20) if n <= len(prefix))
    return prefix[: lengths[-1]] if lengths else ""


def bulk_status_change_request(
    *, actor, people: Sequence[ScreenedPerson], to_status: str, reason_code: str, evidence: str
) -> BulkStatusChange:
    """Ask for one status change for many people; nothing changes until a second person approves
    (:func:`bulk_status_change_approve`). Validates every person now (transition allowed, location
    verified) and names the ones that fail. PermissionDenied without EDIT_REGISTRY at each place."""
    evidence = _text(evidence, "evidence", max_length=2000)
    people = list(people)
    errors = {}
    if not people:
        errors["people"] = _("choose at least one person")
    if to_status not in PersonStatus.values:
        errors["to_status"] = _("unknown status “%(v)s”") % {"v": to_status}
    if reason_code not in StatusReason.values:
        errors["reason_code"] = _("unknown reason code “%(v)s”") % {"v": reason_code}
    if not errors:
        bad = [
            f"#{p.pk} {p.get_status_display()}"
            for p in people
            if to_status not in ALLOWED_TRANSITIONS.get(p.status, ())
            or (p.needs_verification and to_status != PersonStatus.TRANSFERRED_OUT)
        ]
        if bad:
            errors["people"] = _("cannot become %(s)s: %(list)s") % {
                "s": PersonStatus(to_status).label,
                "list": ", ".join(bad[:20]),
            }
    if errors:
        raise ValidationError(errors)
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("a bulk change needs a signed-in requester"))
    for person in people:
        _require(actor, SCREENING, person.path)
    with transaction.atomic():
        change = BulkStatusChange.objects.create(
            district_id=people[0].district_id,
            path=_common_path(p.path for p in people),
            to_status=to_status,
            reason_code=reason_code,
            evidence=evidence,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        change.people.set(people)
        audit.record(
            actor=actor, action="fieldops.bulk_request", obj=change, reason=reason_code, detail={"people": len(people)}
        )
    return change


def bulk_status_change_approve(*, actor, change: BulkStatusChange, note: str = "") -> BulkStatusChange:
    """Approve and apply a bulk change: the approver must be a second person with EDIT_REGISTRY at
    every person's place. Each person changes by conditional update; one whose status moved on
    since the request is skipped and named in ``results``."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("approval needs a signed-in second person"))
    if actor.pk == change.requested_by_id:
        raise ValidationError(
            {"approver": _("a second person must approve: the requester cannot approve their own change")}
        )
    people = list(change.people.all())
    for person in people:
        _require(actor, SCREENING, person.path)
    now = timezone.now()
    results = {}
    with transaction.atomic():
        if (
            BulkStatusChange.objects.filter(pk=change.pk, status=ApprovalStatus.PENDING).update(
                status=ApprovalStatus.APPLIED, decided_by=actor, decided_at=now, decision_note=note[:300]
            )
            != 1
        ):
            raise StatusConflict(_("this bulk change was already decided"), code="status_conflict")
        change.status, change.decided_by, change.decided_at = ApprovalStatus.APPLIED, actor, now
        evidence = _("%(e)s (bulk change #%(pk)s requested by %(a)s, approved by %(b)s)") % {
            "e": change.evidence,
            "pk": change.pk,
            "a": change.requested_by,
            "b": actor,
        }
        for person in people:
            try:
                with transaction.atomic():
                    _apply_status(actor, person, change.to_status, change.reason_code, evidence, at=now, bulk=change)
                results[str(person.pk)] = "changed"
            except ValidationError as exc:
                results[str(person.pk)] = items_line(exc.messages)[:200]
        BulkStatusChange.objects.filter(pk=change.pk).update(results=results)
        change.results = results
        audit.record(actor=actor, action="fieldops.bulk_approve", obj=change, detail={"results": results})
    return change


def bulk_status_change_reject(*, actor, change: BulkStatusChange, note: str) -> BulkStatusChange:
    """Reject a pending bulk change (a second person, with a note); nothing changes."""
    note = _text(note, "note", max_length=300)
    if actor is None or actor.pk == change.requested_by_id:
        raise ValidationError({"approver": _("a second person must decide")})
    _require(actor, SCREENING, change.path)
    with transaction.atomic():
        if (
            BulkStatusChange.objects.filter(pk=change.pk, status=ApprovalStatus.PENDING).update(
                status=ApprovalStatus.REJECTED, decided_by=actor, decided_at=timezone.now(), decision_note=note
            )
            != 1
        ):
            raise StatusConflict(_("this bulk change was already decided"), code="status_conflict")
        change.status = ApprovalStatus.REJECTED
        audit.record(actor=actor, action="fieldops.bulk_reject", obj=change, reason=note)
    return change
