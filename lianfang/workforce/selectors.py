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

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact
from django.utils import timezone

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
    the ``rules`` used, and the id sets behind the gap counts (``gap_units[level]``: Division ids;
    ``overloaded_workers``: ``{worker_id: households}``)."""

    division: Division
    on: dt.date
    rules: GridRuleSet
    rows: list[tuple[Division, CoverageCounts]]
    totals: CoverageCounts
    gap_units: dict[int, set[int]]
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
    rows = _overloaded(user, code, day, GridRuleSet.in_force(day).overload_threshold)
    workers = Worker.objects.in_bulk([r["worker_id"] for r in rows])
    return [(workers[r["worker_id"]], r["n"]) for r in rows]


def households_without_representative(*, user, code: str, on: dt.date | None = None) -> QuerySet:
    """Households under ``code`` visible to ``user`` with no active L4 assignment on ``on``."""
    day = _day(on)
    covered = ResponsibilityAssignment.objects.filter(active_on_q(day), level=L4, household_id=OuterRef("pk"))
    return scoped(Household, user).within(code).filter(~Exists(covered)).order_by("path", "room", "id")


def _outside_by_cell(active: QuerySet, groups: list[dict], day: dt.date) -> dict[tuple[int, int | None], set[int]]:
    """``{(community_id, compound_id): {worker_id}}`` for people holding an active assignment outside
    their scope (see CoverageCounts), from ``groups`` (per worker, level and cell: ``low``/``high`` =
    the first/last unit code). Codes with one prefix form one contiguous range, so a group whose first
    and last codes are under the worker's base division lies wholly inside it; only the other groups'
    rows are read again and checked against the worker's deployments active on ``day``."""
    bases = dict(Worker.objects.filter(pk__in={g["worker_id"] for g in groups}).values_list("pk", "path"))
    doubtful = [
        g
        for g in groups
        if not (g["low"].startswith(bases[g["worker_id"]]) and g["high"].startswith(bases[g["worker_id"]]))
    ]
    outside: dict[tuple[int, int | None], set[int]] = defaultdict(set)
    if not doubtful:
        return outside
    workers = {g["worker_id"] for g in doubtful}
    deployed = defaultdict(list)
    for worker_id, path in Deployment.objects.filter(active_on_q(day), worker_id__in=workers).values_list(
        "worker_id", "path"
    ):
        deployed[worker_id].append(path)
    rows = active.filter(worker_id__in=workers).values_list("worker_id", "community_id", "compound_id", "path")
    for worker_id, community, compound, path in rows:
        prefixes = (bases[worker_id], *deployed[worker_id])
        if not any(path.startswith(p) for p in prefixes):
            outside[(community, compound)].add(worker_id)
    return outside


def coverage(*, user, division: Division, on: dt.date | None = None) -> CoverageReport:
    """The responsibility-grid coverage of ``division`` (a district, street, community or below) on ``on``.

    Every count comes from grouped queries (six in all, whatever the size of the district: one pass
    over the households, one over the assignments); no per-household Python loop. Rows exist for a
    district, street or community (its children); the totals always cover the whole subtree. The
    overload threshold is the GridRuleSet in force on the day. Raises GridRuleSet.DoesNotExist when no
    rule set is in force.
    """
    day = _day(on)
    rules = GridRuleSet.in_force(day)
    code = division.code
    children = (
        list(Division.objects.filter(parent=division).order_by("code")) if division.level <= Level.COMMUNITY else []
    )

    households = scoped(Household, user).within(code)
    cells: dict[tuple[int, int | None], int] = {
        (r["community_id"], r["compound_id"]): r["n"]
        for r in households.values("community_id", "compound_id").annotate(n=Count("id")).order_by()
    }
    active = scoped(ResponsibilityAssignment, user).within(code).filter(active_on_q(day))
    # One grouped pass over the assignments (no join) gives L4 cover per cell, each representative's
    # load and, through the first and last unit code of each group, who may be outside their scope.
    covered: dict[tuple[int, int | None], int] = defaultdict(int)
    loads: dict[int, int] = defaultdict(int)
    first_path: dict[int, str] = {}
    groups = list(
        active.values("worker_id", "level", "community_id", "compound_id")
        .annotate(n=Count("id"), low=Min("path"), high=Max("path"))
        .order_by()
    )
    for r in groups:
        if r["level"] == L4:
            key = (r["community_id"], r["compound_id"])
            covered[key] += r["n"]
            loads[r["worker_id"]] += r["n"]
            first_path[r["worker_id"]] = min(r["low"], first_path.get(r["worker_id"], r["low"]))
    outside = _outside_by_cell(active, groups, day)
    overloaded_rows = [
        {"worker_id": w, "n": n, "first_path": first_path[w]}
        for w, n in sorted(loads.items(), key=lambda item: (-item[1], item[0]))
        if n > rules.overload_threshold
    ]
    held = defaultdict(set)
    for level, division_id in active.filter(level__lt=L4).values_list("level", "division_id"):
        held[level].add(division_id)

    ids = (
        {c for c, _k in cells} | {k for _c, k in cells if k} | {c for c, _k in outside} | {k for _c, k in outside if k}
    )
    codes = dict(Division.objects.filter(pk__in=ids).values_list("id", "code"))

    gap_units: dict[int, set[int]] = {L1: set(), L2: set(), L3: set()}
    units: dict[int, set[int]] = {L1: set(), L2: set(), L3: set()}
    for community, compound in cells:
        units[L1].add(community)
        if community not in held[L1]:
            gap_units[L1].add(community)
        cell = compound or community
        units[L2].add(cell)
        if cell not in held[L2] and community not in held[L2]:
            gap_units[L2].add(cell)
        if compound:
            units[L3].add(compound)
            if compound not in held[L3]:
                gap_units[L3].add(compound)

    def cell_code(key: tuple[int, int | None]) -> str:
        return codes[key[1]] if key[1] else codes[key[0]]

    def add(counts: CoverageCounts, unit_code_filter) -> CoverageCounts:
        for key, n in cells.items():
            if unit_code_filter(cell_code(key)):
                counts.households += n
                counts.households_without_l4 += n - covered.get(key, 0)
        counts.outside_scope = len(
            set().union(*(workers for key, workers in outside.items() if unit_code_filter(cell_code(key))))
        )
        for level in (L1, L2, L3):
            counts.units[level] = sum(1 for u in units[level] if unit_code_filter(codes[u]))
            counts.gaps[level] = sum(1 for u in gap_units[level] if unit_code_filter(codes[u]))
        counts.overloaded = sum(1 for r in overloaded_rows if unit_code_filter(r["first_path"]))
        return counts

    rows = [(child, add(CoverageCounts(), lambda c, p=child.code: c.startswith(p))) for child in children]
    totals = add(CoverageCounts(), lambda c: True)
    return CoverageReport(
        division=division,
        on=day,
        rules=rules,
        rows=rows,
        totals=totals,
        gap_units=gap_units,
        overloaded_workers={r["worker_id"]: r["n"] for r in overloaded_rows},
    )


def unit_gaps(*, user, division: Division, level: int, on: dt.date | None = None) -> list[Division]:
    """The units under ``division`` with nobody responsible at ``level`` (1-3) on ``on``, by code."""
    report = coverage(user=user, division=division, on=on)
    return list(Division.objects.filter(pk__in=report.gap_units[level]).order_by("code"))


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
