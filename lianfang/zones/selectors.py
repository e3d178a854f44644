"""Reads over control areas: the rule set in force, tiers of households and divisions, clocks.

Other apps read tiers from here (screening: pooling modes; field operations: quarantine rules;
service requests and gates: the tier of a household):

- :func:`current_rule_set` / :func:`current_operation` — what a district runs under.
- :func:`tier_of_households`, :func:`tier_of_residents`, :func:`tier_of_paths`,
  :func:`tier_of_division`, :func:`tier_of_divisions` — the tier in force (a
  :class:`~lianfang.zones.models.RuleTier`, or None outside every area). Where areas overlap the
  strictest tier (lowest ``rank``) wins. A whole district costs two small queries for the areas
  plus one range query over the households.
- :func:`active_areas` — areas in force in a district.
- :func:`area_clock` — days since the last infection, countdown, and the lifting conditions with
  their evidence (domain.md §2).

``on`` parameters: None means now; a ``datetime.date`` means the state at the end of that day in
Asia/Shanghai (settings.TIME_ZONE); an aware datetime means that instant. These functions do not
check access: pages and the API filter rows with ``Model.objects.visible_to(user)`` first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.core.forms import listing
from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Division
from lianfang.zones import evidence
from lianfang.zones.models import (
    AreaReason,
    AreaStatus,
    ControlArea,
    ControlAreaNode,
    EnteredBy,
    Infection,
    LiftRule,
    Operation,
    OperationStatus,
    RuleSet,
    RuleTier,
)

# Above this many ids, tier look-ups read the households by division-code range instead of by id.
_ID_LIST_LIMIT = 2000


# --------------------------------------------------------------------------------------------- time


def instant(on: dt.date | dt.datetime | None = None) -> dt.datetime:
    """The aware instant meant by ``on``: now (None), the instant itself, or the last microsecond of
    the day ``on`` in the current time zone (Asia/Shanghai)."""
    if on is None:
        return timezone.now()
    if isinstance(on, dt.datetime):
        if timezone.is_naive(on):
            raise ValueError(f"naive datetime {on!r}: pass an aware datetime or a date")
        return on
    return start_of_day(on + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the current time zone, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def local_day(at: dt.datetime | None = None) -> dt.date:
    """The Asia/Shanghai day of instant ``at`` (default now)."""
    return timezone.localdate(at or timezone.now())


def _code(district) -> str:
    return district if isinstance(district, str) else district.code


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in sorted(CODE_LENGTHS.values()) if n <= len(code)]


# --------------------------------------------------------------------------------------------- rule sets


def default_rule_set() -> RuleSet:
    """The shipped default rule set (the 8th-edition era). Raises RuleSet.DoesNotExist when the
    shipped sets are missing (run migrations, or ``zones.shipped.ensure_shipped_rule_sets()``)."""
    return RuleSet.objects.get(is_default=True)


def current_operation(district) -> Operation | None:
    """The open operation of ``district`` (a Division or its code), with its rule set, or None."""
    return (
        Operation.objects.filter(district__code=_code(district), status=OperationStatus.OPEN)
        .select_related("rule_set", "district")
        .first()
    )


def current_rule_set(district) -> RuleSet:
    """The rule set ``district`` runs under: its open operation's, else the default (8th-edition era).

    Read ``tiers`` (rank order) for pooling modes and ``quarantine_for("close"|"secondary")`` for
    quarantine lengths and test days.
    """
    operation = current_operation(district)
    return operation.rule_set if operation else default_rule_set()


def tiers_of(rule_set: RuleSet) -> list[RuleTier]:
    """The rule set's tiers, strictest first (one query)."""
    return list(rule_set.tiers.order_by("rank"))


def lift_rule_for(area: ControlArea) -> LiftRule | None:
    """The lifting rule of ``area``'s tier that fits how the area entered it (declared or downgraded),
    falling back to the rule for ``any``; None when the tier has none."""
    wanted = EnteredBy.DOWNGRADED if area.reason == AreaReason.DOWNGRADE else EnteredBy.DECLARED
    rules = {r.entered_by: r for r in LiftRule.objects.filter(tier_id=area.tier_id).select_related("to_tier")}
    return rules.get(wanted) or rules.get(EnteredBy.ANY)


# --------------------------------------------------------------------------------------------- tiers


class TierIndex:
    """Division codes of the area nodes in force → the strictest tier covering each.

    ``tier_for(path)`` checks the path's prefixes at each code length (at most 8 dict look-ups).
    """

    def __init__(self, pairs: Iterable[tuple[str, RuleTier]]):
        self._by_code: dict[str, RuleTier] = {}
        for code, tier in pairs:
            current = self._by_code.get(code)
            if current is None or tier.rank < current.rank:
                self._by_code[code] = tier
        self._lengths = sorted({len(c) for c in self._by_code})

    def __bool__(self) -> bool:
        return bool(self._by_code)

    @property
    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def items(self) -> list[tuple[str, RuleTier]]:
        """``(code, tier)`` pairs, strictest tier first (then by code)."""
        return sorted(self._by_code.items(), key=lambda item: (item[1].rank, item[0]))

    def tier_for(self, path: str) -> RuleTier | None:
        """The strictest tier whose node is ``path`` or one of its ancestors; None outside every area."""
        best = None
        for n in self._lengths:
            if n > len(path):
                break
            tier = self._by_code.get(path[:n])
            if tier is not None and (best is None or tier.rank < best.rank):
                best = tier
        return best

    def strictest_inside(self, code: str) -> RuleTier | None:
        """The strictest tier of the nodes strictly inside ``code`` (a sealed compound in a community);
        None when no node lies below it."""
        inside = [tier for node, tier in self._by_code.items() if len(node) > len(code) and node.startswith(code)]
        return min(inside, key=lambda t: t.rank) if inside else None

    def roots(self) -> list[str]:
        """The minimal set of codes whose subtrees hold every node (for range queries)."""
        roots: list[str] = []
        for code in sorted(self._by_code, key=len):
            if not any(code.startswith(r) for r in roots):
                roots.append(code)
        return sorted(roots)

    def case_expression(self, field_name: str) -> Case:
        """SQL ``CASE`` giving the id of the strictest tier covering ``field_name`` (NULL outside)."""
        whens = [When(subtree_q(field_name, code), then=Value(tier.pk)) for code, tier in self.items()]
        return Case(*whens, default=Value(None), output_field=IntegerField())


def tier_index(on=None, *, district=None) -> TierIndex:
    """The TierIndex of the areas in force at ``on`` (optionally of one district): two queries."""
    nodes = ControlAreaNode.objects.filter(area__in=ControlArea.objects.in_force(instant(on)).values("pk")).values_list(
        "code", "area__tier_id"
    )
    if district is not None:
        nodes = nodes.filter(area__operation__district__code=_code(district))
    pairs = list(nodes)
    tiers = RuleTier.objects.in_bulk({tier_id for _, tier_id in pairs})
    return TierIndex((code, tiers[tier_id]) for code, tier_id in pairs)


def tier_of_paths(paths: Iterable[str], *, on=None, index: TierIndex | None = None) -> dict[str, RuleTier | None]:
    """``{path: tier or None}`` for division codes ``paths`` (e.g. households' ``path``); two queries,
    none when the caller passes the ``index`` it already read (:func:`tier_index`)."""
    index = tier_index(on) if index is None else index
    return {path: index.tier_for(path) for path in set(paths)}


@dataclass(frozen=True)
class DivisionTier:
    """The control tier of one division: ``tier`` the strictest tier covering the whole division (an
    area node at it or above it; None outside every area) and ``stricter_inside`` the strictest tier
    of an area strictly inside it when stricter than ``tier`` (a sealed compound in a precaution
    street), else None."""

    tier: RuleTier | None
    stricter_inside: RuleTier | None = None


def tier_of_divisions(codes: Iterable[str], *, on=None, index: TierIndex | None = None) -> dict[str, DivisionTier]:
    """``{code: DivisionTier}`` for division ``codes`` (e.g. the children listed on a division page)
    at ``on`` (default now), from one :func:`tier_index` (two queries whatever the number of codes;
    none when the caller passes the ``index`` it already read)."""
    index = tier_index(on) if index is None else index
    result = {}
    for code in set(codes):
        tier, inside = index.tier_for(code), index.strictest_inside(code)
        stricter = inside if inside is not None and (tier is None or inside.rank < tier.rank) else None
        result[code] = DivisionTier(tier=tier, stricter_inside=stricter)
    return result


def _tier_of_rows(model, ids: Iterable[int], on) -> dict[int, RuleTier | None]:
    wanted = set(ids)
    if not wanted:
        return {}
    result: dict[int, RuleTier | None] = dict.fromkeys(wanted)
    index = tier_index(on)
    if not index:
        return result
    if len(wanted) <= _ID_LIST_LIMIT:
        rows = model.objects.filter(pk__in=wanted).values_list("pk", "path")
    else:
        ranges = Q()
        for code in index.roots():
            ranges |= subtree_q("path", code)
        rows = model.objects.filter(ranges).values_list("pk", "path").iterator(chunk_size=20_000)
    by_path: dict[str, RuleTier | None] = {}  # households share paths (a unit holds many)
    for pk, path in rows:
        if pk in wanted:
            if path not in by_path:
                by_path[path] = index.tier_for(path)
            result[pk] = by_path[path]
    return result


def tier_of_households(household_ids: Iterable[int], *, on=None) -> dict[int, RuleTier | None]:
    """``{household_id: tier or None}`` at ``on`` (default now) for every id given.

    Queries: two for the areas in force, then one for the households (by id for up to 2,000 ids,
    otherwise one range query over the areas' division codes — a full district of ~230 k households
    is one query). Unknown ids map to None.
    """
    from lianfang.registry.models import Household  # noqa: PLC0415

    return _tier_of_rows(Household, household_ids, on)


def tier_of_residents(resident_ids: Iterable[int], *, on=None) -> dict[int, RuleTier | None]:
    """``{resident_id: tier or None}``, as :func:`tier_of_households` (by the resident's ``path``)."""
    from lianfang.registry.models import Resident  # noqa: PLC0415

    return _tier_of_rows(Resident, resident_ids, on)


def tier_of_division(code: str, *, on=None) -> RuleTier | None:
    """The strictest tier of the areas in force covering the whole node ``code`` (the node or an
    ancestor is an area node); None when none does. Areas strictly inside the node (a sealed compound
    in a controlled community) do not count: see :func:`tier_index` for those. Two queries."""
    nodes = list(
        ControlAreaNode.objects.filter(
            code__in=_prefixes(code), area__in=ControlArea.objects.in_force(instant(on)).values("pk")
        ).values_list("area__tier_id", flat=True)
    )
    if not nodes:
        return None
    return min(RuleTier.objects.filter(pk__in=nodes), key=lambda t: t.rank)


def active_areas(district, *, on=None) -> list[ControlArea]:
    """Areas in force in ``district`` (Division or code) at ``on``, strictest tier first, with
    ``tier`` loaded and ``nodes`` prefetched (two queries)."""
    return list(
        ControlArea.objects.in_force(instant(on))
        .filter(operation__district__code=_code(district))
        .select_related("tier")
        .prefetch_related("nodes")
        .order_by("tier__rank", "path", "id")
    )


@dataclass
class TierTable:
    """Residents and households by tier under one division, per child division.

    ``tiers`` are the tiers that occur (strictest first); ``rows`` are ``(child Division, {tier_id or
    None: {"households": n, "residents": n}})``; ``totals`` sums every row.
    """

    tiers: list[RuleTier]
    rows: list[tuple[Division, dict]]
    totals: dict


def counts_by_tier(*, user, parent: Division, on=None) -> TierTable:
    """Households and residents by tier in each child of ``parent``, within ``user``'s scope.

    Two grouped queries (households and residents per division code) after the two for the areas in
    force; each code's tier and child are then looked up in Python, once per distinct code (a unit
    holds many households), which costs far less than a CASE over every row.
    """
    from lianfang.registry.models import Household, Resident  # noqa: PLC0415

    index = tier_index(on)
    children = list(Division.objects.visible_to(user).filter(parent=parent).order_by("code"))
    child_len = len(children[0].code) if children else len(parent.code)
    counts: dict[str, dict] = {}
    tiers_by_id: dict[int, RuleTier] = {}
    for model, key in ((Household, "households"), (Resident, "residents")):
        rows = model.objects.visible_to(user).within(parent.code).values_list("path").annotate(n=Count("id"))
        for path, n in rows.order_by():
            tier = index.tier_for(path)
            tier_id = tier.pk if tier else None
            if tier is not None:
                tiers_by_id[tier.pk] = tier
            cell = counts.setdefault(path[:child_len], {}).setdefault(tier_id, {"households": 0, "residents": 0})
            cell[key] += n
    tiers = sorted(tiers_by_id.values(), key=lambda t: t.rank)
    totals: dict = {}
    for cells in counts.values():
        for tid, cell in cells.items():
            total = totals.setdefault(tid, {"households": 0, "residents": 0})
            total["households"] += cell["households"]
            total["residents"] += cell["residents"]
    return TierTable(tiers=tiers, rows=[(c, counts.get(c.code, {})) for c in children], totals=totals)


# --------------------------------------------------------------------------------------------- population


def population_of(codes: Iterable[str], *, exclude: Iterable[str] = (), user=None) -> dict[str, int]:
    """``{"households": n, "residents": n}`` inside the subtrees of ``codes`` but outside those of
    ``exclude``; within ``user``'s scope when a user is given. Two count queries."""
    from lianfang.registry.models import Household, Resident  # noqa: PLC0415

    inside, outside = Q(), Q()
    for code in codes:
        inside |= subtree_q("path", code)
    if not inside:
        return {"households": 0, "residents": 0}
    for code in exclude:
        outside |= subtree_q("path", code)
    result = {}
    for model, key in ((Household, "households"), (Resident, "residents")):
        qs = model.objects.visible_to(user) if user is not None else model.objects.all()
        qs = qs.filter(inside)
        if outside:
            qs = qs.exclude(outside)
        result[key] = qs.count()
    return result


def stricter_node_codes(area: ControlArea) -> list[str]:
    """Codes of the nodes of stricter areas of ``area``'s operation that lie inside ``area``: the part
    of ``area`` that is under a stricter tier (one query). Only stricter areas in force count, so a
    proposal nobody approved takes no one out of an area in force; a proposal is
    sized against the areas in force and the other proposals (the set proposed with it: each tier
    governs the rest of its wider node)."""
    own = [n.code for n in area.nodes.all()]
    inside = Q()
    for code in own:
        inside |= subtree_q("code", code)
    if not inside:
        return []
    stricter = Q(area__in=ControlArea.objects.in_force().values("pk"))
    if area.status == AreaStatus.PROPOSED:
        stricter |= Q(area__status=AreaStatus.PROPOSED)
    return list(
        ControlAreaNode.objects.filter(
            inside,
            area__operation_id=area.operation_id,
            area__tier__rank__lt=area.tier.rank,
        )
        .filter(stricter)
        .exclude(area_id=area.pk)
        .values_list("code", flat=True)
        .distinct()
    )


def area_population(area: ControlArea, *, user=None) -> dict[str, int]:
    """Households and residents under ``area``'s tier: inside its nodes, outside stricter areas."""
    return population_of([n.code for n in area.nodes.all()], exclude=stricter_node_codes(area), user=user)


def area_links(area: ControlArea, successors: Iterable[ControlArea], *, user) -> dict:
    """What ``area``'s page may link for ``user``: the targets the user can open, computed with the
    same ``visible_to`` as the target pages (an infection or another area out of view answers 404,
    e.g. to a household representative, so it shows as plain text).

    Returns ``{"infection": bool, "areas": {area id: bool}}`` for ``area.infection`` and the
    predecessor and ``successors`` (two queries at most).
    """
    ids = [a.pk for a in successors] + ([area.predecessor_id] if area.predecessor_id else [])
    visible = (
        set(ControlArea.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    )
    return {
        "infection": bool(area.infection_id)
        and Infection.objects.visible_to(user).filter(pk=area.infection_id).exists(),
        "areas": {pk: pk in visible for pk in ids},
    }


# --------------------------------------------------------------------------------------------- clocks


def area_infections(area: ControlArea, *, until: dt.date | None = None):
    """Infections of ``area``'s operation living inside its nodes, or linked to it, detected on or
    before ``until`` (a queryset, latest first)."""
    q = Q()
    for node in area.nodes.all():
        q |= subtree_q("path", node.code)
    if area.infection_id:
        q |= Q(pk=area.infection_id)
    qs = Infection.objects.filter(operation_id=area.operation_id).filter(q) if q else Infection.objects.none()
    if until is not None:
        qs = qs.filter(detected_on__lte=until)
    return qs.order_by("-detected_on", "-id")


@dataclass
class Condition:
    """One lifting condition: ``code`` (quiet_days, round, contacts, stricter_lifted, rule), a
    translated ``label``, ``met`` (True, False, or None = unknown for lack of evidence, which counts
    as not met) and the ``evidence`` behind it, as a sentence."""

    code: str
    label: str
    met: bool | None
    evidence: str

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "met": self.met, "evidence": self.evidence}


@dataclass
class Clock:
    """An area's computed clock on ``today`` (Asia/Shanghai).

    ``base_on`` is the day the quiet days count from; ``days_since_last_infection`` is None when no
    infection is recorded inside. ``rule`` is the lifting rule that applies (None: the tier has
    none); ``target_tier`` is where it goes (None: it lifts). ``earliest_on`` is the earliest day the
    time-based conditions can hold (None when they depend on other areas); ``conditions`` list each
    condition with its evidence; ``ready`` is True when every one is met.
    """

    today: dt.date
    base_on: dt.date
    last_infection_on: dt.date | None
    last_infection_id: int | None
    rule: LiftRule | None
    earliest_on: dt.date | None
    conditions: list[Condition] = field(default_factory=list)

    @property
    def days_since_last_infection(self) -> int | None:
        return (self.today - self.last_infection_on).days if self.last_infection_on else None

    @property
    def target_tier(self) -> RuleTier | None:
        return self.rule.to_tier if self.rule else None

    @property
    def is_downgrade(self) -> bool:
        return bool(self.rule and self.rule.to_tier_id)

    @property
    def days_to_go(self) -> int | None:
        """Whole days from today to ``earliest_on`` (0 when it has passed); None without a date."""
        return max(0, (self.earliest_on - self.today).days) if self.earliest_on else None

    @property
    def ready(self) -> bool:
        return self.rule is not None and all(c.met is True for c in self.conditions)

    @property
    def failing(self) -> list[Condition]:
        return [c for c in self.conditions if c.met is not True]


def area_clock(area: ControlArea, *, on=None) -> Clock:
    """Compute ``area``'s clock and lifting conditions at ``on`` (default now), domain.md §2.

    Day T is the Asia/Shanghai day of ``on``. The base day is the last infection inside the area
    (a new one restarts the clock) or, without one, the area's first day; with ``counted_from =
    tier_entry`` the later of that and the day the area entered its tier. Evidence of rounds and
    contacts comes from :mod:`lianfang.zones.evidence`. Queries: a handful, plus the providers'.
    """
    at = instant(on)
    today = local_day(at)
    entry_day = local_day(area.effective_from) if area.effective_from else today
    last = area_infections(area, until=today).values_list("pk", "detected_on").first()
    last_id, last_on = (last[0], last[1]) if last else (None, None)
    rule = lift_rule_for(area)
    base = last_on or entry_day
    if rule is not None and rule.counted_from == "tier_entry":
        base = max(base, entry_day)
    clock = Clock(
        today=today, base_on=base, last_infection_on=last_on, last_infection_id=last_id, rule=rule, earliest_on=None
    )
    if rule is None:
        clock.conditions.append(
            Condition("rule", _("A lifting rule for this tier"), False, _("the rule set has no lifting rule for it"))
        )
        return clock
    codes = [n.code for n in area.nodes.all()]
    earliest: list[dt.date] = []
    if rule.quiet_days is not None:
        clock.conditions.append(_quiet_condition(rule, base, last_on, today))
        earliest.append(base + dt.timedelta(days=rule.quiet_days))
    if rule.round_from_day is not None or rule.round_within_days is not None:
        clock.conditions.append(_round_condition(area, rule, codes, base, today))
        if rule.round_from_day is not None:
            earliest.append(base + dt.timedelta(days=rule.round_from_day))
    if rule.contact_clear_days is not None:
        infection_ids = list(area_infections(area, until=today).values_list("pk", flat=True))
        condition, clear_on = _contact_condition(area, rule, codes, infection_ids, today)
        clock.conditions.append(condition)
        if clear_on is not None:
            earliest.append(clear_on)
    if rule.requires_stricter_lifted:
        clock.conditions.append(_stricter_condition(area, at))
    clock.earliest_on = max(earliest) if earliest else None
    return clock


def _quiet_condition(rule: LiftRule, base: dt.date, last_on: dt.date | None, today: dt.date) -> Condition:
    days = (today - base).days
    label = ngettext(
        "No new infection inside for %(n)d day", "No new infection inside for %(n)d days", rule.quiet_days
    ) % {"n": rule.quiet_days}
    if last_on is not None and last_on == base:
        text = ngettext(
            "last infection detected on %(day)s: %(d)d day ago",
            "last infection detected on %(day)s: %(d)d days ago",
            days,
        ) % {"day": last_on, "d": days}
    else:
        text = ngettext(
            "counted from %(day)s (no infection inside since): %(d)d day",
            "counted from %(day)s (no infection inside since): %(d)d days",
            days,
        ) % {"day": base, "d": days}
    return Condition("quiet_days", label, days >= rule.quiet_days, text)


def _round_condition(area, rule: LiftRule, codes, base: dt.date, today: dt.date) -> Condition:
    lower = base
    parts = []
    if rule.round_from_day is not None:
        lower = max(lower, base + dt.timedelta(days=rule.round_from_day))
        parts.append(_("on or after day %(n)d (%(day)s)") % {"n": rule.round_from_day, "day": lower})
    if rule.round_within_days is not None:
        lower = max(lower, today - dt.timedelta(days=rule.round_within_days))
        n = rule.round_within_days
        parts.append(ngettext("within the %(n)d day before", "within the %(n)d days before", n) % {"n": n})
    label = _("An all-negative whole-area round %(when)s") % {"when": listing(parts)}
    found = evidence.last_round(area=area, codes=codes, until=today)
    if found is None:
        return Condition("round", label, None, _("no whole-area round on record (unknown)"))
    if found.all_negative is None:
        result = _("results pending")
    elif found.all_negative:
        result = _("all negative")
    else:
        result = _("not all negative")
    text = _("last round on %(day)s: %(result)s") % {"day": found.day, "result": result}
    if found.people is not None:
        text += " · " + ngettext("%(n)d person", "%(n)d people", found.people) % {"n": found.people}
    if found.source:
        text += f" · {evidence_source_label(found.source)}"
    met = found.all_negative is True and found.day >= lower
    if found.all_negative is True and found.day < lower:
        text += " · " + _("too early: needed on or after %(day)s") % {"day": lower}
    return Condition("round", label, met, text)


_SOURCE_SEPARATOR = re.compile(r", (?=round #\d|fieldops(?:,|$)|manual #\d)")
"""The ", " between merged evidence sources (not one inside a round's name)."""


def evidence_source_label(source: str) -> str:
    """Where evidence came from, as people read it: ``"round #12 <name>"`` (screening) → the
    translated "testing round #12 <name>", ``"fieldops"`` → the translated contact-tracing records,
    ``"manual #3"`` (zones.ManualEvidence) → "entered by hand (#3)"; merged sources
    (``"fieldops, manual #1"``, evidence.contacts) are labelled one by one and listed; any other
    source as given. Rule: new-user trial 15 saw the raw "fieldops, manual #1" in both languages."""
    parts = [part for part in _SOURCE_SEPARATOR.split(source or "") if part]
    if len(parts) > 1:
        return listing(evidence_source_label(part) for part in parts)
    match = re.fullmatch(r"round #(\d+)\s*(.*)", source or "", flags=re.S)
    if match:
        return _("testing round #%(id)s %(name)s") % {"id": match[1], "name": match[2]}
    if source == "fieldops":
        return _("contact tracing records")
    match = re.fullmatch(r"manual #(\d+)", source or "")
    if match:
        return _("entered by hand (#%(id)s)") % {"id": match[1]}
    return source


def _contact_condition(area, rule: LiftRule, codes, infection_ids, today: dt.date):
    n = rule.contact_clear_days
    label = ngettext(
        "Last close contact negative and more than %(n)d day past exposure",
        "Last close contact negative and more than %(n)d days past exposure",
        n,
    ) % {"n": n}
    found = evidence.contacts(area=area, codes=codes, infection_ids=infection_ids, until=today)
    if found is None:
        return Condition("contacts", label, None, _("no close-contact evidence on record (unknown)")), None
    if found.count == 0 and found.last_exposure_on is None:
        return Condition("contacts", label, True, _("no close contacts traced")), None
    clear_on = found.last_exposure_on + dt.timedelta(days=n + 1) if found.last_exposure_on else None
    days = (today - found.last_exposure_on).days if found.last_exposure_on else None
    if found.all_negative is None:
        result = _("tests pending")
    elif found.all_negative:
        result = _("all negative")
    else:
        result = _("a positive or missing test")
    contacts = ngettext("%(count)d close contact", "%(count)d close contacts", found.count) % {"count": found.count}
    if days is None:
        ago = _("last exposure —")
    else:
        ago = ngettext("last exposure %(day)s (%(d)d day ago)", "last exposure %(day)s (%(d)d days ago)", days) % {
            "day": found.last_exposure_on,
            "d": days,
        }
    text = _("%(contacts)s; %(exposure)s; %(result)s") % {"contacts": contacts, "exposure": ago, "result": result}
    if found.source:
        text += f" · {evidence_source_label(found.source)}"
    met = found.all_negative is True and days is not None and days > n
    return Condition("contacts", label, met, text), clear_on


def _stricter_condition(area: ControlArea, at: dt.datetime) -> Condition:
    others = list(
        ControlArea.objects.in_force(at)
        .filter(operation__district_id=area.operation.district_id, tier__rank__lt=area.tier.rank)
        .exclude(pk=area.pk)
        .values_list("name", flat=True)[:6]
    )
    label = _("Every stricter area of the district has lifted")
    if not others:
        return Condition("stricter_lifted", label, True, _("no stricter area in force"))
    text = _("still in force: %(names)s") % {"names": listing(others[:5]) + ("…" if len(others) > 5 else "")}
    return Condition("stricter_lifted", label, False, text)
