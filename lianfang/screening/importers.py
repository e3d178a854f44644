"""Reading lab-result files (CSV in UTF-8 or GBK, XLSX, XLS, ODS) into result lines; nothing is written here.

Columns are found by their header (Chinese or English, any order, in the first five rows): tube
barcode (管码/管号/条码/tube/barcode), result (结果/result: 阴性/阳性/无效, negative/positive/invalid), lab
(检测机构/实验室/lab, optional when the upload names the lab) and time (报告时间/时间/time). Times
without a zone are Asia/Shanghai (settings.TIME_ZONE).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import unicodedata
from pathlib import PurePath

from charset_normalizer import from_bytes
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.screening.services.results import MAX_RESULT_LINES, ResultLine, too_many_lines_message

MAX_RESULT_FILE_BYTES = 30 * 2**20
"""The largest result file the page takes (30 MB): a CSV of :data:`MAX_RESULT_LINES` full lines
(barcode, result, lab, time: about 60 bytes each) is about 12 MB."""


def _megabytes(size: int) -> str:
    """``size`` bytes in MB rounded up to 0.1 (a file 13 bytes over 30 MB reads "30.1 MB", not "30 MB")."""
    tenths = math.ceil(size * 10 / 2**20)
    return f"{tenths / 10:g} MB"


def check_result_file_size(file_name: str, size: int) -> None:
    """Raise ValidationError ``{"file": …}`` naming the file, its size and :data:`MAX_RESULT_FILE_BYTES`
    when ``size`` (bytes) is over the limit; called before the file is read."""
    if size > MAX_RESULT_FILE_BYTES:
        message = _("%(name)s is %(size)s: at most %(limit)s per upload; split the file.")
        raise ValidationError(
            {
                "file": message
                % {"name": file_name, "size": _megabytes(size), "limit": _megabytes(MAX_RESULT_FILE_BYTES)}
            }
        )


HEADERS = {
    "barcode": {
        "管码",
        "管号",
        "采样管管码",
        "条码",
        "条码号",
        "试管编号",
        "采样管编号",
        "样本编号",
        "tube",
        "barcode",
        "tube barcode",
    },
    "value": {"结果", "检测结果", "result", "value"},
    "lab": {"检测机构", "实验室", "机构", "lab", "laboratory"},
    "reported": {"时间", "报告时间", "检测时间", "time", "reported at", "reported_at", "reported"},
}


def _norm(text) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower()


def _rows_csv(data: bytes) -> list[list]:
    """The rows of a CSV ``data`` in whatever encoding charset_normalizer finds (UTF-8, GBK …); raises
    ValueError when ``data`` is not text at all (a picture, a PDF: no encoding reads it)."""
    best = from_bytes(data).best()
    if best is None:
        raise ValueError("not text")
    return list(csv.reader(io.StringIO(str(best).lstrip("\ufeff"))))


SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt")
ACCEPTED_SUFFIXES = (*TEXT_SUFFIXES, *SHEET_SUFFIXES)
"""What the upload page's file input offers (its ``accept``); a name without a suffix is read by content."""
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an .xls (OLE compound file)


def _rows_xlsx(data: bytes) -> list[list]:
    from python_calamine import CalamineWorkbook  # noqa: PLC0415

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value if value is not None else "")


def _cell_time(value):
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    text = _norm(value)
    if not text:
        return ""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return timezone.make_aware(dt.datetime.strptime(text, fmt))
        except ValueError:
            continue
    return str(value)


def read_result_file(data: bytes, file_name: str) -> list[ResultLine]:
    """Parse ``data`` (a spreadsheet — ``.xlsx``/``.xlsm``/``.xls``/``.ods`` by name, or zip/OLE magic —
    else CSV: ``.csv``, ``.txt`` or no suffix) into ResultLine (1-based ``line`` = the file's row number).
    Raises ValidationError ``{"file": …}`` naming the file and the accepted formats when it cannot be read
    or is of another type (“r.xlsx is not a readable CSV, XLSX, XLS or ODS file”, and the same for r.png,
    a picture renamed r.csv or a file with no text: never the library's own English message, never
    “no header” for a file that is not a table) and naming the missing column when the header
    is not found, its size (:func:`check_result_file_size`) and its number of lines past
    :data:`MAX_RESULT_LINES` (“400,000 result lines: at most 200,000 lines per upload”)."""
    check_result_file_size(file_name, len(data))
    suffix = PurePath(file_name.lower()).suffix
    is_sheet = suffix in SHEET_SUFFIXES or data[:2] == b"PK" or data[:4] == OLE_MAGIC
    message = _("%(name)s is not a readable CSV, XLSX, XLS or ODS file")
    try:
        if not is_sheet and suffix not in ("", *TEXT_SUFFIXES):  # r.png, r.pdf, r.docx: not what the page takes
            raise ValueError(suffix)
        rows = _rows_xlsx(data) if is_sheet else _rows_csv(data)
    except Exception as exc:  # noqa: BLE001 (any unreadable file: the library's words are not shown)
        raise ValidationError({"file": message % {"name": file_name}}) from exc
    for index, row in enumerate(rows[:5]):
        found = {}
        for col, cell in enumerate(row):
            for key, names in HEADERS.items():
                if _norm(cell) in names and key not in found:
                    found[key] = col
        if "barcode" in found and "value" in found:
            header_at, columns = index, found
            break
    else:
        raise ValidationError(
            {"file": _("no header with a tube barcode column and a result column in %(name)s") % {"name": file_name}}
        )
    body = rows[header_at + 1 :]
    if len(body) > MAX_RESULT_LINES:  # blank rows are not lines: count them only when it matters
        count = sum(1 for row in body if any(_norm(c) for c in row))
        if count > MAX_RESULT_LINES:
            raise ValidationError({"file": too_many_lines_message(count, file_name)})
    lines = []
    for number, row in enumerate(body, start=header_at + 2):

        def get(key, row=row):
            col = columns.get(key)
            return row[col] if col is not None and col < len(row) else ""

        if not any(_norm(c) for c in row):
            continue
        lines.append(
            ResultLine(
                line=number,
                barcode=_cell_text(get("barcode")),
                value=_cell_text(get("value")),
                lab=_cell_text(get("lab")),
                reported=_cell_time(get("reported")),
            )
        )
    return lines
