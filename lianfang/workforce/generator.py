"""Seeded demo workforce and responsibility grid for a district whose population was generated.

Figures (domain.md §6, the Qilihe operation of 27 March 2022): 1,848 community workers, 429 city-level
and 790 district-level stationed cadres, 428 social work committee members, 196 veterans and 657
volunteers. At ``scale`` s the generator makes ``round(figure × s)`` of each, shared among the
communities/villages in proportion to their households, with at least one community worker and one
stationed cadre in every community that has households (so at small scales the totals can exceed the
scaled figures). At ``scale=1`` the sheet's totals are the report's. Demo assumptions that the report
does not give: 30 % of community workers are also grid workers; party members are 80 % of cadres,
60 % of veterans, 50 % of committee members, 40 % of community workers and 15 % of volunteers; each
street/town has one leadership member for every three communities (at least one). The village with
the most households runs the "blue vest" volunteer team (蓝马甲志愿服务队): 55 × s of the volunteers
(at least one); every other community with volunteers has a 志愿服务队.

The grid (四级包保), every period from 20 March 2022, open-ended: L1 street leadership → every
community; L2 one cadre → the community and further cadres → its compounds; L3 community workers →
the compounds, in turn; L4 one household representative (a new worker) for every
``target_households`` (GridRuleSet) consecutive households of a compound, based in their building
(or, when the households span several buildings, in the compound). Deliberate problems for the
coverage page: 0.2 % of households (at least 3) without a representative, 1 % of compounds (at least
1) without L3, one community without L1 and one without L2, representatives above the overload
threshold in 0.2 % of compounds (at least 2), and two representatives based in another compound
(outside their scope).

Deterministic (``random.Random`` seeded from ``seed`` and the division codes) and idempotent: rows
carry a ``source_key`` (workers) or are matched by unit (assignments, teams), loaded once; a second
run with the same seed creates nothing. Rows are written with core.bulk (COPY / executemany) in one
transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from lianfang.core import audit, bulk, pii
from lianfang.divisions.models import Division, Kind, Level
from lianfang.registry.generator import GIVEN_FEMALE, GIVEN_MALE, MOBILE_PREFIXES, SURNAMES, name_initials
from lianfang.registry.models import Household
from lianfang.workforce.models import (
    Category,
    Deployment,
    GridRuleSet,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    Team,
    Worker,
    WorkerCategory,
)

START = dt.date(2022, 3, 20)
REPORT_FIGURES = {  # domain.md §6
    Category.COMMUNITY_STAFF: 1848,
    Category.CITY_CADRE: 429,
    Category.DISTRICT_CADRE: 790,
    Category.SOCIAL_WORK_COMMITTEE: 428,
    Category.VETERAN: 196,
    Category.VOLUNTEER: 657,
}
FLOORS = {Category.COMMUNITY_STAFF: 1, Category.DISTRICT_CADRE: 1}
PARTY_SHARE = {
    Category.CITY_CADRE: 0.8,
    Category.DISTRICT_CADRE: 0.8,
    Category.VETERAN: 0.6,
    Category.SOCIAL_WORK_COMMITTEE: 0.5,
    Category.COMMUNITY_STAFF: 0.4,
    Category.VOLUNTEER: 0.15,
}
GRID_WORKER_SHARE = 0.3
BLUE_VEST_MEMBERS = 55  # one village's "blue vest" volunteer team (domain.md §6)
COMMUNITIES_PER_LEADER = 3
GAP_HOUSEHOLD_SHARE, GAP_COMPOUND_SHARE, OVERLOAD_SHARE = 0.002, 0.01, 0.002
SHORT = {
    Category.COMMUNITY_STAFF: "cw",
    Category.CITY_CADRE: "cc",
    Category.DISTRICT_CADRE: "dc",
    Category.SOCIAL_WORK_COMMITTEE: "sw",
    Category.VETERAN: "vt",
    Category.VOLUNTEER: "vo",
}
CITY_ORGANISATIONS = (
    "委组织部",
    "财政局",
    "教育局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "市场监督管理局",
    "交通运输局",
)
DISTRICT_ORGANISATIONS = ("委办公室", "财政局", "教育局", "民政局", "卫生健康局", "城市管理局", "应急管理局", "司法局")
STREET_POSITIONS = ("党工委书记", "办事处主任", "党工委副书记", "办事处副主任", "党工委委员", "武装部部长")
L4, L3, L2, L1 = (ResponsibilityLevel.L4, ResponsibilityLevel.L3, ResponsibilityLevel.L2, ResponsibilityLevel.L1)


@dataclass
class _Plan:
    """What one run writes, built in memory first."""

    workers: list[dict] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)
    deployments: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)
    team_members: list[tuple[int, int]] = field(default_factory=list)
    gap_households: int = 0
    overloaded: int = 0


def apportion(total: int, weights: dict, floor: int = 0) -> dict:
    """Split ``total`` among ``weights``' keys in proportion (largest remainder), each at least ``floor``.

    Deterministic for the same input (ties broken by key order). The result sums to
    ``max(total, floor × len(weights))``.
    """
    keys = list(weights)
    if not keys:
        return {}
    share = dict.fromkeys(keys, floor)
    rest = max(0, total - floor * len(keys))
    weight_sum = sum(weights.values()) or 1
    exact = {k: rest * weights[k] / weight_sum for k in keys}
    for k in keys:
        share[k] += int(exact[k])
    left = rest - sum(int(exact[k]) for k in keys)
    for k in sorted(keys, key=lambda k: (-(exact[k] - int(exact[k])), keys.index(k)))[:left]:
        share[k] += 1
    return share


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def name(self) -> str:
        given = GIVEN_MALE if self.rng.random() < 0.5 else GIVEN_FEMALE
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(given) for _ in range(self.rng.choice((1, 2))))

    def phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


class _Builder:
    """Accumulates rows for one run, skipping what exists (keys loaded once)."""

    def __init__(self, district: Division, now):
        self.district = district
        self.now = connection.ops.adapt_datetimefield_value(now)  # adapted once, not per row
        self.plan = _Plan()
        self.existing = dict(
            Worker.objects.filter(district=district).exclude(source_key="").values_list("source_key", "pk")
        )
        self.new_ids: list[int] = []
        self.created_keys: set[str] = set()

    def worker(self, key: str, *, names: _Names, base: tuple[int, str], categories, **extra) -> tuple[int, bool]:
        """The id of the worker ``key`` (planned now when new) and whether it is new."""
        if key in self.existing:
            names.name(), names.phone()  # keep the random stream identical on re-runs
            return self.existing[key], False
        worker_id = -len(self.plan.workers) - 1  # placeholder, replaced by a reserved id on write
        name, phone = names.name(), names.phone()
        sealed = pii.seal("phone", phone)
        self.plan.workers.append(
            {
                "id": worker_id,
                "district_id": self.district.pk,
                "base_division_id": base[0],
                "path": base[1],
                "name": name,
                "name_initials": name_initials(name),
                "position": extra.get("position", ""),
                "sending_organisation": extra.get("sending_organisation", ""),
                "user_id": None,
                "source_key": key,
                "created_at": self.now,
                "updated_at": self.now,
                "phone_enc": sealed.ciphertext,
                "phone_hash": sealed.hash,
                "phone_masked": sealed.masked,
                "phone_last4": sealed.last4,
                "id_enc": b"",
                "id_hash": "",
                "id_masked": "",
                "id_last4": "",
            }
        )
        self.plan.categories += [(worker_id, c) for c in categories]
        self.existing[key] = worker_id
        return worker_id, True

    def deploy(self, worker_id: int, division: tuple[int, str], community_id: int) -> None:
        self.plan.deployments.append(
            {
                "district_id": self.district.pk,
                "worker_id": worker_id,
                "division_id": division[0],
                "community_id": community_id,
                "path": division[1],
                "starts_on": START,
                "ends_on": None,
                "duty": "",
                "end_reason": "",
                "created_at": self.now,
            }
        )

    def assign(self, level, worker_id, *, division, path, community_id, compound_id=None, household_id=None):
        self.plan.assignments.append(
            {
                "district_id": self.district.pk,
                "level": int(level),
                "worker_id": worker_id,
                "division_id": division,
                "household_id": household_id,
                "community_id": community_id,
                "compound_id": compound_id,
                "path": path,
                "starts_on": START,
                "ends_on": None,
                "end_reason": "",
                "previous_id": None,
                "created_at": self.now,
            }
        )


def _pick(rng: random.Random, items: list, count: int) -> set:
    return set(rng.sample(items, min(count, len(items)))) if items else set()


def generate_workforce(*, district: Division, scale: float, seed: int) -> dict[str, int]:
    """Generate workers, deployments, teams and the four-level grid for ``district`` (see the module
    docstring) over the households already in the registry; returns counts of what was created
    (``workers``, ``deployments``, ``teams``, ``assignments_l1`` … ``assignments_l4``,
    ``gap_households``, ``overloaded_representatives``). Raises ValueError for a node that is not a
    district or a scale outside (0, 4]."""
    if district.level != Level.DISTRICT:
        raise ValueError(f"{district.code} is not a district/county")
    if not 0 < scale <= 4:
        raise ValueError(f"scale must be in (0, 4], got {scale}")
    if Worker.objects.filter(district=district).exists():
        # Already generated: a second run must not touch the grid (it would fill the deliberate gaps
        # and assign households imported since to generated representatives).
        return dict.fromkeys(("workers", "deployments", "teams", *(f"assignments_l{n}" for n in range(1, 5))), 0)
    rules = GridRuleSet.in_force(START)
    households = list(
        Household.objects.within(district.code)
        .order_by("path", "room", "id")
        .values_list("id", "community_id", "compound_id", "building_id", "path")
    )
    if not households:
        return {}
    nodes = {
        pk: (pk, code, level, parent, kind)
        for pk, code, level, parent, kind in Division.objects.within(district.code)
        .filter(level__gte=Level.STREET, level__lte=Level.BUILDING)
        .values_list("id", "code", "level", "parent_id", "kind")
    }
    builder = _Builder(district, timezone.now())
    master = random.Random(f"{seed}:{district.code}:workforce")
    by_community: dict[int, list[tuple]] = defaultdict(list)
    for row in households:
        by_community[row[1]].append(row)
    communities = sorted(by_community, key=lambda pk: nodes[pk][1])
    compounds_of: dict[int, list[int]] = defaultdict(list)
    for pk, (_pk, _code, level, parent, _kind) in sorted(nodes.items(), key=lambda item: item[1][1]):
        if level == Level.COMPOUND and parent in by_community:
            compounds_of[parent].append(pk)
    all_compounds = [c for community in communities for c in compounds_of[community]]
    gaps_l1 = _pick(master, communities, 1)
    gaps_l2 = _pick(master, [c for c in communities if c not in gaps_l1], 1)
    gaps_l3 = _pick(master, all_compounds, max(1, round(GAP_COMPOUND_SHARE * len(all_compounds))))
    weights = {c: len(by_community[c]) for c in communities}
    shares = {cat: apportion(round(n * scale), weights, FLOORS.get(cat, 0)) for cat, n in REPORT_FIGURES.items()}
    # The village with the most households runs the "blue vest" team: its volunteers are set aside first.
    villages = [c for c in communities if nodes[c][4] == Kind.VILLAGE]
    blue_vest_village = max(villages, key=lambda c: (weights[c], -c)) if villages else None
    if blue_vest_village is not None:
        volunteers = round(REPORT_FIGURES[Category.VOLUNTEER] * scale)
        reserved = min(volunteers, max(1, round(BLUE_VEST_MEMBERS * scale)))
        shares[Category.VOLUNTEER] = apportion(volunteers - reserved, weights)
        shares[Category.VOLUNTEER][blue_vest_village] += reserved
    existing_units = set(
        ResponsibilityAssignment.objects.filter(district=district, household__isnull=True).values_list(
            "level", "division_id"
        )
    )
    city, district_name = Division.objects.get(pk=district.parent_id).short_name, district.short_name

    # L1: street leadership.
    streets = sorted({nodes[c][3] for c in communities}, key=lambda pk: nodes[pk][1])
    for street in streets:
        rng = random.Random(f"{seed}:{nodes[street][1]}:leaders")
        names = _Names(rng)
        mine = [c for c in communities if nodes[c][3] == street]
        leaders = [
            builder.worker(
                f"gen:st:{nodes[street][1]}:{i:02d}",
                names=names,
                base=nodes[street][:2],
                categories=[Category.STREET_STAFF, Category.PARTY_MEMBER],
                position=STREET_POSITIONS[i % len(STREET_POSITIONS)],
            )[0]
            for i in range(max(1, math.ceil(len(mine) / COMMUNITIES_PER_LEADER)))
        ]
        for i, community in enumerate(mine):
            if community not in gaps_l1 and (L1, community) not in existing_units:
                builder.assign(
                    L1, leaders[i % len(leaders)], division=community, path=nodes[community][1], community_id=community
                )

    # Community workforce, deployments, L2 and L3.
    for community in communities:
        code = nodes[community][1]
        rng = random.Random(f"{seed}:{code}:workforce")
        names = _Names(rng)
        street = nodes[nodes[community][3]]
        compounds = compounds_of[community]
        staff, cadres, volunteers = [], [], []
        for category, short in SHORT.items():
            for i in range(shares[category][community]):
                cats = [category]
                if category == Category.COMMUNITY_STAFF and rng.random() < GRID_WORKER_SHARE:
                    cats.append(Category.GRID_WORKER)
                if rng.random() < PARTY_SHARE[category]:
                    cats.append(Category.PARTY_MEMBER)
                extra = {}
                if category == Category.CITY_CADRE:
                    extra["sending_organisation"] = (
                        city + ("市" if not city.endswith("市") else "") + rng.choice(CITY_ORGANISATIONS)
                    )
                elif category == Category.DISTRICT_CADRE:
                    extra["sending_organisation"] = district_name + rng.choice(DISTRICT_ORGANISATIONS)
                cadre = category in (Category.CITY_CADRE, Category.DISTRICT_CADRE)
                base = street[:2] if cadre else nodes[community][:2]
                worker_id, new = builder.worker(
                    f"gen:{short}:{code}:{i:03d}", names=names, base=base, categories=cats, **extra
                )
                place = community
                if category in (Category.VOLUNTEER, Category.VETERAN) and compounds and rng.random() < 0.5:
                    place = rng.choice(compounds)
                if new:
                    builder.deploy(worker_id, nodes[place][:2], community)
                (staff if category == Category.COMMUNITY_STAFF else cadres if cadre else volunteers).append(
                    (worker_id, category)
                )
        cadre_ids = [w for w, _c in cadres]
        if community not in gaps_l2 and cadre_ids:
            targets = [community, *compounds][: len(cadre_ids)]
            for worker_id, target in zip(cadre_ids, targets, strict=False):
                if (L2, target) not in existing_units:
                    builder.assign(
                        L2,
                        worker_id,
                        division=target,
                        path=nodes[target][1],
                        community_id=community,
                        compound_id=target if target != community else None,
                    )
        staff_ids = [w for w, _c in staff]
        for i, compound in enumerate(compounds):
            if compound not in gaps_l3 and (L3, compound) not in existing_units:
                builder.assign(
                    L3,
                    staff_ids[i % len(staff_ids)],
                    division=compound,
                    path=nodes[compound][1],
                    community_id=community,
                    compound_id=compound,
                )
        team_volunteers = [w for w, c in volunteers if c == Category.VOLUNTEER]
        if team_volunteers:
            blue_vest = community == blue_vest_village
            builder.plan.teams.append(
                {
                    "base": nodes[community][:2],
                    "name": "蓝马甲志愿服务队" if blue_vest else "志愿服务队",
                    "leader": team_volunteers[0],
                    "members": team_volunteers,
                    "duties": "上门服务、物资配送、秩序维护" if blue_vest else "核酸检测秩序维护、物资配送",
                }
            )

    _plan_representatives(builder, master, households, nodes, rules, seed)
    return _write(builder, district, scale, seed)


def _plan_representatives(builder: _Builder, master: random.Random, households, nodes, rules, seed) -> None:
    """L4: one representative per ``target_households`` consecutive households of each compound."""
    assigned = set(
        ResponsibilityAssignment.objects.filter(district=builder.district, level=L4).values_list(
            "household_id", flat=True
        )
    )
    gap_count = max(3, round(GAP_HOUSEHOLD_SHARE * len(households)))
    gaps = _pick(master, [h[0] for h in households], gap_count)
    builder.plan.gap_households = len(gaps)
    by_place: dict[int, list[tuple]] = defaultdict(list)
    for row in households:
        if row[0] not in gaps:
            by_place[row[2] or row[1]].append(row)
    places = sorted(by_place, key=lambda pk: nodes[pk][1])
    big = [p for p in places if len(by_place[p]) > rules.overload_threshold]
    overloaded = _pick(master, big, max(2, round(OVERLOAD_SHARE * len(places))))
    builder.plan.overloaded = len(overloaded)
    elsewhere = {}
    movable = [p for p in places if len(by_place[p]) >= 2]
    for p, q in zip(movable[1::7][:2], movable[::7][:2], strict=False):
        if p != q:
            elsewhere[p] = q  # the first representative of p lives in q: outside their scope
    for place in places:
        rows = by_place[place]
        rng = random.Random(f"{seed}:{nodes[place][1]}:representatives")
        names = _Names(rng)
        sizes = []
        remaining = len(rows)
        if place in overloaded:
            first = min(remaining, rules.overload_threshold + rng.randint(3, 10))
            sizes.append(first)
            remaining -= first
        groups = math.ceil(remaining / rules.target_households) if remaining else 0
        sizes += [remaining // groups + (1 if i < remaining % groups else 0) for i in range(groups)]
        start = 0
        for k, size in enumerate(sizes):
            group = rows[start : start + size]
            start += size
            buildings = {row[3] for row in group}
            home = buildings.pop() if len(buildings) == 1 and None not in buildings else group[0][2] or group[0][1]
            if k == 0 and place in elsewhere:
                home = elsewhere[place]
            worker_id, _new = builder.worker(
                f"gen:rep:{nodes[place][1]}:{k:03d}",
                names=names,
                base=nodes[home][:2],
                categories=[Category.HOUSEHOLD_REPRESENTATIVE],
            )
            for household_id, community, compound, building, path in group:
                if household_id not in assigned:
                    builder.assign(
                        L4,
                        worker_id,
                        division=building or compound or community,
                        path=path,
                        community_id=community,
                        compound_id=compound,
                        household_id=household_id,
                    )


def _write(builder: _Builder, district: Division, scale: float, seed: int) -> dict[str, int]:
    plan = builder.plan
    with transaction.atomic():
        ids = bulk.reserve_ids(Worker, len(plan.workers))
        real = {row["id"]: new_id for row, new_id in zip(plan.workers, ids, strict=True)}

        def resolve(worker_id: int) -> int:
            return real.get(worker_id, worker_id)

        for row in plan.workers:
            row["id"] = real[row["id"]]
        _insert(Worker, plan.workers)
        bulk.insert_rows(WorkerCategory, ["worker_id", "category"], [(resolve(w), c) for w, c in plan.categories])
        for row in plan.deployments:
            row["worker_id"] = resolve(row["worker_id"])
        _insert(Deployment, plan.deployments)
        for row in plan.assignments:
            row["worker_id"] = resolve(row["worker_id"])
        _insert(ResponsibilityAssignment, plan.assignments)
        existing_teams = set(Team.objects.filter(district=district).values_list("base_division_id", "name"))
        teams = [t for t in plan.teams if (t["base"][0], t["name"]) not in existing_teams]
        team_ids = bulk.reserve_ids(Team, len(teams))
        _insert(
            Team,
            [
                {
                    "id": team_id,
                    "district_id": district.pk,
                    "base_division_id": t["base"][0],
                    "path": t["base"][1],
                    "name": t["name"],
                    "leader_id": resolve(t["leader"]),
                    "duties": t["duties"],
                    "created_at": builder.now,
                }
                for team_id, t in zip(team_ids, teams, strict=True)
            ],
        )
        bulk.insert_rows(
            Team.members.through,
            ["team_id", "worker_id"],
            [(team_id, resolve(w)) for team_id, t in zip(team_ids, teams, strict=True) for w in t["members"]],
        )
        levels = defaultdict(int)
        for row in plan.assignments:
            levels[row["level"]] += 1
        counts = {
            "workers": len(plan.workers),
            "deployments": len(plan.deployments),
            "teams": len(teams),
            **{f"assignments_l{level}": levels[level] for level in (1, 2, 3, 4)},
        }
        if any(counts.values()):
            _analyze(Worker, WorkerCategory, Deployment, ResponsibilityAssignment)
            counts["gap_households"] = plan.gap_households
            counts["overloaded_representatives"] = plan.overloaded
            audit.record(
                actor=None,
                action="generate_workforce",
                obj=district,
                detail={"scale": scale, "seed": seed, **counts},
            )
    return counts


def _analyze(*models) -> None:
    """Refresh the planner's statistics after a bulk load (SQLite has none until ANALYZE runs, and then
    prefers the wrong index for look-ups by household)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def _insert(model, rows: list[dict]) -> int:
    if not rows:
        return 0
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in rows[0]]
    return bulk.insert_rows(model, fields, ([row[f] for f in fields] for row in rows))


# Demo logins linked to a generated worker (create_demo_users): role → (the responsibility level the
# worker holds, the categories to pick from in order of preference, the field matched against the
# login's division: where the worker lives, or where their assignment is).
DEMO_WORKER_ROLES: dict[str, tuple[int, tuple[str, ...], str]] = {
    "household_representative": (L4, (Category.HOUSEHOLD_REPRESENTATIVE,), "path"),
    "grid_worker": (L3, (Category.GRID_WORKER, Category.COMMUNITY_STAFF), "assignments__path"),
    "stationed_cadre": (L2, (Category.DISTRICT_CADRE, Category.CITY_CADRE), "assignments__path"),
}


def link_demo_worker(*, user, district: Division, role: str) -> Worker | None:
    """Link the demo login ``user`` (role ``role``, a key of :data:`DEMO_WORKER_ROLES`) to a generated,
    unlinked worker of the matching category holding active assignments of the role's level, so the
    login's own pages (我的值守, my households) show something. Idempotent: returns the worker already
    linked, else the one linked now, or None (role not listed, no such worker in the district).

    Prefers a worker at the login's division, then its community, then its street, then the first of
    the district by code; categories in the listed order. Audited through services.worker_link_user.
    """
    from lianfang.workforce.services import worker_link_user  # noqa: PLC0415

    linked = Worker.objects.filter(user=user).first()
    if linked is not None or role not in DEMO_WORKER_ROLES:
        return linked
    level, categories, match = DEMO_WORKER_ROLES[role]
    candidates = (
        Worker.objects.filter(
            district=district, user__isnull=True, assignments__level=level, assignments__ends_on__isnull=True
        )
        .distinct()
        .order_by("path", "pk")
    )
    places = [a.division.code for a in user.role_assignments.select_related("division")]
    prefixes = list(dict.fromkeys(p for code in places for p in (code, code[:12], code[:9])))
    chosen = None
    for prefix in prefixes:
        for category in categories:
            chosen = candidates.filter(categories__category=category, **{f"{match}__startswith": prefix}).first()
            if chosen:
                break
        if chosen:
            break
    chosen = chosen or candidates.filter(categories__category=categories[0]).first()
    if chosen is None:
        return None
    worker_link_user(actor=None, worker=chosen, user=user)
    return chosen


def link_demo_representative(*, user, district: Division) -> None:
    """Link ``user`` to a generated household representative with active L4 assignments (idempotent);
    :func:`link_demo_worker` for the household-representative role."""
    link_demo_worker(user=user, district=district, role="household_representative")
