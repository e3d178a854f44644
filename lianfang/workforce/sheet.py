"""The daily workforce sheet (工作力量统计表) as the Qilihe district's report of 27 March 2022 counts it.

Per street/town and per community/village: communities, compounds, community workers, city-level and
district-level stationed cadres, social work committee members, veterans, volunteers, party members
and the people deployed in all, with totals and one summary sentence in zh-Hans and English. That
report read: 9 streets, 65 communities, 1,848 community workers, 429 city-level and 790
district-level cadres, 428 social work committee members, 196 veterans and 657 volunteers in 638
compounds (domain.md §6).

Counting rules (documented in docs/workforce.md):
- A worker counts on day D when one of their deployments is active on D (starts_on ≤ D ≤ ends_on).
  A worker has at most one deployment a day (database constraint), so street and district figures
  are sums of the community rows.
- A worker counts once in every column whose categories they hold; "community workers" are community
  (residents' committee) staff and grid workers; "total" counts each deployed person once.
- Communities are those with at least one active deployment on D (the report counted only the
  communities involved: 65 of Qilihe's 141); compounds are the compounds/village groups of those
  communities; streets are the streets of those communities.
- Every figure counts what the viewer may see (``visible_to``). A viewer who sees only part of the
  division (a volunteer or grid worker scoped to a compound opens the sheet of its community) gets a
  sheet whose title and sentence name that part (:attr:`WorkforceSheet.counted_name`: "阳光小区 in
  下西园社区"), never the whole community, and whose compounds are only those they may see.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from lianfang.core.forms import listing
from lianfang.core.scoping import scope_for
from lianfang.core.spreadsheets import save_as_text
from lianfang.divisions.models import Division, Level
from lianfang.workforce.models import Category, Deployment, active_on_q
from lianfang.workforce.selectors import SYSTEM, scoped


@dataclass(frozen=True)
class SheetColumn:
    """A counted column: ``key``, ``label`` and the categories it counts (empty: every deployed person)."""

    key: str
    label: object
    categories: tuple[str, ...]


SHEET_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn(
        "community_workers", gettext_lazy("Community workers"), (Category.COMMUNITY_STAFF, Category.GRID_WORKER)
    ),
    SheetColumn("city_cadres", gettext_lazy("City-level cadres"), (Category.CITY_CADRE,)),
    SheetColumn("district_cadres", gettext_lazy("District-level cadres"), (Category.DISTRICT_CADRE,)),
    SheetColumn(
        "social_work_committee", gettext_lazy("Social work committee members"), (Category.SOCIAL_WORK_COMMITTEE,)
    ),
    SheetColumn("veterans", gettext_lazy("Veterans"), (Category.VETERAN,)),
    SheetColumn("volunteers", gettext_lazy("Volunteers"), (Category.VOLUNTEER,)),
    SheetColumn("party_members", gettext_lazy("Party members"), (Category.PARTY_MEMBER,)),
    SheetColumn("total", gettext_lazy("People deployed"), ()),
)
COLUMN_KEYS = tuple(c.key for c in SHEET_COLUMNS)


@dataclass
class SheetRow:
    """One line: a district, street or community ``division`` with its ``communities`` and
    ``compounds`` counts and ``counts[column key]``."""

    division: Division
    communities: int = 0
    compounds: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMN_KEYS, 0))

    def add(self, other: SheetRow) -> None:
        self.communities += other.communities
        self.compounds += other.compounds
        for key in COLUMN_KEYS:
            self.counts[key] += other.counts[key]

    def as_dict(self) -> dict:
        return {
            "code": self.division.code,
            "name": self.division.short_name,
            "communities": self.communities,
            "compounds": self.compounds,
            **self.counts,
        }


@dataclass
class StreetBlock:
    """A street/town line and its community lines."""

    row: SheetRow
    communities: list[SheetRow]


# The figures of the sheet's sentence, each with its noun in singular and plural ("%(n)s" is the
# formatted number; Chinese has one form with its measure word).
_SENTENCE_PHRASES = {
    "streets": lambda n: ngettext("%(n)s street/town", "%(n)s streets/towns", n),
    "communities": lambda n: ngettext("%(n)s community/village", "%(n)s communities/villages", n),
    "community_workers": lambda n: ngettext("%(n)s community worker", "%(n)s community workers", n),
    "city_cadres": lambda n: ngettext("%(n)s city-level stationed cadre", "%(n)s city-level stationed cadres", n),
    "district_cadres": lambda n: ngettext(
        "%(n)s district-level stationed cadre", "%(n)s district-level stationed cadres", n
    ),
    "social_work_committee": lambda n: ngettext(
        "%(n)s social work committee member", "%(n)s social work committee members", n
    ),
    "veterans": lambda n: ngettext("%(n)s veteran", "%(n)s veterans", n),
    "volunteers": lambda n: ngettext("%(n)s volunteer", "%(n)s volunteers", n),
    "party_members": lambda n: ngettext("%(n)s party member", "%(n)s party members", n),
    "compounds": lambda n: ngettext("%(n)s compound", "%(n)s compounds", n),
    "total": lambda n: ngettext("%(n)s person", "%(n)s people", n),
}


def _plural_phrase(key: str, n: int) -> str:
    return _SENTENCE_PHRASES[key](n)


@dataclass
class WorkforceSheet:
    """The sheet of ``division`` (district, street or community) on ``on``: ``streets`` in code order
    and the ``totals`` line (``totals.division`` is ``division``; ``streets_count`` streets involved).

    ``parts`` is None when the figures cover the whole division; for a viewer who sees only part of
    it, the divisions of their scope inside it (code order; empty for a scope of households only)."""

    division: Division
    on: dt.date
    streets: list[StreetBlock]
    totals: SheetRow
    parts: tuple[Division, ...] | None = None

    @property
    def streets_count(self) -> int:
        return len(self.streets)

    @property
    def counted_name(self) -> str:
        """What the figures cover, in the active language: the division's name (``下西园社区``), or the
        viewer's part of it (``阳光小区 in 下西园社区``, zh ``下西园社区阳光小区``; ``the part of
        下西园社区 you may see`` when their scope names no division inside it)."""
        if self.parts is None:
            return self.division.short_name
        if not self.parts:
            return _("the part of %(division)s you may see") % {"division": self.division.short_name}
        names = listing(d.short_name for d in self.parts)
        return _("%(parts)s in %(division)s") % {"parts": names, "division": self.division.short_name}

    @property
    def counted_level(self) -> int:
        """The level of what the figures cover (divisions.models.Level): the division's, or for a viewer
        who sees only part of it the narrowest of their parts (Level.UNIT for households only)."""
        if self.parts is None:
            return self.division.level
        return max((d.level for d in self.parts), default=Level.UNIT)

    def sentence(self, language: str | None = None) -> str:
        """The totals as one sentence in ``language`` (``"zh-hans"`` or ``"en"``; default: active),
        each figure with its noun in the right plural (``1 street/town``, ``2 streets/towns``). The
        streets and communities involved are named only where the figures cover more than one of
        them: a district's sentence names both, a street's its communities, a community's (or a
        household representative's few households) neither — never "1个街道" inside a community."""
        with translation.override(language or translation.get_language()):
            counts = {
                **self.totals.counts,
                "streets": self.streets_count,
                "communities": self.totals.communities,
                "compounds": self.totals.compounds,
            }
            phrases = {
                key: _plural_phrase(key, n) % {"n": formats.number_format(n, force_grouping=True)}
                for key, n in counts.items()
                if key in _SENTENCE_PHRASES
            }
            if self.counted_level <= Level.DISTRICT:
                text = _(
                    "As of %(date)s, %(district)s had %(streets)s and %(communities)s with %(community_workers)s, "
                    "%(city_cadres)s, %(district_cadres)s, %(social_work_committee)s, %(veterans)s, %(volunteers)s "
                    "and %(party_members)s at work in %(compounds)s: %(total)s in all."
                )
            elif self.counted_level == Level.STREET:
                text = _(
                    "As of %(date)s, %(district)s had %(communities)s with %(community_workers)s, %(city_cadres)s, "
                    "%(district_cadres)s, %(social_work_committee)s, %(veterans)s, %(volunteers)s and "
                    "%(party_members)s at work in %(compounds)s: %(total)s in all."
                )
            else:
                text = _(
                    "As of %(date)s, %(district)s had %(community_workers)s, %(city_cadres)s, %(district_cadres)s, "
                    "%(social_work_committee)s, %(veterans)s, %(volunteers)s and %(party_members)s at work in "
                    "%(compounds)s: %(total)s in all."
                )
            return text % {
                **phrases,
                "date": formats.date_format(self.on, "DATE_FORMAT"),
                "district": self.counted_name,
            }

    def as_dict(self) -> dict:
        """JSON-ready: ``{"division", "parts", "date", "columns", "streets": [{..., "communities":
        [...]}], "totals", "sentence": {"zh-hans", "en"}}``; ``parts`` is null for the whole division,
        else the ``[{"code", "name"}]`` of the viewer's part that the figures count."""
        parts = self.parts
        return {
            "division": {"code": self.division.code, "name": self.division.short_name},
            "parts": None if parts is None else [{"code": d.code, "name": d.short_name} for d in parts],
            "date": self.on.isoformat(),
            "columns": ["communities", "compounds", *COLUMN_KEYS],
            "streets": [
                {**block.row.as_dict(), "community_rows": [c.as_dict() for c in block.communities]}
                for block in self.streets
            ],
            "totals": {**self.totals.as_dict(), "streets": self.streets_count},
            "sentence": {"zh-hans": self.sentence("zh-hans"), "en": self.sentence("en")},
        }


def workforce_sheet(*, user, division: Division, on: dt.date) -> WorkforceSheet:
    """Compute the sheet for ``division`` (district, street/town or community/village) on ``on``.

    ``user`` scopes the deployments and compounds counted (selectors.SYSTEM for management commands);
    a user who sees only part of ``division`` gets ``parts`` (see :class:`WorkforceSheet`). Four
    grouped queries (deployments by community, the divisions named, compounds by community, the
    user's part) whatever the size of the district. Raises ValueError for a division below
    community level.
    """
    if division.level > Level.COMMUNITY or division.level < Level.DISTRICT:
        raise ValueError(f"the workforce sheet is for a district, street or community, not {division}")
    counts = {
        col.key: Count("worker_id", distinct=True, filter=Q(worker__categories__category__in=col.categories))
        if col.categories
        else Count("worker_id", distinct=True)
        for col in SHEET_COLUMNS
    }
    rows = (
        scoped(Deployment, user)
        .within(division.code)
        .filter(active_on_q(on))
        .values("community_id")
        .annotate(**counts)
        .order_by()
    )
    by_community = {r["community_id"]: r for r in rows}
    communities = Division.objects.in_bulk(by_community)
    streets = Division.objects.in_bulk({c.parent_id for c in communities.values()})
    compounds = dict(
        scoped(Division, user)
        .filter(level=Level.COMPOUND, parent_id__in=by_community)
        .values("parent_id")
        .annotate(n=Count("id"))
        .values_list("parent_id", "n")
        .order_by()
    )
    blocks: dict[int, StreetBlock] = {}
    for community in sorted(communities.values(), key=lambda d: d.code):
        line = SheetRow(community, communities=1, compounds=compounds.get(community.pk, 0))
        line.counts = {key: by_community[community.pk][key] for key in COLUMN_KEYS}
        block = blocks.get(community.parent_id)
        if block is None:
            block = blocks[community.parent_id] = StreetBlock(SheetRow(streets[community.parent_id]), [])
        block.communities.append(line)
        block.row.add(line)
    totals = SheetRow(division)
    for block in blocks.values():
        totals.add(block.row)
    return WorkforceSheet(
        division=division,
        on=on,
        streets=sorted(blocks.values(), key=lambda b: b.row.division.code),
        totals=totals,
        parts=_viewers_part(user, division),
    )


def _viewers_part(user, division: Division) -> tuple[Division, ...] | None:
    """None when ``user`` sees the whole of ``division`` (SYSTEM, or a scope covering it); else the
    divisions of the user's scope inside it, in code order (empty for a scope of households only)."""
    if user is SYSTEM:
        return None
    scope = scope_for(user)
    if scope.covers_code(division.code):
        return None
    inside = [code for code in scope.codes if code.startswith(division.code)]
    return tuple(Division.objects.filter(code__in=inside).order_by("code")) if inside else ()


def involved_units(*, user, division: Division, on: dt.date, level: int):
    """The communities (``level`` 5) counted by the sheet of ``division`` on ``on``, or their compounds
    that ``user`` may see (``level`` 6): the list behind the "communities" and "compounds" figures.
    A Division queryset."""
    community_ids = (
        scoped(Deployment, user).within(division.code).filter(active_on_q(on)).values("community_id").distinct()
    )
    if level == Level.COMMUNITY:
        return Division.objects.filter(pk__in=community_ids).order_by("code")
    return scoped(Division, user).filter(level=Level.COMPOUND, parent_id__in=community_ids).order_by("code")


# ------------------------------------------------------------------------------------------- renderers


def _header() -> list[str]:
    return [
        str(_("Street/town")),
        str(_("Community/village")),
        str(_("Communities")),
        str(_("Compounds")),
        *[str(c.label) for c in SHEET_COLUMNS],
    ]


def _lines(sheet: WorkforceSheet):
    """(kind, street name, community name, row) in display order: street lines, then their communities."""
    for block in sheet.streets:
        yield "street", block.row.division.short_name, "", block.row
        for line in block.communities:
            yield "community", "", line.division.short_name, line
    yield "total", str(_("Total")), "", sheet.totals


def _title(sheet: WorkforceSheet) -> str:
    return _("Daily workforce sheet — %(division)s — %(date)s") % {
        "division": sheet.counted_name,
        "date": sheet.on.isoformat(),
    }


def render_text(sheet: WorkforceSheet) -> str:
    """A plain-text table (one line per street, community and the total) followed by the two sentences."""
    header = _header()
    table = [header]
    for kind, street, community, row in _lines(sheet):
        label = f"  {community}" if kind == "community" else street
        table.append([label, "", str(row.communities), str(row.compounds), *[str(row.counts[k]) for k in COLUMN_KEYS]])
    table = [[r[0], *r[2:]] for r in table]
    widths = [max(_width(r[i]) for r in table) for i in range(len(table[0]))]
    out = [_title(sheet), ""]
    for r in table:
        cells = [_pad(r[0], widths[0], left=True)] + [_pad(c, w) for c, w in zip(r[1:], widths[1:], strict=True)]
        out.append("  ".join(cells).rstrip())
    out += ["", sheet.sentence("zh-hans"), sheet.sentence("en")]
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, left: bool = False) -> str:
    gap = " " * (width - _width(text))
    return text + gap if left else gap + text


def render_json(sheet: WorkforceSheet) -> str:
    """The sheet as indented JSON (SheetRow.as_dict / WorkforceSheet.as_dict), non-ASCII kept."""
    return json.dumps(sheet.as_dict(), ensure_ascii=False, indent=2) + "\n"


def render_xlsx(sheet: WorkforceSheet) -> bytes:
    """The sheet as an XLSX workbook in the page's layout: title, header, a line per street (bold)
    followed by its communities, the total line, then the two sentences. openpyxl."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Workforce"))[:31]
    header = _header()
    ws.append([_title(sheet)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for kind, street, community, row in _lines(sheet):
        ws.append([street, community, row.communities, row.compounds, *[row.counts[k] for k in COLUMN_KEYS]])
        if kind != "community":
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    ws.append([])
    for language in ("zh-hans", "en"):
        ws.append([sheet.sentence(language)])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(header))
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[ws.max_row].height = 48
    ws.freeze_panes = "C3"
    for index in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(index)].width = 16 if index <= 2 else 12
    buffer = io.BytesIO()
    save_as_text(wb, buffer)
    return buffer.getvalue()
