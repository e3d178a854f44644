"""Writes to the hierarchy: loading the official divisions, local nodes, schematic shapes."""

from __future__ import annotations

import csv
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from lianfang.core import audit
from lianfang.divisions.models import CODE_LENGTHS, LEVEL_BY_LENGTH, Division, Kind, Level

# Files of the NBS release as shipped in shared/data/divisions (see its README), with the column that
# names each row's parent.
DIVISION_FILES = [
    ("provinces.csv", ["code", "name"], None),
    ("cities.csv", ["code", "name", "provinceCode"], "provinceCode"),
    ("areas.csv", ["code", "name", "cityCode", "provinceCode"], "cityCode"),
    ("streets.csv", ["code", "name", "areaCode", "provinceCode", "cityCode"], "areaCode"),
    ("villages.csv", ["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"], "streetCode"),
]

# A rough box around Gansu (lon, lat); children are laid out inside their parent's box.
ROOT_BOX = (92.2, 32.5, 108.7, 42.8)
DISTRICT_BOX = (103.62, 35.88, 103.92, 36.10)  # Qilihe-sized box used when a district is the top node shown


class DivisionDataError(ValueError):
    """A problem in a division source file: ``path``, 1-based ``line``, offending ``value``."""

    def __init__(self, path: Path | str, line: int, value: object, reason: str):
        super().__init__(f"{path}:{line}: {reason}: {value!r}")
        self.path, self.line, self.value, self.reason = str(path), line, value, reason


class UnknownDivisionCode(LookupError):
    """The requested code is not in the source files."""


def short_name(name: str) -> str:
    """Drop the committee suffix: 下西园社区居委会 → 下西园社区; 八里窑村委会 → 八里窑村; 张家村村民委员会 → 张家村."""
    for suffix in ("居民委员会", "居委会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    for suffix in ("村民委员会", "村委会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            rest = name[: -len(suffix)]
            return rest if rest.endswith(("村", "社区")) else rest + "村"
    return name


def kind_for(level: int, name: str) -> str:
    """The Kind implied by the official name at ``level`` (data README: 街道/镇/乡, 社区/村)."""
    if level == Level.PROVINCE:
        return Kind.PROVINCE
    if level == Level.CITY:
        return Kind.CITY
    if level == Level.DISTRICT:
        return Kind.COUNTY if name.endswith("县") else Kind.DISTRICT if name.endswith("区") else Kind.OTHER
    if level == Level.STREET:
        if name.endswith("街道") or name.endswith("街道办事处"):
            return Kind.STREET
        if name.endswith("镇"):
            return Kind.TOWN
        if name.endswith("乡"):
            return Kind.TOWNSHIP
        return Kind.OTHER
    if name.endswith(("村委会", "村民委员会")):
        return Kind.VILLAGE
    if "社区" in name or name.endswith(("居委会", "居民委员会")):
        return Kind.COMMUNITY
    if name.endswith("村"):
        return Kind.VILLAGE
    return Kind.OTHER


@dataclass(frozen=True)
class SourceRow:
    code: str
    name: str
    parent_code: str | None
    level: int
    path: str
    line: int


def read_source(source: Path) -> dict[str, SourceRow]:
    """Read and validate all five files under ``source``; returns rows by code (a new dict each call).

    Raises DivisionDataError (file, line, value) for a missing file or column, a code of the wrong
    length or not digits, a duplicate code, a parent that is not the code's prefix, or an empty name.
    The parsed rows are kept for as long as none of the five files changes (path, size and modification
    time): all of Gansu is 19,224 rows, about 0.4 s to parse, and a process loads a district many times
    (the test suite, a demo reset).
    """
    return dict(_read_source_cached(_source_signature(source)))


def _source_signature(source: Path) -> tuple:
    """``(directory, ((file name, size, mtime_ns) or None, ...))``: what read_source's cache is keyed by."""
    directory = Path(source).resolve()
    stats = []
    for filename, _columns, _parent in DIVISION_FILES:
        try:
            st = (directory / filename).stat()
        except OSError:
            stats.append(None)
        else:
            stats.append((filename, st.st_size, st.st_mtime_ns))
    return directory, tuple(stats)


@functools.lru_cache(maxsize=4)
def _read_source_cached(signature: tuple) -> dict[str, SourceRow]:
    source = signature[0]
    rows: dict[str, SourceRow] = {}
    for level_index, (filename, columns, parent_column) in enumerate(DIVISION_FILES, start=1):
        path = Path(source) / filename
        if not path.exists():
            raise DivisionDataError(path, 0, filename, _("file not found"))
        expected_length = CODE_LENGTHS[Level(level_index)]
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise DivisionDataError(path, 1, ",".join(reader.fieldnames or []), _("missing columns %s") % missing)
            for line, rec in enumerate(reader, start=2):
                code = (rec["code"] or "").strip()
                name = (rec["name"] or "").strip()
                if not code.isdigit() or len(code) != expected_length:
                    raise DivisionDataError(path, line, code, _("code must be %d digits") % expected_length)
                if not name:
                    raise DivisionDataError(path, line, name, _("name is empty"))
                parent = (rec[parent_column] or "").strip() if parent_column else None
                if parent is not None and not code.startswith(parent):
                    raise DivisionDataError(path, line, parent, _("parent code is not a prefix of %s") % code)
                if code in rows:
                    raise DivisionDataError(path, line, code, _("duplicate code"))
                rows[code] = SourceRow(code, name, parent, level_index, str(path), line)
    for row in rows.values():
        if row.parent_code and row.parent_code not in rows:
            raise DivisionDataError(row.path, row.line, row.parent_code, _("parent code not found"))
    return rows


@dataclass
class LoadReport:
    """Counts of a load: rows ``created``, ``updated`` (name changed), ``unchanged``; ``by_kind`` counts."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def load_divisions(*, actor, source: Path, code: str) -> LoadReport:
    """Load the subtree of ``code`` (province, city or district) with its ancestors, idempotently.

    One transaction; existing rows are matched by code, names updated when they changed, nothing is
    deleted. Raises UnknownDivisionCode when ``code`` is not in the files, DivisionDataError for a
    malformed file. Shapes are (re)generated for the loaded subtree when anything changed.
    """
    rows = read_source(source)
    if code not in rows:
        raise UnknownDivisionCode(_("division code %(code)s is not in %(source)s") % {"code": code, "source": source})
    if len(code) > CODE_LENGTHS[Level.DISTRICT]:
        raise UnknownDivisionCode(_("load a province, city or district code, not %s") % code)
    wanted = sorted(
        (r for r in rows.values() if r.code.startswith(code) or code.startswith(r.code)),
        key=lambda r: (len(r.code), r.code),
    )
    report = LoadReport()
    with transaction.atomic():
        existing = {d.code: d for d in Division.objects.filter(code__in=[r.code for r in wanted])}
        new_by_level: dict[int, list[Division]] = defaultdict(list)
        for row in wanted:  # parents come first: ``wanted`` is ordered by code length
            level = LEVEL_BY_LENGTH[len(row.code)]
            kind = kind_for(level, row.name)
            report.by_kind[kind] = report.by_kind.get(kind, 0) + 1
            node = existing.get(row.code)
            if node is None:
                new_by_level[level].append(
                    Division(
                        code=row.code,
                        name=row.name,
                        short_name=short_name(row.name),
                        level=level,
                        kind=kind,
                        parent_id=None,  # set below, once the parent level is saved
                        is_official=True,
                    )
                )
                report.created += 1
            elif node.name != row.name or node.kind != kind:
                node.name, node.short_name, node.kind = row.name, short_name(row.name), kind
                node.save(update_fields=["name", "short_name", "kind"])
                report.updated += 1
            else:
                report.unchanged += 1
        # One INSERT per level (a district is about 160 rows, Gansu 19,224): a level's parents and
        # district are saved before it.
        for level in sorted(new_by_level):
            nodes = new_by_level[level]
            for node in nodes:
                parent_code = rows[node.code].parent_code
                node.parent = existing.get(parent_code) if parent_code else None
                node.district = existing.get(node.code[:6]) if level > Level.DISTRICT else None
            Division.objects.bulk_create(nodes, batch_size=1000)
            if level == Level.DISTRICT:
                Division.objects.filter(pk__in=[n.pk for n in nodes]).update(district_id=F("pk"))
            for node in nodes:
                if level == Level.DISTRICT:
                    node.district = node
                existing[node.code] = node
        if report.changed:
            assign_schematic_geometry(root_code=wanted[0].code)
            audit.record(
                actor=actor,
                action="load_divisions",
                object_type="divisions.division",
                object_id=code,
                division_code=code,
                detail={"created": report.created, "updated": report.updated},
            )
    return report


def _grid(box: tuple[float, float, float, float], n: int, pad: float = 0.06):
    """Split ``box`` (min lon, min lat, max lon, max lat) into ``n`` cells, row by row, with padding."""
    if n <= 0:
        return []
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    x0, y0, x1, y1 = box
    w, h = (x1 - x0) / cols, (y1 - y0) / rows
    cells = []
    for i in range(n):
        r, c = divmod(i, cols)
        cx0, cy1 = x0 + c * w, y1 - r * h
        cells.append((cx0 + w * pad, cy1 - h * (1 - pad), cx0 + w * (1 - pad), cy1 - h * pad))
    return cells


def _polygon(box) -> dict:
    x0, y0, x1, y1 = (round(v, 6) for v in box)
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def bbox(geometry: dict | None) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of a GeoJSON Polygon; the district box when missing."""
    if not geometry:
        return DISTRICT_BOX
    ring = geometry["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def child_boxes(parent_geometry: dict | None, n: int) -> list[dict]:
    """``n`` schematic GeoJSON rectangles laid out in a grid inside the parent's shape (row by row)."""
    return [_polygon(cell) for cell in _grid(bbox(parent_geometry), n)]


def assign_schematic_geometry(*, root_code: str) -> int:
    """Generate deterministic rectangles for every node under ``root_code`` (inclusive).

    The top node gets a box around Gansu (or a district-sized box for a district or below); each
    node's children share its box in a grid ordered by code. Same tree → same shapes. Returns the
    number of nodes written; every shape is marked ``schematic``.
    """
    nodes = list(Division.objects.within(root_code).only("id", "code", "parent_id", "level"))
    children = defaultdict(list)
    by_id = {}
    for node in nodes:
        by_id[node.id] = node
        children[node.parent_id].append(node)
    root = next(n for n in nodes if n.code == root_code)
    boxes = {root.id: ROOT_BOX if root.level < Level.DISTRICT else DISTRICT_BOX}
    stack = [root]
    while stack:
        node = stack.pop()
        kids = sorted(children.get(node.id, []), key=lambda d: d.code)
        for kid, cell in zip(kids, _grid(boxes[node.id], len(kids)), strict=True):
            boxes[kid.id] = cell
            stack.append(kid)
    for node in nodes:
        node.geometry = _polygon(boxes[node.id])
        node.schematic = True
    Division.objects.bulk_update(nodes, ["geometry", "schematic"], batch_size=1000)
    return len(nodes)


def local_code(parent: Division, number: int) -> str:
    """The code of local child ``number`` (1-based) of ``parent``: +3 digits below a community or
    compound, +2 below a building. Raises ValueError when the number does not fit."""
    width = 2 if parent.level == Level.BUILDING else 3
    if parent.level < Level.COMMUNITY or parent.level >= Level.UNIT:
        raise ValueError(f"no local children below level {parent.level}")
    if not 1 <= number < 10**width:
        raise ValueError(f"local number {number} does not fit in {width} digits")
    return f"{parent.code}{number:0{width}d}"


def local_node_create(*, actor, parent: Division, number: int, name: str, kind: str | None = None) -> Division:
    """Create a compound/village group, building or unit under ``parent`` and audit it."""
    level = Level(parent.level + 1)
    if kind is None:
        kind = {
            Level.COMPOUND: Kind.VILLAGE_GROUP if parent.kind == Kind.VILLAGE else Kind.COMPOUND,
            Level.BUILDING: Kind.BUILDING,
            Level.UNIT: Kind.UNIT,
        }[level]
    with transaction.atomic():
        node = Division.objects.create(
            code=local_code(parent, number),
            name=name,
            short_name=name,
            level=level,
            kind=kind,
            parent=parent,
            district_id=parent.district_id,
            is_official=False,
        )
        audit.record(actor=actor, action="create", obj=node)
    return node
