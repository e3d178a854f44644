"""Reads over field operations: tiers at gates, who is responsible for a place, roster gaps,
patrol misses, overdue disinfection, monitoring without a check-in, the daily briefing, and the
close-contact evidence provided to zones.

Functions taking ``user`` return only rows ``Model.objects.visible_to(user)`` gives. Days are local
dates (Asia/Shanghai); ``at`` values are aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Level
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.models import (
    DisinfectionSchedule,
    DutyShift,
    DutyStatus,
    Gate,
    HealthCheckIn,
    HomeMonitoring,
    MonitoringStatus,
    PersonCategory,
    PersonStatus,
    QuarantineTest,
    ScreenedPerson,
    TestResult,
)

COMPOUND_LEN = CODE_LENGTHS[Level.COMPOUND]
COMMUNITY_LEN = CODE_LENGTHS[Level.COMMUNITY]


# --------------------------------------------------------------------------------------------- tiers


def tier_keys_of_paths(paths: Iterable[str], *, on=None) -> dict[str, str]:
    """``{path: tier key or ""}`` for division codes at ``on`` (None: now; a date: the end of that
    day; an aware datetime), from zones.selectors.tier_of_paths (the strictest tier covering the
    node or an ancestor). Two queries."""
    from lianfang.zones.selectors import tier_of_paths  # noqa: PLC0415

    return {path: (tier.key if tier else "") for path, tier in tier_of_paths(list(paths), on=on).items()}


def tier_key_of_path(path: str, *, on=None) -> str:
    """The tier key (``sealed``, ``controlled``, ...) in force at node ``path``; ``""`` outside every area."""
    return tier_keys_of_paths([path], on=on)[path]


# --------------------------------------------------------------------------------------------- responsibility


def responsible_worker(code: str, *, on: dt.date | None = None):
    """The worker answerable for the place ``code`` (a gate's or checkpoint's division) on ``on``:
    the L3 person of its compound/village group; without one, the L2 cadre of the compound or its
    community; without one, the L1 person of the community (workforce responsibility grid, domain.md
    §1 "responsibility assignment"). Returns a workforce Worker or None (a gap). One query."""
    from lianfang.workforce.models import ResponsibilityAssignment, active_on_q  # noqa: PLC0415

    day = on or timezone.localdate()
    compound = code[:COMPOUND_LEN] if len(code) >= COMPOUND_LEN else None
    community = code[:COMMUNITY_LEN]
    units = [community] + ([compound] if compound else [])
    rows = (
        ResponsibilityAssignment.objects.filter(active_on_q(day), household__isnull=True, division__code__in=units)
        .select_related("worker", "division")
        .order_by("-level")
    )
    found = {(a.level, a.division.code): a.worker for a in rows}
    for key in ((3, compound), (2, compound), (2, community), (1, community)):
        if key[1] and key in found:
            return found[key]
    return None


GUARD_PICKER_LIMIT = 100


def gate_cover_q(path: str, *, on: dt.date) -> Q:
    """Q over workforce Workers whose place covers a gate at ``path`` (its division's code) on
    ``on``: based at that division, above it (its community, street … up to the district) or inside
    it (a building of the compound), or deployed or responsible there (a Deployment, or a
    ResponsibilityAssignment of a division, in force on ``on`` at, above or inside it). Workers of
    another compound or community do not (new-user trial 16)."""
    from lianfang.workforce.models import Deployment, ResponsibilityAssignment, active_on_q  # noqa: PLC0415

    above = [path[:n] for n in sorted(set(CODE_LENGTHS.values())) if n <= len(path)]
    here = Q(path__in=above) | subtree_q("path", path)
    deployed = Deployment.objects.filter(here, active_on_q(on), worker=OuterRef("pk"))
    responsible = ResponsibilityAssignment.objects.filter(
        here, active_on_q(on), household__isnull=True, worker=OuterRef("pk")
    )
    return here | Exists(deployed) | Exists(responsible)


def gate_workers(*, user, gate: Gate, on: dt.date, query: str = "", limit: int | None = None):
    """``(workers, total)``: the workers ``user`` sees who may guard ``gate`` on ``on``
    (:func:`gate_cover_q`), by name, whose name or pinyin initials contain ``query`` (all when
    blank); at most ``limit`` (default :data:`GUARD_PICKER_LIMIT`) of them, ``total`` counting them
    all (a picker says when it shows fewer). One query, a second (the count) only when there are
    more than ``limit``."""
    from lianfang.workforce.models import Worker  # noqa: PLC0415

    rows = Worker.objects.visible_to(user).filter(gate_cover_q(gate.path, on=on))
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(name_initials__icontains=query.lower()))
    limit = limit or GUARD_PICKER_LIMIT
    found = list(rows.order_by("name", "id")[: limit + 1])
    return found[:limit], (rows.count() if len(found) > limit else len(found))


def representatives_of(household_ids: Iterable[int], *, on: dt.date | None = None) -> dict[int, object]:
    """``{household_id: Worker}`` of the household representatives (L4) on ``on``, through
    workforce.selectors.responsible_for (two queries at most)."""
    from lianfang.workforce.selectors import responsible_for  # noqa: PLC0415

    return {hid: a.worker for hid, a in responsible_for(list(household_ids), 4, on=on).items()}


def worker_of(user):
    """The workforce Worker linked to ``user`` (or None)."""
    from lianfang.workforce.models import Worker  # noqa: PLC0415

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Worker.objects.filter(user_id=user.pk).first()


# --------------------------------------------------------------------------------------------- roster


@dataclass
class GateCoverage:
    """One gate's duty on a day: ``needs_duty`` (its tier requires 24-hour duty), the ``tier_key``,
    the shifts overlapping the day, and ``gaps`` — ``[(start, end)]`` when no assigned guard is
    planned or on duty (missed and cancelled shifts do not cover) — with ``uncovered_hours``."""

    gate: Gate
    tier_key: str
    needs_duty: bool
    shifts: list[DutyShift] = field(default_factory=list)
    gaps: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    # the roster page's guard picker (views.roster, :func:`gate_workers`): None when not shown
    guards: list = field(default_factory=list)
    guards_total: int | None = None

    @property
    def uncovered_hours(self) -> float:
        return round(sum((b - a).total_seconds() for a, b in self.gaps) / 3600, 2)

    @property
    def gap_labels(self) -> list[str]:
        """The gaps as local ``"00:00–08:00"`` texts."""
        from lianfang.fieldops.models import hours_label  # noqa: PLC0415

        return [hours_label(a, b) for a, b in self.gaps]

    @property
    def tier_name(self) -> str:
        """The tier's name in the active language (``""`` outside every area)."""
        from lianfang.zones.models import TierKey  # noqa: PLC0415

        return str(TierKey(self.tier_key).label) if self.tier_key in TierKey.values else ""


COVERING_STATUSES = (DutyStatus.PLANNED, DutyStatus.ON_DUTY, DutyStatus.COMPLETED)


def roster_coverage(*, user, code: str, day: dt.date) -> list[GateCoverage]:
    """Coverage of every open gate under ``code`` visible to ``user`` on local ``day``.

    A gate whose tier is in the field rule set's ``duty_tiers`` needs a guard around the clock;
    every hour of the day without an assigned guard (a shift planned, on duty or completed, with a
    worker) is a gap, counted per gate (guards beyond the first do not add coverage). Queries: the
    gates, the tiers (two), the shifts — four in all, whatever the number of gates. Raises
    ValidationError ``{"day": [...]}`` naming the day when no field rule set was in force then.
    """
    rules = field_rules.rules_on(day)
    start, end = field_rules.day_bounds(day)
    gates = list(Gate.objects.visible_to(user).within(code).filter(is_active=True).select_related("division"))
    tiers = tier_keys_of_paths([g.path for g in gates], on=day) if gates else {}
    shifts_by_gate: dict[int, list[DutyShift]] = defaultdict(list)
    for shift in (
        DutyShift.objects.filter(gate__in=[g.pk for g in gates], starts_at__lt=end, ends_at__gt=start)
        .select_related("worker")
        .order_by("starts_at", "slot")
    ):
        shifts_by_gate[shift.gate_id].append(shift)
    result = []
    for gate in gates:
        shifts = shifts_by_gate.get(gate.pk, [])
        covered = [(s.starts_at, s.ends_at) for s in shifts if s.worker_id and s.status in COVERING_STATUSES]
        tier_key = tiers.get(gate.path, "")
        needs = tier_key in (rules.duty_tiers or [])
        gaps = field_rules.uncovered_intervals(covered, start, end) if needs else []
        result.append(GateCoverage(gate=gate, tier_key=tier_key, needs_duty=needs, shifts=shifts, gaps=gaps))
    return result


def shifts_of_worker(worker, *, start: dt.datetime, end: dt.datetime):
    """The worker's duty shifts overlapping ``[start, end)``, with their gates (a queryset)."""
    return (
        DutyShift.objects.filter(worker=worker, starts_at__lt=end, ends_at__gt=start)
        .exclude(status=DutyStatus.CANCELLED)
        .select_related("gate", "gate__division")
        .order_by("starts_at")
    )


# --------------------------------------------------------------------------------------------- disinfection


def schedules_with_due(queryset, *, now: dt.datetime | None = None) -> list[DisinfectionSchedule]:
    """Schedules of ``queryset`` annotated with ``last_done`` (latest log), and set with ``due_at``
    (last done, or creation, plus the interval) and ``overdue`` (due before ``now``). One query."""
    now = now or timezone.now()
    rows = list(queryset.annotate(last_done=Max("logs__done_at")).select_related("division"))
    for s in rows:
        s.due_at = (s.last_done or s.created_at) + dt.timedelta(hours=s.interval_hours)
        s.overdue = s.is_active and s.due_at < now
    return rows


# --------------------------------------------------------------------------------------------- monitoring


def monitorings_without_check_in(queryset, day: dt.date):
    """Active monitorings of ``queryset`` covering ``day`` with no check-in for that day (a queryset)."""
    done = HealthCheckIn.objects.filter(monitoring=OuterRef("pk"), day=day)
    return queryset.filter(status=MonitoringStatus.ACTIVE, starts_on__lte=day, ends_on__gte=day).filter(~Exists(done))


def household_monitorings(household, *, day: dt.date):
    """The household's active monitorings covering ``day``, with ``checked_in`` (today's check-in or None)."""
    rows = list(
        HomeMonitoring.objects.filter(
            household=household, status=MonitoringStatus.ACTIVE, starts_on__lte=day, ends_on__gte=day
        ).order_by("id")
    )
    check_ins = {c.monitoring_id: c for c in HealthCheckIn.objects.filter(monitoring__in=rows, day=day)}
    for m in rows:
        m.checked_in = check_ins.get(m.pk)
    return rows


# --------------------------------------------------------------------------------------------- contacts


def contact_evidence(*, codes, infection_ids, until: dt.date):
    """zones evidence provider (docs/zones.md, zones.evidence.register_contact_provider): the close
    contacts of ``infection_ids`` (or, without infections, living inside ``codes``) known on
    ``until``: how many, the LAST exposure day, and whether every one tested negative.

    ``all_negative`` is False when any close contact tested positive; None while a close contact has
    a test due on or before ``until`` still pending, or no negative result yet; True otherwise.
    Returns None when no close contact was ever traced here (the condition then stays unknown
    unless another provider or a manual record speaks). Two queries.
    """
    q = Q(infection_id__in=list(infection_ids)) if infection_ids else Q()
    if not infection_ids:
        for code in codes:
            q |= subtree_q("path", code)
        if not q:
            return None
    people = list(
        ScreenedPerson.objects.filter(q, category=PersonCategory.CLOSE_CONTACT, last_exposure_on__lte=until)
        .exclude(status=PersonStatus.TRANSFERRED_OUT)
        .values_list("pk", "last_exposure_on")
    )
    from lianfang.zones.evidence import ContactEvidence  # noqa: PLC0415

    if not people:
        return None
    ids = [pk for pk, _ in people]
    last = max(day for _, day in people)
    tests = QuarantineTest.objects.filter(person_id__in=ids, due_on__lte=until).exclude(result=TestResult.CANCELLED)
    results = defaultdict(list)
    for person_id, result in tests.values_list("person_id", "result"):
        results[person_id].append(result)
    if any(TestResult.POSITIVE in r for r in results.values()):
        all_negative = False
    elif any(TestResult.PENDING in results.get(pk, [TestResult.PENDING]) for pk in ids):
        all_negative = None
    else:
        all_negative = True
    return ContactEvidence(count=len(ids), last_exposure_on=last, all_negative=all_negative, source="fieldops")


def household_notices(household) -> list:
    """For the household's QR page (assistance.hooks household-notice provider): the published
    notices of its compound, community or control area (latest five, with their public link), and a
    reminder while someone in it is under home health monitoring. Two queries."""
    from django.urls import reverse  # noqa: PLC0415
    from django.utils.translation import gettext as _  # noqa: PLC0415

    from lianfang.fieldops import adapters  # noqa: PLC0415
    from lianfang.fieldops.models import Notice, NoticeStatus  # noqa: PLC0415

    prefixes = [household.path[:n] for n in (12, 15, 18, 20) if n <= len(household.path)]
    items = []
    for notice in Notice.objects.filter(status=NoticeStatus.PUBLISHED, path__in=prefixes).order_by("-published_at")[:5]:
        items.append(
            adapters.household_notice(
                title=notice.title,
                body=notice.body[:300],
                url=reverse("fieldops:notice_public", args=[notice.token]),
                at=notice.published_at,
            )
        )
    day = timezone.localdate()
    if HomeMonitoring.objects.filter(
        household=household, status=MonitoringStatus.ACTIVE, starts_on__lte=day, ends_on__gte=day
    ).exists():
        items.append(
            adapters.household_notice(
                title=_("Home health monitoring"),
                body=_("Report today's temperature and symptoms with the check-in card, or tell your representative."),
            )
        )
    return [i for i in items if i is not None]
