"""Reads over the responsibility grid: the chain of a household, who is responsible in bulk, coverage.

Other apps (service requests, positive-pool follow-ups, escalations) call :func:`responsibility_chain`
and :func:`responsible_for`. Days are dates in the district's time zone (settings.TIME_ZONE); ``on=None``
means today there. Reads that take ``user`` return only rows ``Model.objects.visible_to(user)`` gives;
pass :data:`SYSTEM` for unscoped reads (management commands, benchmarks), never from a view.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.divisions.models import Division, Level
from lianfang.registry.models import Household
from lianfang.workforce.models import (
    Deployment,
    GridRuleSet,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    Worker,
    active_on_q,
)

SYSTEM = object()
"""Pass as ``user`` for an unscoped read (management commands, benchmarks)."""

L1, L2, L3, L4 = (ResponsibilityLevel.L1, ResponsibilityLevel.L2, ResponsibilityLevel.L3, ResponsibilityLevel.L4)


def scoped(model, user) -> QuerySet:
    """``model.objects.visible_to(user)``, or every row for :data:`SYSTEM`."""
    return model.objects.all() if user is SYSTEM else model.objects.visible_to(user)


def _day(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def rules_on(day: dt.date, param: str = "on") -> GridRuleSet:
    """The GridRuleSet in force on ``day``. Raises ValidationError ``{param: [message]}`` naming the day
    and that no grid rule set was in force then (with the first day one was, when there is one) — a
    400 on pages and in the API, never GridRuleSet.DoesNotExist."""
    try:
        return GridRuleSet.in_force(day)
    except GridRuleSet.DoesNotExist:
        first = GridRuleSet.objects.order_by("effective_from").values_list("effective_from", flat=True).first()
        if first is None:
            message = _("No grid rule set was in force on “%(day)s”.") % {"day": day.isoformat()}
        else:
            message = _("No grid rule set was in force on “%(day)s” (the first took effect on %(first)s).") % {
                "day": day.isoformat(),
                "first": first.isoformat(),
            }
        raise ValidationError({param: [message]}) from None


# ---------------------------------------------------------------------------------- chain, in bulk


def responsibility_chain(
    household: Household, on: dt.date | None = None
) -> list[tuple[int, ResponsibilityAssignment | None]]:
    """Who is answerable for ``household`` on day ``on`` at each level, from L4 up to L1.

    Returns exactly four pairs ``[(4, a4), (3, a3), (2, a2), (1, a1)]``; an element is the active
    ResponsibilityAssignment (with ``worker`` loaded: ``a.worker.name``, ``a.worker.phone_masked``,
    ``a.worker.phone_plain()`` after a REVEAL_PII check) or None where nobody is responsible (a gap).
    L4 is the household's representative; L3 the staff member for its compound/village group (None for
    a household outside any compound); L2 the cadre for its compound, else for its community; L1 the
    street/town leadership member for its community. One query. No scope check: call it for a
    household the caller may already see.
    """
    day = _day(on)
    units = [household.community_id] + ([household.compound_id] if household.compound_id else [])
    rows = (
        ResponsibilityAssignment.objects.filter(
            Q(household_id=household.pk) | Q(household__isnull=True, division_id__in=units)
        )
        .filter(active_on_q(day))
        .select_related("worker", "division")
    )
    found: dict[tuple[int, int | None], ResponsibilityAssignment] = {}
    for a in rows:
        found[(a.level, None if a.level == L4 else a.division_id)] = a
    compound = household.compound_id
    return [
        (L4, found.get((L4, None))),
        (L3, found.get((L3, compound)) if compound else None),
        (L2, (found.get((L2, compound)) if compound else None) or found.get((L2, household.community_id))),
        (L1, found.get((L1, household.community_id))),
    ]


def responsible_for(
    household_ids: Iterable[int] | QuerySet, level: int, on: dt.date | None = None
) -> dict[int, ResponsibilityAssignment]:
    """``{household_id: assignment}`` for the households responsible at ``level`` on day ``on``.

    ``household_ids`` is any iterable of ids or a queryset of ids (``qs.values("pk")``, used as a
    subquery). Households with nobody at that level are absent from the result. Each assignment has
    ``worker`` loaded; the same assignment object is shared by every household of an L1-L3 unit. The
    unit rules are those of :func:`responsibility_chain`. Two queries at most, whatever the number of
    households. Raises ValueError for an unknown level.
    """
    if level not in ResponsibilityLevel.values:
        raise ValueError(f"unknown responsibility level {level!r}")
    day = _day(on)
    ids = household_ids if isinstance(household_ids, QuerySet) else list(household_ids)
    active = ResponsibilityAssignment.objects.filter(active_on_q(day)).select_related("worker")
    if level == L4:
        # household set ⇔ level 4 (database constraint); filtering on the household alone lets the
        # (household, starts_on) index drive the query.
        return {a.household_id: a for a in active.filter(household_id__in=ids).order_by()}
    placed = list(Household.objects.filter(pk__in=ids).values_list("pk", "community_id", "compound_id"))
    units = {c for _pk, c, _k in placed} | {k for _pk, _c, k in placed if k}
    by_division = {
        a.division_id: a for a in active.filter(level=level, household__isnull=True, division_id__in=units).order_by()
    }
    result = {}
    for pk, community, compound in placed:
        if level == L1:
            a = by_division.get(community)
        elif level == L3:
            a = by_division.get(compound) if compound else None
        else:
            a = (by_division.get(compound) if compound else None) or by_division.get(community)
        if a is not None:
            result[pk] = a
    return result


# ---------------------------------------------------------------------------------------- coverage


@dataclass
class CoverageCounts:
    """Counts for one row of the coverage report.

    ``households`` and ``households_without_l4``; ``units[level]`` and ``gaps[level]`` for L1 (communities
    with households), L2 (compounds with households, and communities with households outside any
    compound) and L3 (compounds with households); ``outside_scope``: people holding an active assignment
    whose unit lies outside their base division and active deployments; ``overloaded``: representatives with more
    active households than the rule set's threshold.
    """

    households: int = 0
    households_without_l4: int = 0
    units: dict[int, int] = field(default_factory=lambda: {L1: 0, L2: 0, L3: 0})
    gaps: dict[int, int] = field(default_factory=lambda: {L1: 0, L2: 0, L3: 0})
    outside_scope: int = 0
    overloaded: int = 0

    @property
    def has_problems(self) -> bool:
        return bool(self.households_without_l4 or any(self.gaps.values()) or self.outside_scope or self.overloaded)

    def as_dict(self) -> dict:
        return {
            "households": self.households,
            "households_without_l4": self.households_without_l4,
            "units": {f"l{k}": v for k, v in self.units.items()},
            "gaps": {f"l{k}": v for k, v in self.gaps.items()},
            "outside_scope": self.outside_scope,
            "overloaded": self.overloaded,
        }


@dataclass
class CoverageReport:
    """The coverage of ``division`` on ``on``: ``rows`` per child division (streets of a district,
    communities of a street, compounds of a community; none below), ``totals`` for the whole subtree,
    the ``rules`` used, and what is behind the gap counts: ``gap_units[level]`` (division codes of the
    units without anyone at L1-L3) and ``overloaded_workers`` (``{worker_id: households}``)."""

    division: Division
    on: dt.date
    rules: GridRuleSet
    rows: list[tuple[Division, CoverageCounts]]
    totals: CoverageCounts
    gap_units: dict[int, set[str]]
    overloaded_workers: dict[int, int]


def _outside_scope_q(day: dt.date):
    """Boolean expression: the assignment's unit is neither under the worker's base division nor under
    one of the worker's deployments active on ``day``. Prefix tests are ``substr(path, 1, len(prefix))
    = prefix`` (equality: right under any collation, and cheaper than LIKE with escapes)."""
    in_base = Exact(Substr("path", 1, Length("worker__path")), F("worker__path"))
    deployed_there = (
        Deployment.objects.filter(active_on_q(day), worker=OuterRef("worker_id"))
        .annotate(prefix=Substr(OuterRef("path"), 1, Length("path")))
        .filter(prefix=F("path"))
    )
    return ~Q(in_base) & ~Exists(deployed_there)


def outside_scope_assignments(*, user, code: str, on: dt.date | None = None) -> QuerySet:
    """Active assignments under ``code`` held by someone outside their scope (see CoverageCounts)."""
    day = _day(on)
    return (
        scoped(ResponsibilityAssignment, user)
        .within(code)
        .filter(active_on_q(day))
        .filter(_outside_scope_q(day))
        .select_related("worker", "division", "household")
        .order_by("level", "path", "id")
    )


def _overloaded(user, code: str, day: dt.date, threshold: int) -> list[dict]:
    return list(
        scoped(ResponsibilityAssignment, user)
        .within(code)
        .filter(active_on_q(day), level=L4)
        .values("worker_id")
        .annotate(n=Count("id"), first_path=Min("path"))
        .filter(n__gt=threshold)
        .order_by("-n", "worker_id")
    )


def overloaded_representatives(*, user, code: str, on: dt.date | None = None) -> list[tuple[Worker, int]]:
    """``[(worker, active households)]`` for representatives above the overload threshold of the rule
    set in force on ``on``, most loaded first (households counted under ``code`` only)."""
    day = _day(on)
    rows = _overloaded(user, code, day, rules_on(day).overload_threshold)
    workers = Worker.objects.in_bulk([r["worker_id"] for r in rows])
    return [(workers[r["worker_id"]], r["n"]) for r in rows]


def households_without_representative(*, user, code: str, on: dt.date | None = None) -> QuerySet:
    """Households under ``code`` visible to ``user`` with no active L4 assignment on ``on``."""
    day = _day(on)
    covered = ResponsibilityAssignment.objects.filter(active_on_q(day), level=L4, household_id=OuterRef("pk"))
    return scoped(Household, user).within(code).filter(~Exists(covered)).order_by("path", "room", "id")


def _cell(path: str) -> str:
    """The grid cell of a division code: its compound (15 digits) or, above that, its community (12)."""
    return path[:15] if len(path) >= 15 else path[:12]


def _outside_scope_cells(rows: list[tuple], district_id: int, day: dt.date) -> dict[str, set[int]]:
    """``{cell code: {worker_id}}`` for people holding an active assignment outside their scope (see
    CoverageCounts), from ``rows`` of ``(level, path, worker_id, n)``. Almost every row lies under the
    worker's base division and is settled by a string prefix test; only the others are checked
    against the worker's deployments active on ``day`` (one small query)."""
    worker_ids = {worker_id for _level, _path, worker_id, _n in rows}
    holders = Worker.objects.filter(pk__in=worker_ids)
    if len(worker_ids) > 500:  # a street or a district: read its district's workers, not 10 k parameters
        holders = Worker.objects.filter(district_id=district_id)
    bases = dict(holders.values_list("pk", "path"))
    doubtful = [(path, worker_id) for _level, path, worker_id, _n in rows if not path.startswith(bases[worker_id])]
    outside: dict[str, set[int]] = defaultdict(set)
    if not doubtful:
        return outside
    deployed = defaultdict(list)
    for worker_id, path in Deployment.objects.filter(
        active_on_q(day), worker_id__in={w for _p, w in doubtful}
    ).values_list("worker_id", "path"):
        deployed[worker_id].append(path)
    for path, worker_id in doubtful:
        if not any(path.startswith(prefix) for prefix in deployed[worker_id]):
            outside[_cell(path)].add(worker_id)
    return outside


def coverage(*, user, division: Division, on: dt.date | None = None) -> CoverageReport:
    """The responsibility-grid coverage of ``division`` (a district, street, community or below) on ``on``.

    Two grouped passes, both read in index order without sorting: the households counted per division
    code (``registry_household.path`` index) and the active assignments per (level, unit code, worker)
    (the covering ``assignment_cover_idx``); everything else is derived from those codes in Python,
    whatever the size of the district (no per-household loop: a unit or building holds many). Rows
    exist for a district, street or community (its children); the totals always cover the whole
    subtree. The overload threshold is the GridRuleSet in force on the day. Raises
    ValidationError ``{"on": [...]}`` naming the day when no rule set was in force then (:func:`rules_on`).
    """
    day = _day(on)
    rules = rules_on(day)
    code = division.code
    children = (
        list(Division.objects.filter(parent=division).order_by("code")) if division.level <= Level.COMMUNITY else []
    )
    households: dict[str, int] = defaultdict(int)
    for path, n in scoped(Household, user).within(code).values_list("path").annotate(n=Count("id")).order_by():
        households[_cell(path)] += n
    rows = list(
        scoped(ResponsibilityAssignment, user)
        .within(code)
        .filter(active_on_q(day))
        .values_list("level", "path", "worker_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    covered: dict[str, int] = defaultdict(int)
    loads: dict[int, int] = defaultdict(int)
    first_path: dict[int, str] = {}
    held: dict[int, set[str]] = defaultdict(set)
    for level, path, worker_id, n in rows:
        if level == L4:
            covered[_cell(path)] += n
            loads[worker_id] += n
            first_path[worker_id] = min(path, first_path.get(worker_id, path))
        else:
            held[level].add(path)
    outside = _outside_scope_cells(rows, division.district_id or division.pk, day) if rows else {}
    overloaded = {w: n for w, n in loads.items() if n > rules.overload_threshold}

    units: dict[int, set[str]] = {L1: set(), L2: set(), L3: set()}
    gap_units: dict[int, set[str]] = {L1: set(), L2: set(), L3: set()}
    for cell in households:
        community = cell[:12]
        units[L1].add(community)
        if community not in held[L1]:
            gap_units[L1].add(community)
        units[L2].add(cell)
        if cell not in held[L2] and community not in held[L2]:
            gap_units[L2].add(cell)
        if len(cell) == 15:
            units[L3].add(cell)
            if cell not in held[L3]:
                gap_units[L3].add(cell)

    def add(counts: CoverageCounts, prefix: str) -> CoverageCounts:
        for cell, n in households.items():
            if cell.startswith(prefix):
                counts.households += n
                counts.households_without_l4 += n - covered.get(cell, 0)
        counts.outside_scope = len(set().union(*(w for cell, w in outside.items() if cell.startswith(prefix))))
        for level in (L1, L2, L3):
            counts.units[level] = sum(1 for u in units[level] if u.startswith(prefix))
            counts.gaps[level] = sum(1 for u in gap_units[level] if u.startswith(prefix))
        counts.overloaded = sum(1 for w in overloaded if first_path[w].startswith(prefix))
        return counts

    return CoverageReport(
        division=division,
        on=day,
        rules=rules,
        rows=[(child, add(CoverageCounts(), child.code)) for child in children],
        totals=add(CoverageCounts(), ""),
        gap_units=gap_units,
        overloaded_workers=dict(sorted(overloaded.items(), key=lambda item: (-item[1], item[0]))),
    )


def unit_gaps(*, user, division: Division, level: int, on: dt.date | None = None) -> list[Division]:
    """The units under ``division`` with nobody responsible at ``level`` (1-3) on ``on``, by code."""
    report = coverage(user=user, division=division, on=on)
    return list(Division.objects.filter(code__in=report.gap_units[level]).order_by("code"))


def worker_loads(worker_ids: Iterable[int], on: dt.date | None = None) -> dict[tuple[int, int], int]:
    """``{(worker_id, level): active assignments}`` on ``on`` for ``worker_ids`` (one grouped query)."""
    day = _day(on)
    rows = (
        ResponsibilityAssignment.objects.filter(active_on_q(day), worker_id__in=list(worker_ids))
        .values("worker_id", "level")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["worker_id"], r["level"]): r["n"] for r in rows}
