"""The recurring work of screening (:func:`screening_tick`, run by ``manage.py screening_tick``):
overdue results flagged, overdue follow-up steps escalated up the responsibility chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from lianfang.core import audit
from lianfang.registry.models import Household
from lianfang.screening.models import FollowUpMember, FollowUpStatus, PoolFollowUpStep, ReasonCode, Tube, TubeStatus
from lianfang.screening.services.base import _now, rules
from lianfang.screening.services.follow_ups import _notify_chain


@dataclass
class TickReport:
    """What :func:`screening_tick` did: tubes flagged overdue, steps escalated, notices written."""

    tubes_flagged: int = 0
    steps_escalated: int = 0
    notices: int = 0


def screening_tick(*, actor=None, at: dt.datetime | None = None) -> TickReport:
    """Recurring work (idempotent; run by ``manage.py screening_tick`` from cron):

    - closed tubes without a result after ``result_overdue_hours`` (24 h) get ``pending_flagged_at``;
    - an overdue follow-up step climbs one level of the 包保 chain (L3, L2, then L1) every
      ``escalate_every_hours`` after its deadline, writing notices to the people at that level.
    """
    at = _now(at)
    r = rules()
    report = TickReport()
    report.tubes_flagged = Tube.objects.filter(
        status=TubeStatus.CLOSED,
        closed_at__lt=at - dt.timedelta(hours=r.result_overdue_hours),
        pending_flagged_at__isnull=True,
    ).update(pending_flagged_at=at)
    every = dt.timedelta(hours=r.escalate_every_hours)
    overdue = PoolFollowUpStep.objects.filter(
        done_at__isnull=True, due_at__lt=at, follow_up__status=FollowUpStatus.OPEN
    ).select_related("follow_up__tube")
    for step in overdue:
        current = step.escalated_level or 4
        if current <= 1:
            continue
        since = step.escalated_at or step.due_at
        if step.escalated_level is not None and at - since < every:
            continue
        level = current - 1
        with transaction.atomic():
            changed = PoolFollowUpStep.objects.filter(pk=step.pk, escalated_level=step.escalated_level).update(
                escalated_level=level, escalated_at=at
            )
            if changed != 1:
                continue
            households = list(
                Household.objects.filter(
                    pk__in=FollowUpMember.objects.filter(follow_up=step.follow_up).values("household_id")
                )
            )
            report.notices += _notify_chain(step.follow_up, households, step.follow_up.tube, level_only=level)
            report.steps_escalated += 1
            audit.record(
                actor=actor,
                action="screening.escalate",
                object_type="screening.poolfollowupstep",
                object_id=str(step.pk),
                division_code=step.path,
                reason=ReasonCode.OVERDUE,
                detail={"level": level, "kind": step.kind},
            )
    return report
