"""The follow-up of a positive pool (domain.md §4 "positive pool"): members isolated in place
with individual retest tasks, notices to households and their responsibility chain, a control-area
proposal through the zones app (:func:`follow_up_open`); retest results that complete it; steps marked
done (:func:`follow_up_step_done`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.core import audit
from lianfang.core.forms import items_line
from lianfang.divisions.models import Division
from lianfang.registry.models import Household
from lianfang.screening import links
from lianfang.screening.models import (
    FollowUpMember,
    FollowUpMemberStatus,
    FollowUpStatus,
    Notice,
    PoolFollowUp,
    PoolFollowUpStep,
    PoolingMode,
    ReasonCode,
    ResultValue,
    RoundMember,
    Sample,
    SamplingTask,
    StepKind,
    TaskKind,
    Tube,
)
from lianfang.screening.services.base import _division_id, _minimal, _now, rules
from lianfang.zones.services import common_path


def follow_up_open(*, actor, tube: Tube, at: dt.datetime | None = None) -> PoolFollowUp:
    """Open the follow-up of positive tube ``tube`` (domain.md §4 "positive pool").

    Every member is marked "isolate in place, awaiting retest" and gets an individual retest task
    (single tube); each household and its responsibility chain (L4 … L1, workforce) get a notice; a
    control-area proposal is raised through the zones app when an operation is open. Steps: isolate
    (due after ``isolate_within_hours``), notify (done now), retest (due after
    ``retest_within_hours``), area proposal (done now, or noted when no operation is open).
    Idempotent: a tube has at most one follow-up.
    """
    at = _now(at)
    existing = PoolFollowUp.objects.filter(tube=tube).first()
    if existing is not None:
        return existing
    r = rules()
    samples = list(Sample.objects.filter(tube=tube).select_related("resident", "household").order_by("id"))
    path = common_path([s.path for s in samples] + [tube.path])
    with transaction.atomic():
        fu = PoolFollowUp.objects.create(tube=tube, round_id=tube.round_id, path=path, opened_at=at)
        steps = {
            StepKind.ISOLATE: PoolFollowUpStep(
                follow_up=fu, kind=StepKind.ISOLATE, path=path, due_at=at + dt.timedelta(hours=r.isolate_within_hours)
            ),
            StepKind.NOTIFY: PoolFollowUpStep(follow_up=fu, kind=StepKind.NOTIFY, path=path, due_at=at, done_at=at),
            StepKind.RETEST: PoolFollowUpStep(
                follow_up=fu, kind=StepKind.RETEST, path=path, due_at=at + dt.timedelta(hours=r.retest_within_hours)
            ),
        }
        members = []
        for s in samples:
            task = None
            if s.resident is not None:
                task = SamplingTask.objects.create(
                    round_id=tube.round_id,
                    kind=TaskKind.RETEST,
                    division_id=_division_id(s.resident.path),
                    household_id=s.household_id,
                    resident=s.resident,
                    path=s.resident.path,
                    mode=PoolingMode.SINGLE,
                    people=1,
                    follow_up=fu,
                    due_at=steps[StepKind.RETEST].due_at,
                )
            members.append(
                FollowUpMember(
                    follow_up=fu,
                    sample=s,
                    resident=s.resident,
                    household=s.household,
                    name=s.name,
                    path=s.path,
                    retest_task=task,
                )
            )
        FollowUpMember.objects.bulk_create(members)
        notices = _notify_chain(fu, [s.household for s in samples if s.household is not None], tube)
        area_nodes = _area_nodes(samples)
        note = ""
        try:
            area_id = links.propose_control_area(
                district_code=tube.path[:6],
                nodes=area_nodes,
                pool_ref=tube.barcode,
                note=_("positive pool %(barcode)s") % {"barcode": tube.barcode},
            )
        except (ValidationError, PermissionDenied) as exc:
            area_id, note = None, items_line(getattr(exc, "messages", [str(exc)]))[:300]
        if area_id is None and not note:
            note = _("no open operation or no place: nothing proposed")
        PoolFollowUp.objects.filter(pk=fu.pk).update(control_area_ref=area_id)
        fu.control_area_ref = area_id
        steps[StepKind.AREA_PROPOSAL] = PoolFollowUpStep(
            follow_up=fu, kind=StepKind.AREA_PROPOSAL, path=path, due_at=at, done_at=at, note=note
        )
        PoolFollowUpStep.objects.bulk_create(steps.values())
        audit.record(
            actor=actor,
            action="screening.follow_up_open",
            obj=fu,
            reason=ReasonCode.RESULT,
            detail={"tube": tube.barcode, "members": len(members), "notices": notices, "control_area": area_id},
        )
    return fu


def _area_nodes(samples: Sequence[Sample]) -> list[Division]:
    codes = set()
    for s in samples:
        if s.resident is not None:
            p = s.resident.path
            codes.add(p[:18] if len(p) >= 18 else p)
    return list(Division.objects.filter(code__in=_minimal(codes)))


def _notify_chain(fu: PoolFollowUp, households: Sequence[Household], tube: Tube, level_only: int | None = None) -> int:
    """Notices for each household (unless ``level_only``) and its responsibility chain; returns the count."""
    seen: set[tuple[int, int]] = set()
    rows = []
    for household in {h.pk: h for h in households}.values():
        if level_only is None:
            rows.append(
                Notice(
                    follow_up=fu,
                    household=household,
                    path=household.path,
                    message=_("A tube of your household's members tested positive: stay at home, a retest is coming.")[
                        :300
                    ],
                )
            )
        for level, assignment in links.chain(household):
            if assignment is None or (level_only is not None and level != level_only):
                continue
            if (assignment.worker_id, level) in seen:
                continue
            seen.add((assignment.worker_id, level))
            rows.append(
                Notice(
                    follow_up=fu,
                    worker_id=assignment.worker_id,
                    level=level,
                    path=household.path,
                    escalation=level_only is not None,
                    message=(
                        _("Positive pool %(barcode)s: members in your area must isolate in place and be retested.")
                        % {"barcode": tube.barcode}
                    )[:300],
                )
            )
    Notice.objects.bulk_create(rows)
    return len(rows)


def _retest_results(actor, retest_tubes: dict[int, tuple[Tube, str]], now) -> None:
    for tube_id, (_tube, value) in retest_tubes.items():
        status = FollowUpMemberStatus.POSITIVE if value == ResultValue.POSITIVE else FollowUpMemberStatus.NEGATIVE
        if value == ResultValue.INVALID:
            continue  # an invalid retest leaves the member isolating; a new retest task is created below
        members = list(FollowUpMember.objects.filter(retest_tube_id=tube_id, status=FollowUpMemberStatus.ISOLATING))
        for m in members:
            FollowUpMember.objects.filter(pk=m.pk, status=FollowUpMemberStatus.ISOLATING).update(
                status=status, result_at=now
            )
            if m.resident_id:
                RoundMember.objects.filter(round__follow_ups=m.follow_up_id, resident_id=m.resident_id).update(
                    result=value
                )
        for fu_id in {m.follow_up_id for m in members}:
            _maybe_close_follow_up(actor, fu_id, now)
    for tube_id, (_tube, value) in retest_tubes.items():
        if value == ResultValue.INVALID:
            for m in FollowUpMember.objects.filter(retest_tube_id=tube_id).select_related("resident", "follow_up"):
                if m.resident is None:
                    continue
                task = SamplingTask.objects.create(
                    round_id=m.follow_up.round_id,
                    kind=TaskKind.RETEST,
                    division_id=_division_id(m.resident.path),
                    household_id=m.household_id,
                    resident=m.resident,
                    path=m.resident.path,
                    mode=PoolingMode.SINGLE,
                    people=1,
                    follow_up=m.follow_up,
                    due_at=now + dt.timedelta(hours=rules().retest_within_hours),
                )
                FollowUpMember.objects.filter(pk=m.pk).update(retest_task=task, retest_tube=None)


def _maybe_close_follow_up(actor, fu_id: int, now) -> bool:
    if FollowUpMember.objects.filter(follow_up_id=fu_id, status=FollowUpMemberStatus.ISOLATING).exists():
        return False
    closed = PoolFollowUp.objects.filter(pk=fu_id, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.CLOSED, status_reason=ReasonCode.ALL_RETESTED, closed_at=now
    )
    PoolFollowUpStep.objects.filter(follow_up_id=fu_id, done_at__isnull=True).update(done_at=now)
    if closed:
        fu = PoolFollowUp.objects.get(pk=fu_id)
        audit.record(actor=actor, action="screening.follow_up_close", obj=fu, reason=ReasonCode.ALL_RETESTED)
    return bool(closed)


def follow_up_step_done(*, actor, step: PoolFollowUpStep, note: str = "", at=None) -> PoolFollowUpStep:
    """Mark a step done (e.g. every member confirmed isolated); conditional on it being open.
    Raises ValidationError when already done; PermissionDenied without FIELD_WORK or RUN_ROUNDS."""
    at = _now(at)
    if actor is not None and not (
        can(actor, Capability.RUN_ROUNDS, step.path) or can(actor, Capability.FIELD_WORK, step.path)
    ):
        raise PermissionDenied(_("%(user)s may not update this follow-up") % {"user": actor})
    with transaction.atomic():
        if PoolFollowUpStep.objects.filter(pk=step.pk, done_at__isnull=True).update(done_at=at, note=note[:300]) != 1:
            raise ValidationError({"step": _("this step is already done")})
        step.done_at, step.note = at, note
        audit.record(
            actor=actor,
            action="screening.step_done",
            object_type="screening.poolfollowupstep",
            object_id=str(step.pk),
            division_code=step.path,
            reason=step.kind,
        )
    return step
