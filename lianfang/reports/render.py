"""Rendering a report: a :class:`Document` (title, paragraphs, tables) as text, XLSX or PDF.

Both the daily report and every report layout become a Document, so one set of renderers makes
all the forms. XLSX (openpyxl) follows the layout of a government form: a merged title line, the
reporting unit and date, a bordered table with a shaded header repeated on every printed page, a
totals line, then the signature lines (填报人 / 审核人 / 联系电话) and a watermark naming who exported
it and when (design.md "Personal data": exports are watermarked). PDF is drawn by WeasyPrint from
the template ``reports/print.html`` with the Noto CJK fonts (Debian ``fonts-noto-cjk``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lianfang.core.spreadsheets import excel_safe, save_as_text

NUMERIC = ("int", "float", "percent")

# WeasyPrint reports every layout step at INFO: keep the server log for what matters.
for _name in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass
class Column:
    """A column: ``key``, translated ``label`` and ``kind`` (text, int, float, percent, date, datetime, bool)."""

    key: str
    label: str
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass
class Table:
    """A titled table: ``rows`` are lists of values in column order; ``styles`` one CSS-like word per
    row (``""``, ``"strong"``); ``totals`` an optional last line; ``note`` shown when there are no rows
    or the section is not available; ``links`` optional per-row URL lists (HTML only)."""

    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    totals: list | None = None
    note: str = ""
    links: list[list] | None = None

    def style(self, index: int) -> str:
        return self.styles[index] if index < len(self.styles) else ""


@dataclass
class Document:
    """What every renderer draws: ``title``, ``unit`` (the reporting division) and ``day``,
    ``issuer`` (who the form goes to), ``paragraphs``, ``tables``, ``watermark`` and ``language``."""

    title: str
    unit: str
    day: dt.date
    language: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    issuer: str = ""
    watermark: str = ""

    def filename(self, extension: str) -> str:
        safe = "".join(ch for ch in self.title if ch not in '\\/:*?"<>|').strip() or "report"
        return f"{safe}-{self.day.isoformat()}.{extension}"


def watermark(user) -> str:
    """``Exported by NAME (username) at YYYY-MM-DD HH:MM`` in the active language (local time)."""
    now = timezone.localtime()
    name = getattr(user, "display_name", "") or getattr(user, "username", "") or _("system")
    return _("Exported by %(name)s (%(username)s) at %(time)s") % {
        "name": name,
        "username": getattr(user, "username", "") or "-",
        "time": now.strftime("%Y-%m-%d %H:%M"),
    }


def cell_text(value, kind: str = "text") -> str:
    """A value as text for the text and PDF renderers (numbers grouped, dates ISO, booleans yes/no)."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else f"{value:%Y-%m-%d %H:%M}"
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == "percent":
        return f"{value}%"
    if isinstance(value, int | float):
        return formats.number_format(value, force_grouping=True)
    return str(value)


def _json_value(value):
    """``json.dumps``' fallback: an aware datetime in local time with its offset
    (settings.TIME_ZONE: ``2022-03-27T10:05:00+08:00``), a naive one and a date in ISO form, anything
    else as text."""
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_json(payload) -> str:
    """``payload`` (a report dict or a list of records) as indented UTF-8 JSON text, times in local
    time with their offset (:func:`_json_value`), like the other apps' exports."""
    return json.dumps(payload, ensure_ascii=False, indent=2, default=_json_value)


def unit_line(doc: Document) -> str:
    """``Reporting unit: X   Date: YYYY-MM-DD`` (the second line of a government form)."""
    return _("Reporting unit: %(unit)s    Date: %(day)s") % {"unit": doc.unit, "day": doc.day.isoformat()}


def signature_line() -> str:
    return _("Filled in by: __________    Checked by: __________    Telephone: __________")


# ------------------------------------------------------------------------------------------ text


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def to_text(doc: Document) -> str:
    """Plain text: title, unit line, paragraphs, then each table with aligned columns."""
    with translation.override(doc.language):
        out = [doc.title, unit_line(doc), ""]
        for p in doc.paragraphs:
            out += [p, ""]
        for table in doc.tables:
            out.append(f"■ {table.title}")
            if not table.rows:
                out += [f"  {table.note or _('Nothing to report.')}", ""]
                continue
            grid = [[c.label for c in table.columns]]
            for row in table.rows:
                grid.append([cell_text(v, c.kind) for v, c in zip(row, table.columns, strict=False)])
            if table.totals:
                grid.append([cell_text(v, c.kind) for v, c in zip(table.totals, table.columns, strict=False)])
            widths = [max(_width(r[i]) for r in grid) for i in range(len(table.columns))]
            for r in grid:
                cells = [_pad(text, w, right=c.numeric) for text, w, c in zip(r, widths, table.columns, strict=False)]
                out.append("  " + "  ".join(cells).rstrip())
            if table.note:
                out.append(f"  {table.note}")
            out.append("")
        if doc.watermark:
            out.append(doc.watermark)
        return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------------------------------ xlsx


def _sheet_name(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
    name, n = base, 2
    while name in used:
        name = f"{base[:26]}-{n}"
        n += 1
    used.add(name)
    return name


def _excel_value(value, kind: str):
    if value is None:
        return None
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if kind == "percent" and isinstance(value, int | float):
        return value / 100
    return excel_safe(value)


def _merged_line(ws, text: str, width: int, **style) -> int:
    """Append ``text`` as a line merged across ``width`` columns; returns its row number."""
    from openpyxl.styles import Alignment, Font  # noqa: PLC0415

    ws.append([excel_safe(text)])
    row = ws.max_row
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(1, width))
    cell = ws.cell(row, 1)
    if style.get("title"):
        cell.font = Font(bold=True, size=style["title"])
        cell.alignment = Alignment(horizontal="center")
    if style.get("wrap"):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return row


def _form_head(ws, doc: Document, title: str, width: int, size: int) -> None:
    """Title, reporting unit and date, and the addressee: the top of a government form."""
    _merged_line(ws, title, width, title=size)
    _merged_line(ws, unit_line(doc), width)
    if doc.issuer:
        _merged_line(ws, _("Submitted to: %(issuer)s") % {"issuer": doc.issuer}, width)


def _form_foot(ws, doc: Document) -> None:
    """The signature line and the watermark (also in the printed page footer)."""
    from openpyxl.styles import Font  # noqa: PLC0415

    ws.append([])
    ws.append([signature_line()])
    if doc.watermark:
        ws.append([doc.watermark])
        ws.cell(ws.max_row, 1).font = Font(italic=True, color="808080", size=9)
        ws.oddFooter.center.text = doc.watermark


def _paragraph_sheet(ws, doc: Document) -> None:
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    _form_head(ws, doc, doc.title, 8, 16)
    for text in doc.paragraphs:
        row = _merged_line(ws, text, 8, wrap=True)
        ws.row_dimensions[row].height = max(30, 15 * (len(text) // 60 + 1))
    _form_foot(ws, doc)
    for index in range(1, 9):
        ws.column_dimensions[get_column_letter(index)].width = 14


def _table_sheet(ws, doc: Document, table: Table) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    width = max(1, len(table.columns))
    title = f"{doc.title} — {table.title}" if doc.paragraphs or len(doc.tables) > 1 else doc.title
    _form_head(ws, doc, title, width, 14)
    ws.append([c.label for c in table.columns])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.border = box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[header_row].height = 32
    formats_by_kind = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "percent": "0%", "int": "#,##0"}
    for index, row in enumerate(table.rows):
        ws.append([_excel_value(v, c.kind) for v, c in zip(row, table.columns, strict=False)])
        bold = table.style(index) == "strong"
        for cell, column in zip(ws[ws.max_row], table.columns, strict=False):
            cell.border = box
            if bold:
                cell.font = Font(bold=True)
            if column.kind in formats_by_kind:
                cell.number_format = formats_by_kind[column.kind]
    if table.totals:
        ws.append([_excel_value(v, c.kind) for v, c in zip(table.totals, table.columns, strict=False)])
        for cell in ws[ws.max_row]:
            cell.border = box
            cell.font = Font(bold=True)
    if not table.rows:
        _merged_line(ws, table.note or str(_("Nothing to report.")), width)
    elif table.note:
        ws.append([table.note])
    _form_foot(ws, doc)
    for index, column in enumerate(table.columns, start=1):
        longest = max([_width(column.label) // 2 + 2, *(_width(cell_text(r[index - 1])) for r in table.rows[:200])])
        ws.column_dimensions[get_column_letter(index)].width = min(40, max(8, longest + 2))
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def to_xlsx(doc: Document) -> bytes:
    """The document as an XLSX workbook in a government-form layout (see the module docstring): a
    first sheet with the paragraphs (when there are any) and one sheet per table."""
    from openpyxl import Workbook  # noqa: PLC0415

    with translation.override(doc.language):
        wb = Workbook()
        used: set[str] = set()
        spare = wb.active
        if doc.paragraphs:
            spare.title = _sheet_name(str(_("Report")), used)
            _paragraph_sheet(spare, doc)
            spare = None
        for table in doc.tables:
            ws = spare if spare is not None else wb.create_sheet()
            spare = None
            ws.title = _sheet_name(table.title, used)
            _table_sheet(ws, doc, table)
        buffer = io.BytesIO()
        save_as_text(wb, buffer)
        return buffer.getvalue()


# ------------------------------------------------------------------------------------------ pdf


def to_pdf(doc: Document) -> bytes:
    """The document as an A4 landscape PDF (WeasyPrint, template ``reports/print.html``)."""
    from weasyprint import HTML  # noqa: PLC0415

    with translation.override(doc.language):
        tables = []
        for table in doc.tables:
            tables.append(
                {
                    "title": table.title,
                    "columns": table.columns,
                    "rows": [
                        (
                            table.style(i),
                            [(cell_text(v, c.kind), c.numeric) for v, c in zip(row, table.columns, strict=False)],
                        )
                        for i, row in enumerate(table.rows)
                    ],
                    "totals": [
                        (cell_text(v, c.kind), c.numeric) for v, c in zip(table.totals, table.columns, strict=False)
                    ]
                    if table.totals
                    else None,
                    "note": table.note,
                }
            )
        html = render_to_string(
            "reports/print.html",
            {"doc": doc, "tables": tables, "unit_line": unit_line(doc), "signature": signature_line()},
        )
    return HTML(string=html).write_pdf()
