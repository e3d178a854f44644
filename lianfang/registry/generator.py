"""Seeded generator of a realistic district population (demo, tests, benchmarks). Never real people.

Figures it reproduces (domain.md §6, data README):
- Qilihe (620103): about 0.56 M residents at ``scale=1``, about 640 compounds across its 141
  communities/villages (more and bigger in urban communities; village groups in villages).
- Lanzhou census 2020: 2.43 people per family household (the size distribution below has mean 2.43).
- An age structure close to Gansu's 2020 census (0-14: ~18 %, 15-59: ~63 %, 60+: ~19 %).
- Valid identity numbers (GB 11643-1999: the district's address code for most registered residents,
  another Gansu county's for inflow residents; birth date and sex consistent; correct check
  character), valid mobile numbers, and realistic shares of vulnerable people.

Same ``seed`` and ``scale`` give the same people, addresses and numbers (each community draws from
its own ``random.Random(f"{seed}:{code}")``). Rows are written through core.bulk (COPY/executemany)
community by community inside one transaction, so memory stays flat and a failure leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, pinyin

from lianfang.core import audit, bulk, idnumber, pii
from lianfang.divisions.models import Division, Kind, Level
from lianfang.divisions.services import child_boxes
from lianfang.registry.models import Household, Relation, ResidenceStatus, Resident

DISTRICT_RESIDENTS = 560_000
PEOPLE_PER_HOUSEHOLD = 2.43
URBAN_SHARE = 0.86  # of residents living in communities (社区) rather than villages (村)
COMPOUNDS_PER_URBAN_COMMUNITY = (3, 9)  # uniform range at scale 1: mean 6 → ~490 in Qilihe's 82 communities
GROUPS_PER_VILLAGE = (1, 4)  # mean 2.5 → ~150 village groups in its 59 villages; ~640 in all
HOUSEHOLD_SIZES = [(1, 0.27), (2, 0.31), (3, 0.24), (4, 0.11), (5, 0.05), (6, 0.02)]  # mean 2.42

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾"
    "夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁俊峰建国文志海东亮龙晨浩宇轩博泽瑞"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲桂英红梅兰萍琳洁雪颖倩婷琪欣怡悦涵诗雨佳慧淑珍秀凤"
COMPOUND_PREFIXES = (
    "阳光",
    "幸福",
    "金城",
    "西园",
    "建兰",
    "华林",
    "民安",
    "和平",
    "兰工",
    "五里",
    "晏家",
    "龚家",
    "土门",
    "秀川",
    "敦煌",
    "西站",
    "吴家园",
    "硷沟沿",
    "小西湖",
    "七里河",
    "桃园",
    "锦华",
    "万达",
    "新城",
    "彭家坪",
    "安西",
)
COMPOUND_SUFFIXES = ("小区", "家园", "花园", "佳苑", "新村", "公寓", "嘉园", "雅苑")
CHINESE_NUMERALS = "零一二三四五六七八九十"
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
)
GANSU_COUNTY_CODES = (
    "620102",
    "620104",
    "620105",
    "620111",
    "620121",
    "620122",
    "620123",
    "620402",
    "620502",
    "620602",
    "620702",
    "620802",
    "620902",
    "621102",
    "621202",
    "622901",
    "623001",
)
# Codes issued before 620103 existed in its present form: older residents may carry these.
OLD_LANZHOU_CODES = ("620100", "620102", "620103")


def _numeral(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMERALS[tens] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[ones] if ones else "")


@functools.cache
def _initial(char: str) -> str:
    letters = pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    return letters[0][0].lower() if letters and letters[0] else ""


def name_initials(name: str) -> str:
    """Pinyin initials via pypinyin, one character at a time (cached): 王建国 → ``wjg``."""
    return "".join(_initial(c) for c in name)


@dataclass
class GenerationReport:
    """Counts of what a run created; ``skipped`` is True when the district already had households."""

    compounds: int = 0
    buildings: int = 0
    units: int = 0
    households: int = 0
    residents: int = 0
    skipped: bool = False
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class _Person:
    name: str
    sex: str
    birth: dt.date
    relation: str
    status: str
    id_number: str = ""
    phone: str = ""
    flags: dict[str, bool] = field(default_factory=dict)
    guardian_index: int | None = None


class _People:
    """Draws names, birth dates, ID numbers and phones for one community from its own RNG."""

    def __init__(self, rng: random.Random, today: dt.date, used_ids: set[str]):
        self.rng, self.today, self.used_ids = rng, today, used_ids

    def name(self, sex: str, surname: str | None = None) -> str:
        pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
        given = self.rng.choice(pool) + (self.rng.choice(pool) if self.rng.random() < 0.7 else "")
        return (surname or self.rng.choice(SURNAMES)) + given

    def birth(self, age: int) -> dt.date:
        year = self.today.year - age
        start = dt.date(year, 1, 1)
        day = start + dt.timedelta(days=self.rng.randrange(365))
        if day > self.today:
            day = self.today - dt.timedelta(days=self.rng.randrange(1, 300))
        return day

    def id_number(self, birth: dt.date, sex: str, address_code: str) -> str:
        for _attempt in range(50):
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = idnumber.make(address_code, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise RuntimeError("could not draw a unique identity number")  # 50 collisions: not reachable in practice

    def phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


def _adult_age(rng: random.Random, low: int = 22, high: int = 88) -> int:
    # Weighted towards working ages, with Gansu's ageing tail.
    age = int(rng.triangular(low, high, 42))
    return max(low, min(high, age))


def _household_people(rng: random.Random, people: _People, size: int, status: str) -> list[_Person]:
    """The members of one household of ``size``: head (and spouse), children, sometimes grandparents."""
    head_sex = "M" if rng.random() < 0.6 else "F"
    surname = rng.choice(SURNAMES)
    if size == 1:
        age = _adult_age(rng, 20, 92) if rng.random() < 0.55 else int(rng.uniform(65, 95))
        return [_Person(people.name(head_sex, surname), head_sex, people.birth(age), Relation.HEAD, status)]
    elderly_couple = size == 2 and rng.random() < 0.45
    head_age = int(rng.uniform(60, 90)) if elderly_couple else _adult_age(rng, 24, 70)
    spouse_sex = "F" if head_sex == "M" else "M"
    members = [
        _Person(people.name(head_sex, surname), head_sex, people.birth(head_age), Relation.HEAD, status),
        _Person(
            people.name(spouse_sex),
            spouse_sex,
            people.birth(max(20, head_age + rng.randint(-4, 3))),
            Relation.SPOUSE,
            status,
        ),
    ]
    remaining = size - 2
    if remaining and head_age >= 58 and rng.random() < 0.5:
        # Three generations living with their grown child's family: child and grandchildren.
        child_sex = rng.choice("MF")
        members.append(
            _Person(
                people.name(child_sex, surname),
                child_sex,
                people.birth(head_age - rng.randint(24, 32)),
                Relation.CHILD,
                status,
            )
        )
        remaining -= 1
        for _ in range(remaining):
            sex = rng.choice("MF")
            members.append(
                _Person(people.name(sex), sex, people.birth(rng.randint(0, 16)), Relation.GRANDCHILD, status)
            )
        return members
    for _ in range(remaining):
        if head_age > 45 and rng.random() < 0.25:
            sex = rng.choice("MF")
            members.append(
                _Person(
                    people.name(sex),
                    sex,
                    people.birth(min(100, head_age + rng.randint(22, 32))),
                    Relation.PARENT,
                    status,
                )
            )
        else:
            sex = rng.choice("MF")
            child_age = max(0, min(head_age - 20, int(rng.triangular(0, head_age - 20, (head_age - 20) / 2))))
            members.append(_Person(people.name(sex, surname), sex, people.birth(child_age), Relation.CHILD, status))
    return members


def _complete(rng: random.Random, people: _People, members: list[_Person], district_code: str) -> None:
    """Identity numbers, phones, flags and guardians for one household's members (in place)."""
    today = people.today
    size = len(members)
    adults = [i for i, m in enumerate(members) if (today - m.birth).days >= 18 * 365]
    for m in members:
        age = (today - m.birth).days // 365
        if m.status == ResidenceStatus.INFLOW:
            code = rng.choice(GANSU_COUNTY_CODES)
        elif age >= 45 and rng.random() < 0.3:
            code = rng.choice(OLD_LANZHOU_CODES)
        else:
            code = district_code
        if age == 0 and rng.random() < 0.5 and adults:
            m.guardian_index = adults[0]  # a newborn without a number yet: registered through a guardian
        else:
            m.id_number = people.id_number(m.birth, m.sex, code)
        has_phone = 12 <= age <= 80 or (age > 80 and rng.random() < 0.4)
        smartphone = has_phone and not (age >= 70 and rng.random() < 0.45)
        if has_phone:
            m.phone = people.phone()
        m.flags = {
            "elderly_alone": size == 1 and age >= 65,
            "no_smartphone": age >= 60 and not smartphone,
            "chronic_illness": age >= 45 and rng.random() < (0.12 if age < 65 else 0.3),
            "dialysis": age >= 30 and rng.random() < 0.0015,
            "pregnant": m.sex == "F" and 22 <= age <= 40 and rng.random() < 0.03,
            "bedridden": age >= 75 and rng.random() < 0.04,
            "disabled": rng.random() < 0.02,
            "infant": age < 3,
        }


RESIDENT_FIELDS = [
    "id",
    "household_id",
    "path",
    "name",
    "name_initials",
    "document_type",
    "guardian_id",
    "sex",
    "birth_date",
    "relation",
    "residence_status",
    "registration_address",
    "elderly_alone",
    "no_smartphone",
    "chronic_illness",
    "dialysis",
    "pregnant",
    "bedridden",
    "disabled",
    "infant",
    "is_deceased",
    "id_enc",
    "id_hash",
    "id_masked",
    "id_last4",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "phone_last4",
    "created_at",
    "updated_at",
]
HOUSEHOLD_FIELDS = [
    "id",
    "district_id",
    "community_id",
    "compound_id",
    "building_id",
    "unit_id",
    "path",
    "room",
    "address",
    "contact_name",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "phone_last4",
    "created_at",
    "updated_at",
]


def _sealed(kind: str, value: str) -> tuple:
    s = pii.seal(kind, value)
    return s.ciphertext, s.hash, s.masked, s.last4


def _compound_name(rng: random.Random, used: set[str]) -> str:
    for _attempt in range(100):
        name = rng.choice(COMPOUND_PREFIXES) + rng.choice(COMPOUND_SUFFIXES)
        if name not in used:
            used.add(name)
            return name
    name = f"{rng.choice(COMPOUND_PREFIXES)}{len(used) + 1}号{rng.choice(COMPOUND_SUFFIXES)}"
    used.add(name)
    return name


@dataclass
class _Slot:
    """One dwelling: the nodes above it and its room label."""

    compound: Division
    building: Division | None
    unit: Division | None
    room: str


def _layout_community(rng, community: Division, households: int, scale: float, next_number: Callable) -> tuple:
    """Create compounds (or village groups), buildings and units for ``households`` dwellings.

    Returns (new Division rows, list of _Slot). Nodes are built in memory with shapes laid out in the
    parent's schematic box (divisions.services.child_boxes).
    """
    village = community.kind == Kind.VILLAGE
    low, high = GROUPS_PER_VILLAGE if village else COMPOUNDS_PER_URBAN_COMMUNITY
    n_compounds = max(1, round(rng.randint(low, high) * min(1.0, scale)))
    n_compounds = min(n_compounds, max(1, households // 20))
    weights = [rng.uniform(0.5, 1.5) for _ in range(n_compounds)]
    total = sum(weights)
    shares = [int(households * w / total) for w in weights]
    shares[0] += households - sum(shares)
    nodes: list[Division] = []
    slots: list[_Slot] = []
    used_names: set[str] = set()
    compound_boxes = child_boxes(community.geometry, n_compounds)
    for ci in range(n_compounds):
        number = next_number(community)
        if village:
            name = f"{_numeral(number) if number <= 99 else number}组"
            kind = Kind.VILLAGE_GROUP
        else:
            name = _compound_name(rng, used_names)
            kind = Kind.COMPOUND
        compound = Division(
            code=f"{community.code}{number:03d}",
            name=name,
            short_name=name,
            level=Level.COMPOUND,
            kind=kind,
            parent=community,
            district_id=community.district_id,
            is_official=False,
            geometry=compound_boxes[ci],
            schematic=True,
        )
        nodes.append(compound)
        if village:
            slots.extend(_Slot(compound, None, None, f"{h + 1}号") for h in range(shares[ci]))
            continue
        # Urban: buildings of 1-3 units, 6-7 floors (some towers), 2 dwellings per floor and unit.
        plans = []
        capacity = 0
        while capacity < shares[ci]:
            units = rng.choice((1, 2, 2, 3))
            floors = rng.choice((6, 6, 7, 7, 11, 18)) if rng.random() < 0.9 else rng.choice((24, 28, 33))
            plans.append((units, floors))
            capacity += units * floors * 2
        remaining = shares[ci]
        building_boxes = child_boxes(compound.geometry, len(plans))
        for bi, (units, floors) in enumerate(plans, start=1):
            building = Division(
                code=f"{compound.code}{bi:03d}",
                name=f"{bi}号楼",
                short_name=f"{bi}号楼",
                level=Level.BUILDING,
                kind=Kind.BUILDING,
                parent=compound,
                district_id=community.district_id,
                is_official=False,
                geometry=building_boxes[bi - 1],
                schematic=True,
            )
            nodes.append(building)
            unit_boxes = child_boxes(building.geometry, units)
            for ui in range(1, units + 1):
                unit = Division(
                    code=f"{building.code}{ui:02d}",
                    name=f"{ui}单元",
                    short_name=f"{ui}单元",
                    level=Level.UNIT,
                    kind=Kind.UNIT,
                    parent=building,
                    district_id=community.district_id,
                    is_official=False,
                    geometry=unit_boxes[ui - 1],
                    schematic=True,
                )
                nodes.append(unit)
                for floor in range(1, floors + 1):
                    for door in (1, 2):
                        if remaining <= 0:
                            break
                        slots.append(_Slot(compound, building, unit, f"{floor}{door:02d}"))
                        remaining -= 1
    return nodes, slots


def _community_weights(rng: random.Random, communities: list[Division]) -> dict[str, float]:
    urban = [c for c in communities if c.kind != Kind.VILLAGE]
    rural = [c for c in communities if c.kind == Kind.VILLAGE]
    weights: dict[str, float] = {}
    for group, share in ((urban, URBAN_SHARE if rural else 1.0), (rural, 1 - URBAN_SHARE if urban else 1.0)):
        raw = {c.code: rng.uniform(0.5, 1.5) for c in group}
        total = sum(raw.values()) or 1.0
        for code, w in raw.items():
            weights[code] = share * w / total
    return weights


def generate_population(
    *,
    actor,
    district: Division,
    scale: float = 0.1,
    seed: int = 42,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationReport:
    """Generate compounds, buildings, units, households and residents for ``district`` (a level-3 node).

    ``scale`` 1.0 ≈ 0.56 M residents (Qilihe); must be in (0, 4]. Idempotent: when the district already
    has households nothing is written and the report says ``skipped``. Raises ValueError for a node
    that is not a district or a scale out of range. After the registry, calls
    ``lianfang.workforce.generator.generate_workforce`` when that app provides it.
    """
    if district.level != Level.DISTRICT:
        raise ValueError(f"{district.code} is not a district/county")
    if not 0 < scale <= 4:
        raise ValueError(f"scale must be in (0, 4], got {scale}")
    today = today or timezone.localdate()
    say = progress or (lambda message: None)
    report = GenerationReport()
    if Household.objects.within(district.code).exists():
        report.skipped = True
        report.households = Household.objects.within(district.code).count()
        report.residents = Resident.objects.within(district.code).count()
    else:
        expected = DISTRICT_RESIDENTS * scale  # a big first load: indexes re-created after the inserts
        big = bulk.big_first_loads({Household: round(expected / PEOPLE_PER_HOUSEHOLD), Resident: round(expected)})
        with transaction.atomic(), bulk.indexes_deferred(*big):
            _generate(district, scale, seed, today, report, say)
            audit.record(
                actor=actor,
                action="generate_population",
                obj=district,
                detail={"scale": scale, "seed": seed, "households": report.households, "residents": report.residents},
            )
    report.extra.update(_generate_workforce(district, scale, seed, say))
    return report


def _generate_workforce(district, scale, seed, say) -> dict[str, int]:
    try:
        from lianfang.workforce.generator import generate_workforce  # noqa: PLC0415 (optional app hook)
    except ImportError:
        return {}
    say(_("workforce and responsibility grid"))
    return generate_workforce(district=district, scale=scale, seed=seed) or {}


def _generate(district: Division, scale: float, seed: int, today: dt.date, report: GenerationReport, say) -> None:
    communities = list(
        Division.objects.filter(parent__district=district, level=Level.COMMUNITY)
        .select_related("parent")
        .order_by("code")
    )
    if not communities:
        raise ValueError(f"district {district.code} has no communities/villages loaded")
    master = random.Random(f"{seed}:{district.code}")
    weights = _community_weights(master, communities)
    total_households = max(len(communities), round(DISTRICT_RESIDENTS * scale / PEOPLE_PER_HOUSEHOLD))
    existing_local = {}
    for code in Division.objects.within(district.code).filter(level=Level.COMPOUND).values_list("code", flat=True):
        existing_local[code[:12]] = max(existing_local.get(code[:12], 0), int(code[12:]))

    def next_number(community: Division) -> int:
        existing_local[community.code] = existing_local.get(community.code, 0) + 1
        return existing_local[community.code]

    used_ids: set[str] = set()
    now = timezone.now()
    for index, community in enumerate(communities, start=1):
        rng = random.Random(f"{seed}:{community.code}")
        households = max(1, round(total_households * weights[community.code]))
        nodes, slots = _layout_community(rng, community, households, scale, next_number)
        for level in (Level.COMPOUND, Level.BUILDING, Level.UNIT):  # parents first: children need their ids
            Division.objects.bulk_create([n for n in nodes if n.level == level], batch_size=500)
        report.compounds += sum(1 for n in nodes if n.level == Level.COMPOUND)
        report.buildings += sum(1 for n in nodes if n.level == Level.BUILDING)
        report.units += sum(1 for n in nodes if n.level == Level.UNIT)
        _write_households(rng, community, district, slots, today, now, used_ids, report)
        if index % 10 == 0 or index == len(communities):
            say(
                _("%(done)d/%(total)d communities, %(residents)d residents")
                % {"done": index, "total": len(communities), "residents": report.residents}
            )


def _write_households(rng, community, district, slots, today, now, used_ids, report) -> None:
    people = _People(rng, today, used_ids)
    sizes, size_weights = zip(*HOUSEHOLD_SIZES, strict=True)
    household_ids = bulk.reserve_ids(Household, len(slots))
    household_rows = []
    plans = []
    for slot, household_id in zip(slots, household_ids, strict=True):
        size = rng.choices(sizes, size_weights)[0]
        roll = rng.random()
        status = (
            ResidenceStatus.INFLOW
            if roll < 0.17
            else ResidenceStatus.AWAY
            if roll < 0.20
            else (ResidenceStatus.REGISTERED)
        )
        members = _household_people(rng, people, size, status)
        _complete(rng, people, members, district.code)
        node = slot.unit or slot.building or slot.compound
        parts = [community.short_name, slot.compound.short_name]
        if slot.building:
            parts += [slot.building.short_name, slot.unit.short_name]
        address = " ".join([*parts, slot.room])
        head = members[0]
        household_rows.append(
            (
                household_id,
                district.id,
                community.id,
                slot.compound.id,
                slot.building.id if slot.building else None,
                slot.unit.id if slot.unit else None,
                node.code,
                slot.room,
                address,
                head.name,
                *_sealed("phone", head.phone),
                now,
                now,
            )
        )
        plans.append((household_id, node.code, members))
    bulk.insert_rows(Household, HOUSEHOLD_FIELDS, household_rows)
    count = sum(len(m) for _, _, m in plans)
    resident_ids = iter(bulk.reserve_ids(Resident, count))
    rows = []
    registration = f"甘肃省兰州市{district.short_name}"
    for household_id, path, members in plans:
        ids = [next(resident_ids) for _ in members]
        for person_id, m in zip(ids, members, strict=True):
            document = "resident_id" if m.id_number else "none"
            guardian = ids[m.guardian_index] if m.guardian_index is not None else None
            reg = registration if m.status != ResidenceStatus.INFLOW else "甘肃省"
            rows.append(
                (
                    person_id,
                    household_id,
                    path,
                    m.name,
                    name_initials(m.name),
                    document,
                    guardian,
                    m.sex,
                    m.birth,
                    m.relation,
                    m.status,
                    reg,
                    *(
                        m.flags[k]
                        for k in (
                            "elderly_alone",
                            "no_smartphone",
                            "chronic_illness",
                            "dialysis",
                            "pregnant",
                            "bedridden",
                            "disabled",
                            "infant",
                        )
                    ),
                    False,
                    *_sealed("id", m.id_number),
                    *_sealed("phone", m.phone),
                    now,
                    now,
                )
            )
    # Guardians are rows of the same batch: foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED).
    bulk.insert_rows(Resident, RESIDENT_FIELDS, rows)
    report.households += len(household_rows)
    report.residents += len(rows)
