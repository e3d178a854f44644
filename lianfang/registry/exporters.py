"""Registry export (导出) as XLSX (openpyxl) or CSV, the import template, and the import error report
(XLSX).

The export uses the template layout (lianfang.registry.importing.columns.TEMPLATE_COLUMNS): row 1 carries
the instructions (and, for an unmasked export, the watermark), row 2 the headers, data from row 3.
ID and phone columns are formatted as Text so Excel never turns them into numbers. An export
imported again changes nothing: masked cells match the stored masks through the ``Resident no.``
column, unmasked cells match the stored values.

Masked by default. Unmasked needs both EXPORT and REVEAL_PII on the division and a written reason;
it is watermarked with the user and the time (first row, page header and footer, document
properties) and audited (design.md "Personal data").
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.core import audit, pii
from lianfang.core.forms import field_line, items_line
from lianfang.core.spreadsheets import FORMULA_STARTS, formula_like, text_cell
from lianfang.divisions.models import Division
from lianfang.registry.importing.columns import TEMPLATE_COLUMNS
from lianfang.registry.importing.plan import SEVERITY_LABELS, Plan, reason_text, severity_label
from lianfang.registry.importing.reading import read_sheets
from lianfang.registry.models import (
    VULNERABILITY_FLAGS,
    DocumentType,
    Household,
    ImportBatch,
    Relation,
    ResidenceStatus,
    Resident,
    Sex,
)

TEXT_FORMAT = "@"
TEMPLATE_ROWS_FORMATTED = 2_000  # rows below the header pre-formatted as Text in the blank template
RELATION_ORDER = {value: index for index, value in enumerate(Relation.values)}


def headers() -> list[str]:
    """Template headers in the active language (the importer accepts both languages)."""
    return [str(c.label) for c in TEMPLATE_COLUMNS]


def instructions() -> str:
    """The instructions row of the template (translated)."""
    return _(
        "Instructions: one row per resident; the household is the address (compound, building, unit, room). "
        "Keep ID and phone numbers as text. Required: compound, room, name, ID number. Flags: 是 or blank. "
        "A person without a document needs a guardian's ID number. Delete this row or leave it: it is skipped."
    )


def _text_cell(ws, value):
    """A cell stored and formatted as text: ID and phone columns, and any value that looks like a formula."""
    return text_cell(ws, value, number_format=TEXT_FORMAT)


def _header_cells(ws) -> list:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    cells = []
    for label in headers():
        cell = WriteOnlyCell(ws, value=label)
        cell.font, cell.fill = bold, fill
        cells.append(cell)
    return cells


TEXT_COLUMNS = [i for i, c in enumerate(TEMPLATE_COLUMNS) if c.text]


def write_template(output) -> None:
    """Write the blank import template (XLSX) to ``output`` (a path or a binary file object).

    Row 1: instructions; row 2: headers; ID and phone columns formatted as Text for the first
    2,000 data rows and as the column default.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = _("Residents")
    ws.append([instructions()])
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(TEMPLATE_COLUMNS))
    ws.row_dimensions[1].height = 48
    ws.append(headers())
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    for index in TEXT_COLUMNS:
        letter = get_column_letter(index + 1)
        ws.column_dimensions[letter].number_format = TEXT_FORMAT
        ws.column_dimensions[letter].width = 22
        for row in range(3, 3 + TEMPLATE_ROWS_FORMATTED):
            ws.cell(row=row, column=index + 1).number_format = TEXT_FORMAT
    ws.freeze_panes = "A3"
    wb.save(output)


def _check_export(actor, target: Division, unmasked: bool, reason: str) -> None:
    if actor is None:
        return  # the system (command line without --user)
    if not can(actor, Capability.EXPORT, target.code):
        raise PermissionDenied(_("you may not export personal data of %s") % target.short_name)
    if unmasked:
        if not can(actor, Capability.REVEAL_PII, target.code):
            raise PermissionDenied(_("you may not export unmasked personal data of %s") % target.short_name)
        if not reason.strip():
            raise ValidationError({"reason": _("an unmasked export needs a reason")})


def _labels() -> dict[str, dict[str, str]]:
    return {
        "sex": {v: str(label) for v, label in Sex.choices},
        "relation": {v: str(label) for v, label in Relation.choices},
        "residence_status": {v: str(label) for v, label in ResidenceStatus.choices},
        "document_type": {v: str(label) for v, label in DocumentType.choices},
    }


def export_rows(*, actor, target: Division, unmasked: bool = False) -> Iterator[list]:
    """Rows in template order for the residents of ``target`` visible to ``actor`` (None: all).

    Three queries whatever the size: households, residents, and guardians outside the set. Values
    are the display labels of the active language; ID and phone numbers masked unless ``unmasked``.
    """
    households_qs = Household.objects.within(target.code)
    residents_qs = Resident.objects.within(target.code)
    if actor is not None:
        households_qs = households_qs.visible_to(actor)
        residents_qs = residents_qs.visible_to(actor)
    households = {
        h["id"]: h
        for h in households_qs.values(
            "id",
            "path",
            "room",
            "contact_name",
            "phone_enc",
            "phone_masked",
            "community__short_name",
            "compound__short_name",
            "building__short_name",
            "unit__short_name",
        )
    }
    fields = [
        "id",
        "household_id",
        "name",
        "document_type",
        "guardian_id",
        "sex",
        "birth_date",
        "relation",
        "residence_status",
        "registration_address",
        "id_enc",
        "id_masked",
        "phone_enc",
        "phone_masked",
        *(name for name, _label in VULNERABILITY_FLAGS),
    ]
    residents = list(residents_qs.values(*fields))
    documents = {r["id"]: (r["id_enc"], r["id_masked"]) for r in residents}
    missing = {r["guardian_id"] for r in residents if r["guardian_id"] and r["guardian_id"] not in documents}
    if missing:
        for row in Resident.objects.filter(pk__in=missing).values("id", "id_enc", "id_masked"):
            documents[row["id"]] = (row["id_enc"], row["id_masked"])
    residents.sort(
        key=lambda r: (
            households[r["household_id"]]["path"] if r["household_id"] in households else "",
            r["household_id"],
            RELATION_ORDER.get(r["relation"], 99),
            r["id"],
        )
    )
    labels = _labels()
    yes = pgettext("flag", "yes")

    def document(enc, masked) -> str:
        return pii.decrypt(enc) if unmasked else masked

    for r in residents:
        h = households.get(r["household_id"])
        if h is None:
            continue  # the household is outside the actor's scope
        guardian = ""
        if r["guardian_id"] and r["guardian_id"] in documents:
            guardian = document(*documents[r["guardian_id"]])
        values = {
            "resident_no": r["id"],
            "community": h["community__short_name"] or "",
            "compound": h["compound__short_name"] or "",
            "building": h["building__short_name"] or "",
            "unit": h["unit__short_name"] or "",
            "room": h["room"],
            "contact_name": h["contact_name"],
            "household_phone": document(h["phone_enc"], h["phone_masked"]),
            "name": r["name"],
            "document_type": labels["document_type"][r["document_type"]],
            "id_number": document(r["id_enc"], r["id_masked"]),
            "sex": labels["sex"][r["sex"]],
            "birth_date": r["birth_date"].isoformat(),  # text: Excel has no dates before 1900
            "phone": document(r["phone_enc"], r["phone_masked"]),
            "relation": labels["relation"][r["relation"]],
            "residence_status": labels["residence_status"][r["residence_status"]],
            "registration_address": r["registration_address"],
            "guardian_id": guardian,
            **{name: yes if r[name] else "" for name, _label in VULNERABILITY_FLAGS},
        }
        yield [values[c.key] for c in TEMPLATE_COLUMNS]


def watermark_text(actor, when) -> str:
    """``Unmasked export by <user> at <local time> — confidential, do not forward``."""
    local = timezone.localtime(when)
    return _("Unmasked export by %(user)s at %(time)s — confidential, do not forward") % {
        "user": actor if actor is not None else _("system"),
        "time": local.strftime("%Y-%m-%d %H:%M"),
    }


def watermarked_instructions(mark: str, text: str) -> str:
    """The first row of an unmasked export: the watermark, then the instructions, joined with the
    active language's punctuation ("…禁止转发。填写说明：…" in Chinese, "…do not forward. Instructions: …"
    in English)."""
    return _("%(watermark)s. %(instructions)s") % {"watermark": mark, "instructions": text}


def _watermark_workbook(wb, mark: str, actor) -> None:
    """Put the watermark where deleting the first row does not remove it: the centre of every sheet's
    page header and footer (odd, even and first pages: printed and shown in page layout) and the
    document properties (title, description; creator: the user)."""
    for sheet in wb.worksheets:
        for part in (sheet.oddHeader, sheet.oddFooter, sheet.evenHeader, sheet.evenFooter):
            part.center.text = mark
        for part in (sheet.firstHeader, sheet.firstFooter):
            part.center.text = mark
    wb.properties.title = mark
    wb.properties.description = mark
    wb.properties.creator = str(actor) if actor is not None else "lianfang"


EXPORT_FORMATS = ("xlsx", "csv")
"""The formats :func:`registry_export` writes (the export form's and ``export_registry --output``'s choices)."""

# CSV has no cell types: a text starting with "=+-@" would be a live formula when Excel opens the file.
# Its first character is written full-width instead (＝＋－＠): a spreadsheet shows it as text, and the
# importer's NFKC folding (importing.columns.cell_text) turns it back, so an exported CSV imports unchanged.
CSV_FORMULA_GUARD = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in FORMULA_STARTS})


def _csv_cell(value) -> str:
    """``value`` as a CSV field: text, a formula-like start made full-width (:data:`CSV_FORMULA_GUARD`)."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS:
        return text[0].translate(CSV_FORMULA_GUARD) + text[1:]
    return text


def _write_csv(output, top: str, rows: Iterator[list]) -> int:
    """Write the template layout as CSV to ``output`` (a path or a binary file object): UTF-8 with a
    BOM (Excel then reads the Chinese text right), the ``top`` row (instructions, or the watermark and
    the instructions), the headers, one row per resident. Returns the number of rows written."""
    handle = open(output, "w", encoding="utf-8-sig", newline="") if isinstance(output, str | Path) else None  # noqa: SIM115
    stream = handle or io.TextIOWrapper(output, encoding="utf-8-sig", newline="", write_through=True)
    count = 0
    try:
        writer = csv.writer(stream)
        writer.writerow([top])
        writer.writerow(headers())
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row])
            count += 1
    finally:
        if handle is not None:
            handle.close()
        else:
            stream.flush()
            stream.detach()  # the caller's binary file stays open
    return count


def registry_export(
    *, actor, target: Division, output, unmasked: bool = False, reason: str = "", file_format: str = "xlsx"
) -> int:
    """Write the residents of ``target`` visible to ``actor`` to ``output`` (path or binary file) in the
    template layout, as XLSX or (``file_format="csv"``) as CSV in UTF-8 with a BOM.

    ``actor=None`` is the system (command line without a user) and sees everything. Masked unless
    ``unmasked``; unmasked needs EXPORT and REVEAL_PII on ``target`` and a ``reason``, and is
    watermarked (XLSX: the first row, every page header and footer, the document properties; CSV: the
    first row). Audited (action ``export``) with the row count and the format. Returns the number of
    residents written. Raises PermissionDenied, ValidationError (no reason) or ValueError (a format
    not in :data:`EXPORT_FORMATS`).
    """
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {file_format!r}: use xlsx or csv")
    _check_export(actor, target, unmasked, reason)
    now = timezone.now()
    top = instructions()
    mark = watermark_text(actor, now) if unmasked else ""
    if unmasked:
        top = watermarked_instructions(mark, top)
    rows = export_rows(actor=actor, target=target, unmasked=unmasked)
    count = _write_csv(output, top, rows) if file_format == "csv" else _write_xlsx(output, top, mark, actor, rows)
    audit.record(
        actor=actor,
        action="export",
        obj=target,
        reason=reason,
        detail={"rows": count, "unmasked": unmasked, "at": now.isoformat(), "format": file_format},
    )
    return count


def _write_xlsx(output, top: str, mark: str, actor, rows: Iterator[list]) -> int:
    """Write the template layout as XLSX (ID and phone cells as Text, formula-like text as text); a
    non-empty ``mark`` watermarks the workbook (:func:`_watermark_workbook`). Returns the rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Residents"))
    if mark:
        _watermark_workbook(wb, mark, actor)
    ws.append([top])
    ws.append(_header_cells(ws))
    count = 0
    for row in rows:
        for index, value in enumerate(row):
            if index in TEXT_COLUMNS or formula_like(value):
                row[index] = _text_cell(ws, value)
        ws.append(row)
        count += 1
    wb.save(output)
    return count


EXCEL_CELL_CHARS = 32_767  # the most characters an Excel cell holds


def _report_value(value):
    """``value`` as a worksheet can hold it: control characters dropped, text cut at EXCEL_CELL_CHARS."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_CHARS]
    return value


def _report_cell(ws, value):
    """:func:`_report_value`, and a formula-like text kept as text (core.spreadsheets.text_cell: the
    report repeats what the file said, and a cell such as ``=cmd|...`` must not run when opened)."""
    value = _report_value(value)
    return text_cell(ws, value) if formula_like(value) else value


def _issue_cell(issues) -> str:
    """A row's problems as its report's Errors or Warnings cell, in the active language: each
    ``"<column>: <reason>"`` (core.forms.field_line: zh-Hans ``"楼栋（B）：楼栋不存在"``), or the reason
    alone for a problem of the whole row, joined by "; " (zh-Hans "；"); each reason a sentence
    (:func:`reason_text`)."""
    return items_line(
        field_line(i.column, reason_text(i.reason)) if i.column else reason_text(i.reason) for i in issues
    )


def write_issue_report(*, batch: ImportBatch, data: bytes, plan: Plan) -> str:
    """Write the import's report: every original row plus ``Errors`` and ``Warnings`` columns, and a
    ``Problems`` sheet (sheet, row, column, value, reason, severity). Saved to the default storage as
    ``imports/reports/``; sets ``batch.report`` (unsaved) and returns its storage name."""
    sheets, _encoding = read_sheets(data, plan.file_format)
    by_row: dict[tuple[str, int], list] = {}
    for issue in plan.issues:
        by_row.setdefault((issue.sheet, issue.row), []).append(issue)
    wb = Workbook(write_only=True)
    red = PatternFill("solid", fgColor="F8CBAD")
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31] or "sheet")
        width = max((len(r) for r in sheet.rows), default=0)  # the header's width places the new columns
        for index0, row in sheet.data_rows(0):
            index = index0 + 1
            issues = by_row.get((sheet.name, index), [])
            errors = _issue_cell(i for i in issues if i.severity == "error")
            warnings = _issue_cell(i for i in issues if i.severity == "warning")
            cells = [*row, *[""] * (width - len(row))]  # a longer row keeps all its cells
            extra = []
            if errors:
                cell = text_cell(ws, _report_value(errors))
                cell.fill = red
                extra.append(cell)
            else:
                extra.append("")
            extra.append(warnings)
            if index == plan.header_rows.get(sheet.name):
                extra = [_("Errors"), _("Warnings")]
            # Every cell made writable first: a write-only worksheet that refuses a cell
            # (IllegalCharacterError) is broken for every later row, so there is no retrying.
            ws.append([*(_report_cell(ws, v) for v in cells), *(_report_cell(ws, v) for v in extra)])
    problems = wb.create_sheet(_("Import problems"))
    problems.append([_("Severity"), _("Sheet"), _("Row"), _("Column"), _("Value"), _("Reason")])
    for issue in sorted(plan.issues, key=lambda i: (i.severity != "error", i.sheet, i.row)):
        severity = severity_label(issue.severity)
        problems.append(
            [
                _report_cell(problems, v)
                for v in (severity, issue.sheet, issue.row, issue.column, issue.value, reason_text(issue.reason))
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    name = f"import-{batch.pk}-report.xlsx"
    batch.report.save(name, ContentFile(buffer.getvalue()), save=False)
    return batch.report.name


def _report_words(language: str) -> dict:
    """The fixed words of an import report in ``language``: the ``Errors`` and ``Warnings`` headings,
    the problems sheet's name and headings, and the severities (``{shown: key}`` of their labels, and
    of the lower-case words reports written before the labels)."""
    with translation.override(language):
        severities = {str(label): key for key, label in SEVERITY_LABELS.items()}
        severities.update({_("error"): "error", _("warning"): "warning"})
        return {
            "columns": (_("Errors"), _("Warnings")),
            "problems": _("Import problems")[:31],  # a sheet's name holds 31 characters at most
            "headings": (_("Severity"), _("Sheet"), _("Row"), _("Column"), _("Value"), _("Reason")),
            "severities": severities,
        }


def batch_language(batch: ImportBatch) -> str | None:
    """The language ``batch``'s problems and report were written in (``batch.language``, one of
    ``settings.LANGUAGES``); None for a batch queued before it was recorded."""
    return batch.language if batch.language in dict(settings.LANGUAGES) else None


def localized_report(batch: ImportBatch, handle):
    """``batch``'s report (``handle``: the stored file, open for reading) with its fixed parts in the
    active language: the ``Errors``/``Warnings`` headings of each sheet, the problems sheet's name, its
    headings and its severities (:data:`~lianfang.registry.importing.plan.SEVERITY_LABELS`). The
    reasons and the column names inside the cells stay in the language the file was imported in
    (they are stored as text). Returns ``handle`` itself when the languages match (or the batch's is
    not known), else a new temporary file (``handle`` closed); the rows, values kept as text and the
    red error cells are as written by :func:`write_issue_report`."""
    source, target = batch_language(batch), translation.get_language()
    if source is None or not target or source == target:
        return handle
    src, dst = _report_words(source), _report_words(target)
    with handle:
        book = load_workbook(handle, read_only=True)
        out = Workbook(write_only=True)
        red = PatternFill("solid", fgColor="F8CBAD")
        sheets = book.worksheets
        for ws in sheets:
            is_problems = ws is sheets[-1] and ws.title == src["problems"]
            ws_out = out.create_sheet(dst["problems"] if is_problems else ws.title)
            errors_at = None  # the Errors column, once the heading row is passed
            for index, row in enumerate(ws.iter_rows(values_only=True)):
                values = list(row)
                while values and values[-1] is None:
                    values.pop()
                if is_problems:
                    if index == 0 and tuple(values) == src["headings"]:
                        values = list(dst["headings"])
                    elif values and values[0] in src["severities"]:
                        values[0] = severity_label(src["severities"][values[0]])
                    ws_out.append([_report_cell(ws_out, v) for v in values])
                    continue
                if errors_at is None and tuple(values[-2:]) == src["columns"]:
                    errors_at = len(values) - 2
                    values[errors_at:] = dst["columns"]
                    ws_out.append([_report_cell(ws_out, v) for v in values])
                    continue
                cells = [_report_cell(ws_out, v) for v in values]
                if errors_at is not None and errors_at < len(values) and values[errors_at]:
                    cells[errors_at] = text_cell(ws_out, _report_value(values[errors_at]))
                    cells[errors_at].fill = red
                ws_out.append(cells)
        book.close()
    copy = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    out.save(copy)
    copy.seek(0)
    return copy


def report_path(batch: ImportBatch) -> Path | None:
    """Filesystem path of the batch's report, or None when there is none."""
    if not batch.report:
        return None
    return Path(batch.report.path)


def report_permitted(user, batch: ImportBatch) -> bool:
    """Whether ``user`` may download ``batch``'s report. The report holds the uploaded file's rows as
    they were, ID and phone numbers unmasked, so it needs both REVEAL_PII and EXPORT over the batch's
    division (a stationed cadre or a grid worker sees the batch, masked, but not the file)."""
    code = batch.division.code
    return can(user, Capability.REVEAL_PII, code) and can(user, Capability.EXPORT, code)


def report_open(*, actor, batch: ImportBatch):
    """Open ``batch``'s report for ``actor`` and audit it (action ``export``, the batch, its rows).
    Raises PermissionDenied unless :func:`report_permitted`; FileNotFoundError when there is no report."""
    if not report_permitted(actor, batch):
        raise PermissionDenied(_("the report holds unmasked ID and phone numbers: you may not download it"))
    if not batch.report:
        raise FileNotFoundError(f"import {batch.pk} has no report")
    handle = localized_report(batch, batch.report.open("rb"))
    audit.record(
        actor=actor,
        action="export",
        obj=batch,
        reason="import_report",
        detail={"rows": (batch.counts or {}).get("rows", 0), "unmasked": True, "format": "xlsx"},
    )
    return handle


def masked_issues(issues: list[dict]) -> list[dict]:
    """An import's problems as every viewer sees them (the batch page, the API, the command): each
    ``value`` with its ID and phone numbers masked (core.pii.mask_numbers_in), each ``reason`` a
    sentence (importing.plan.reason_text: capitalised, as in the report). The original values are in
    the report (:func:`report_open`)."""
    return [
        {**issue, "value": pii.mask_numbers_in(issue.get("value", "")), "reason": reason_text(issue.get("reason", ""))}
        for issue in issues
    ]
