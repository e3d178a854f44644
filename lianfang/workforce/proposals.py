"""The gap-fill proposal (补位建议): who could take each unit that has nobody responsible.

A proposal is only a suggestion shown to a person; it is written by services.gap_fill_confirm after
that person confirms it. Nothing here writes.

- L4 (a household without a representative): the representative already serving the nearest place —
  same unit (stairwell), else same building, else same compound/village group — with the lowest load,
  provided one more household keeps the load within the rule set's ``target_households`` (balanced
  first) or, failing that, within ``overload_threshold``. Representatives of that place without any
  household yet count with load 0. Households with no candidate are listed with ``worker=None``
  (recruit a representative there).
- L1-L3: among the workers allowed for the level (GridRuleSet ``level_categories``) whose base
  division or active deployment covers the unit (L1: the street; L2: the community or compound; L3:
  the community), the one holding the fewest units at that level.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import Division
from lianfang.registry.models import Household
from lianfang.workforce.models import (
    Deployment,
    GridRuleSet,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    Worker,
    WorkerCategory,
    active_on_q,
)
from lianfang.workforce.selectors import coverage, households_without_representative, rules_on, worker_loads
from lianfang.workforce.services import GapFill

L1, L2, L3, L4 = (ResponsibilityLevel.L1, ResponsibilityLevel.L2, ResponsibilityLevel.L3, ResponsibilityLevel.L4)
NEARNESS = {
    "unit": _("same stairwell"),
    "building": _("same building"),
    "compound": _("same compound"),
    "community": _("same community"),
    "street": _("same street/town"),
}


@dataclass
class Proposal:
    """One line: ``unit`` (Household for L4, Division otherwise) at ``level``; the proposed ``worker``
    (None: no candidate) with ``load`` units at that level once this line is confirmed; ``nearness``
    tells where the candidate was found (``unit``, ``building``, ``compound``, ``community``, ``street``)."""

    level: int
    unit: object
    worker: Worker | None
    load: int = 0
    nearness: str = ""

    @property
    def nearness_label(self) -> str:
        return str(NEARNESS.get(self.nearness, ""))

    @property
    def token(self) -> str:
        if self.worker is None:
            return ""
        if self.level == L4:
            return GapFill(level=L4, worker_id=self.worker.pk, household_id=self.unit.pk).token()
        return GapFill(level=self.level, worker_id=self.worker.pk, division_id=self.unit.pk).token()


def _eligible_ids(rules: GridRuleSet, level: int) -> set[int]:
    return set(
        WorkerCategory.objects.filter(category__in=rules.categories_for(level)).values_list("worker_id", flat=True)
    )


def _propose_households(user, division: Division, day: dt.date, rules: GridRuleSet, limit: int) -> list[Proposal]:
    gaps = list(
        households_without_representative(user=user, code=division.code, on=day).select_related("community")[:limit]
    )
    if not gaps:
        return []
    compounds = {h.compound_id for h in gaps if h.compound_id}
    communities = {h.community_id for h in gaps if not h.compound_id}
    place = Q(compound_id__in=compounds) | Q(community_id__in=communities, compound__isnull=True)
    # Where each representative already serves, by unit / building / compound.
    serving = (
        ResponsibilityAssignment.objects.filter(active_on_q(day), place, level=L4)
        .values("worker_id", "household__unit_id", "household__building_id", "compound_id", "community_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    near: dict[tuple[str, int], set[int]] = defaultdict(set)
    for r in serving:
        for kind, key in (
            ("unit", r["household__unit_id"]),
            ("building", r["household__building_id"]),
            ("compound", r["compound_id"] or -r["community_id"]),
        ):
            if key:
                near[(kind, key)].add(r["worker_id"])
    # Representatives living there who hold no household yet.
    eligible = _eligible_ids(rules, L4)
    places = Division.objects.filter(Q(pk__in=compounds) | Q(pk__in=communities)).values_list("pk", "code", "level")
    idle_q = Q()
    for _pk, code, _level in places:
        idle_q |= subtree_q("path", code)
    idle = Worker.objects.filter(idle_q, pk__in=eligible).values_list("pk", "base_division_id", "path")
    idle_by_path = [(pk, base, path) for pk, base, path in idle]
    workers = {pk for ws in near.values() for pk in ws} | {pk for pk, _b, _p in idle_by_path}
    loads = defaultdict(int)
    for (worker_id, level), n in worker_loads(workers, day).items():
        if level == L4:
            loads[worker_id] += n
    for pk, base, _path in idle_by_path:
        near[("unit", base)].add(pk)
        near[("building", base)].add(pk)
    code_of = dict(places.values_list("pk", "code"))
    objects = Worker.objects.in_bulk(workers)
    proposals = []
    for h in gaps:
        compound_key = h.compound_id or -h.community_id
        choice, nearness = None, ""
        for kind, key in (("unit", h.unit_id), ("building", h.building_id), ("compound", compound_key)):
            pool = set(near.get((kind, key), ()))
            if kind == "compound":
                prefix = code_of.get(h.compound_id or h.community_id, "~")
                pool |= {pk for pk, _b, path in idle_by_path if path.startswith(prefix)}
            for limit_load in (rules.target_households, rules.overload_threshold):
                candidates = [pk for pk in pool if loads[pk] < limit_load]
                if candidates:
                    choice = min(candidates, key=lambda pk: (loads[pk], pk))
                    nearness = kind
                    break
            if choice:
                break
        if choice:
            loads[choice] += 1
        proposals.append(Proposal(L4, h, objects.get(choice), loads[choice] if choice else 0, nearness))
    return proposals


def _propose_units(user, division: Division, day: dt.date, rules: GridRuleSet) -> list[Proposal]:
    report = coverage(user=user, division=division, on=day)
    gap_codes = set().union(*report.gap_units.values())
    if not gap_codes:
        return []
    units = Division.objects.in_bulk(gap_codes, field_name="code")
    street_codes = {u.code[:9] for u in units.values()}
    base_q = Q()
    for code in street_codes:
        base_q |= subtree_q("path", code)
    candidates = {pk: (path, set()) for pk, path in Worker.objects.filter(base_q).values_list("pk", "path")}
    deployed = Deployment.objects.filter(active_on_q(day), base_q).values_list("worker_id", "path")
    for worker_id, path in deployed:
        candidates.setdefault(worker_id, ("~", set()))[1].add(path)
    eligible = {level: _eligible_ids(rules, level) & set(candidates) for level in (L1, L2, L3)}
    loads = defaultdict(int, worker_loads(set().union(*eligible.values()), day))
    objects = Worker.objects.in_bulk(set().union(*eligible.values()))

    def covers(worker_id: int, target: str, level: int) -> str:
        """Where the worker's base or deployment meets ``target`` ("" when it does not)."""
        base, deployments = candidates[worker_id]
        if any(target.startswith(d) or d.startswith(target) for d in deployments):
            return "compound" if len(target) > 12 else "community"
        if target.startswith(base) and (level != L3 or len(base) >= 12):
            return "street" if len(base) <= 9 else "community"
        return ""

    proposals = []
    for level in (L1, L2, L3):
        for unit in sorted((units[i] for i in report.gap_units[level]), key=lambda d: d.code):
            target = unit.code if level != L3 else unit.code[:12]
            pool = [(covers(pk, target, level), pk) for pk in eligible[level]]
            pool = [(kind, pk) for kind, pk in pool if kind]
            if not pool:
                proposals.append(Proposal(level, unit, None))
                continue
            kind, choice = min(pool, key=lambda item: (loads[(item[1], level)], item[1]))
            loads[(choice, level)] += 1
            proposals.append(Proposal(level, unit, objects[choice], loads[(choice, level)], kind))
    return proposals


def propose_gap_fill(*, user, division: Division, on: dt.date | None = None, limit: int = 500) -> list[Proposal]:
    """Proposals for every gap under ``division`` on ``on`` (L1-L3 units first, then up to ``limit``
    households without a representative, in address order). Reads only; see the module docstring.
    Raises ValidationError ``{"on": [...]}`` when no grid rule set was in force on the day."""
    day = on or timezone.localdate()
    rules = rules_on(day)
    return _propose_units(user, division, day, rules) + _propose_households(user, division, day, rules, limit)


def household_units(proposals: list[Proposal]) -> list[Household]:
    """The households of the L4 proposals (for templates that list addresses)."""
    return [p.unit for p in proposals if p.level == L4]
