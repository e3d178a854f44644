"""Spreadsheet cells that stay text: no exported cell is ever a live formula.

A text a person typed (a ticket's description, an import's cell, a note) that starts with ``=``,
``+``, ``-`` or ``@`` is taken by openpyxl for a formula and, opened in Excel, is one: a
``=HYPERLINK(...)`` that sends the sheet's data away, or a ``=cmd|...`` that runs a program (OWASP,
"CSV Injection"). Every XLSX writer of Lianfang writes such text as text, through this module: a
write-only sheet with :func:`text_cell`, an ordinary workbook by saving with :func:`save_as_text`.
CSV has no cell types: registry.exporters makes the first character full-width there.
"""

from __future__ import annotations

# The first characters of a text a spreadsheet would evaluate.
FORMULA_STARTS = frozenset("=+-@")


def formula_like(value) -> bool:
    """True for a ``str`` a spreadsheet would evaluate (it starts with one of :data:`FORMULA_STARTS`)."""
    return isinstance(value, str) and value[:1] in FORMULA_STARTS


def excel_safe(value):
    """``value`` with every character an XLSX cell cannot hold (openpyxl's ``ILLEGAL_CHARACTERS_RE``:
    the C0 controls but tab, line feed and carriage return) replaced by U+FFFD "�", so an export never
    fails on a control character that reached the database (new-user trial 14: a BEL in a screened
    person's address made every district export a 500); values other than ``str`` are returned as they are."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def text_cell(ws, value, *, number_format: str | None = None):
    """A write-only worksheet's cell (openpyxl ``WriteOnlyCell``) holding ``value``, stored as text when
    :func:`formula_like` (openpyxl would otherwise write ``"=..."`` as a formula); ``number_format``
    (e.g. ``"@"``, Text) is applied when given; characters a cell cannot hold are replaced
    (:func:`excel_safe`)."""
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415

    value = excel_safe(value)
    cell = WriteOnlyCell(ws, value=value)
    if formula_like(value):
        cell.data_type = "s"
    if number_format is not None:
        cell.number_format = number_format
    return cell


def save_as_text(workbook, target) -> None:
    """Save an ordinary (not write-only) openpyxl ``workbook`` to ``target`` (a path or a binary file)
    with every cell that openpyxl took for a formula written as the text it was given. Lianfang never
    writes formulas of its own, so every such cell came from a value someone typed."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    workbook.save(target)
