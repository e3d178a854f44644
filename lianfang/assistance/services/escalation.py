"""The escalation tick (``manage.py requests_tick``, every minute): :func:`requests_tick` raises the
level of every ticket past a deadline, routes it up the chain and reports in a :class:`TickReport`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from lianfang.assistance import adapters, rules
from lianfang.assistance.models import (
    OPEN_STATUSES,
    EventKind,
    Notification,
    NotificationKind,
    Priority,
    ServiceRequest,
    Step,
    TicketEvent,
)
from lianfang.assistance.services.base import (
    _emergency_alert,
    _now,
)
from lianfang.core import bulk
from lianfang.core.models import AuditEntry


@dataclass
class TickReport:
    """What one ``requests_tick`` did: tickets ``checked``, ``escalated`` (with ``by_level`` counts),
    ``emergency_alerts`` sent, ``unrouted`` (escalated but nobody in the chain from that level up)."""

    checked: int = 0
    escalated: int = 0
    by_level: dict[int, int] = field(default_factory=dict)
    emergency_alerts: int = 0
    unrouted: int = 0

    def __str__(self) -> str:
        levels = ", ".join(f"L{k}: {v}" for k, v in sorted(self.by_level.items())) or "-"
        return (
            f"checked {self.checked}, escalated {self.escalated} ({levels}), "
            f"emergency alerts {self.emergency_alerts}, unrouted {self.unrouted}"
        )


_TICK_FIELDS = (
    "pk",
    "household_id",
    "path",
    "category",
    "priority",
    "status",
    "escalation_level",
    "sla_rule_set_id",
    "accept_due_at",
    "on_site_due_at",
    "fulfil_due_at",
    "accepted_at",
    "on_site_at",
    "fulfilled_at",
)


def requests_tick(*, now: dt.datetime | None = None, batch_size: int = 5000) -> TickReport:
    """Apply every escalation due at ``now`` (default: now); idempotent and safe to run every minute.

    Looks only at open tickets whose ``next_escalation_at`` has passed (an indexed range), computes the
    level each must have reached (rules.escalation), and for those that rise: sets the level and the
    routing (the nearest responsible person from the new level up, workforce.responsible_for in bulk),
    writes one timeline event, one notification for the person routed to and one audit entry each,
    alerts the gate duty post of every escalated emergency, and stores when to look again. A second run
    at the same instant changes nothing. Work is done in batches of ``batch_size`` tickets, each in one
    transaction (rows locked with SKIP LOCKED on PostgreSQL so two runs never process the same ticket).
    """
    now = _now(now)
    report = TickReport()
    tables: dict[int, rules.LimitTable] = {}
    while True:
        with transaction.atomic():
            # Only open tickets have a next check (fulfilling or closing clears it), so the status is checked
            # in Python: the query stays one range scan of the next-check index whatever the statistics say.
            due_rows = list(
                ServiceRequest.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .filter(next_escalation_at__lte=now)
                .order_by("next_escalation_at", "id")
                .values_list(*_TICK_FIELDS)[:batch_size]
            )
            if not due_rows:
                break
            _tick_batch(due_rows, now, tables, report)
        if len(due_rows) < batch_size:
            break
    return report


def _tick_batch(due_rows, now, tables, report: TickReport) -> None:
    from lianfang.assistance.models import SlaRuleSet  # noqa: PLC0415

    report.checked += len(due_rows)
    missing = {r[7] for r in due_rows} - set(tables)
    for rule_set in SlaRuleSet.objects.filter(pk__in=missing):
        tables[rule_set.pk] = rules.LimitTable(rule_set)
    rises: list[tuple] = []
    rechecks: list[tuple] = []
    stale: list[int] = []
    for row in due_rows:
        (pk, household_id, path, category, priority, status, level, rs, acc_due, site_due, ful_due, acc, site, ful) = (
            row
        )
        if status not in OPEN_STATUSES:
            stale.append(pk)  # not expected (leaving the open statuses clears the next check); never escalate
            continue
        limits = tables[rs].limits(category, priority)
        clock = rules.escalation(
            current_level=level,
            due={Step.ACCEPT: acc_due, Step.ON_SITE: site_due, Step.FULFIL: ful_due},
            reached={Step.ACCEPT: acc, Step.ON_SITE: site, Step.FULFIL: ful},
            limits=limits,
            now=now,
        )
        if clock.level < level:
            rises.append((pk, household_id, path, priority, level, clock.level, clock.next_check, clock.overdue))
        else:
            rechecks.append((pk, clock.next_check))
    adapt = connection.ops.adapt_datetimefield_value
    table = ServiceRequest._meta.db_table
    with connection.cursor() as cursor:
        rechecks.extend((pk, None) for pk in stale)
        if rechecks:
            cursor.executemany(
                f'UPDATE "{table}" SET "next_escalation_at" = %s WHERE "id" = %s',  # noqa: S608
                [(adapt(nxt), pk) for pk, nxt in rechecks],
            )
        if not rises:
            return
        day = timezone.localdate(now)
        routes = adapters.route_many([(r[1], r[5]) for r in rises], day)
        cursor.executemany(
            f'UPDATE "{table}" SET "escalation_level" = %s, "escalated_at" = %s, "next_escalation_at" = %s, '  # noqa: S608
            '"routed_worker_id" = %s, "routed_level" = %s, "updated_at" = %s '
            'WHERE "id" = %s AND "escalation_level" = %s',
            [
                (
                    new,
                    adapt(now),
                    adapt(nxt),
                    routes[(h, new)][0].pk if (h, new) in routes else None,
                    routes[(h, new)][1] if (h, new) in routes else None,
                    adapt(now),
                    pk,
                    old,
                )
                for pk, h, _path, _prio, old, new, nxt, _over in rises
            ],
        )
    events, notes = [], []
    for pk, h, path, _prio, old, new, _nxt, overdue in rises:
        worker, routed_level = routes.get((h, new), (None, None))
        report.by_level[new] = report.by_level.get(new, 0) + 1
        if worker is None:
            report.unrouted += 1
        events.append(
            (
                pk,
                path,
                adapt(now),
                None,
                "",
                EventKind.ESCALATED,
                "",
                "",
                EventKind.ESCALATED,
                "",
                new,
                False,
                _json(
                    {
                        "from": old,
                        "to": new,
                        "overdue": list(overdue),
                        "routed_worker": worker.pk if worker else None,
                        "routed_level": routed_level,
                    }
                ),
            )
        )
        if worker is not None:
            notes.append((pk, path, NotificationKind.ESCALATION, new, worker.pk, worker.user_id, adapt(now), None))
    report.escalated += len(rises)
    bulk.insert_rows(
        TicketEvent,
        [
            "ticket_id",
            "path",
            "at",
            "actor_id",
            "actor_name",
            "kind",
            "from_status",
            "to_status",
            "reason_code",
            "note",
            "level",
            "public",
            "detail",
        ],
        events,
    )
    bulk.insert_rows(
        Notification,
        ["ticket_id", "path", "kind", "level", "recipient_worker_id", "recipient_user_id", "created_at", "read_at"],
        notes,
    )
    # The audit entries record_many would write, without building 2 × N model instances (a backlog is thousands).
    stamp = adapt(timezone.now())
    bulk.insert_rows(
        AuditEntry,
        ["at", "actor_id", "action", "object_type", "object_id", "division_code", "reason", "detail"],
        [
            (
                stamp,
                None,
                "escalate",
                "assistance.servicerequest",
                str(pk),
                path,
                EventKind.ESCALATED,
                _json({"from": old, "to": new}),
            )
            for pk, _h, path, _prio, old, new, _nxt, _over in rises
        ],
    )
    emergencies = [r[0] for r in rises if r[3] == Priority.EMERGENCY]
    if emergencies:
        for ticket in ServiceRequest.objects.filter(pk__in=emergencies).select_related(
            "household", "compound", "community"
        ):
            _emergency_alert(ticket, at=now, reason="escalation")
            report.emergency_alerts += 1


def _json(value) -> str:
    import json  # noqa: PLC0415

    return json.dumps(value)
