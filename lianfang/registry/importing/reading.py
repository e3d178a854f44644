"""Reading import files: formats (.xlsx, .xls, .ods through python-calamine; .csv in UTF-8, UTF-8 with BOM,
GBK/GB18030, detected with charset-normalizer), :class:`Sheet` with merged cells filled and rows read
lazily, :func:`read_sheets`, and locating the (one- or two-row) :class:`Header` by synonyms.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from lianfang.core.forms import listing
from lianfang.registry.importing.columns import REQUIRED_KEYS, TEMPLATE_COLUMNS, Column, _match_header, cell_text

SPREADSHEET_FORMATS = ("xlsx", "xls", "ods")
FORMATS = (*SPREADSHEET_FORMATS, "csv")

HEADER_SEARCH_ROWS = 15  # the header must start within the first 15 rows of a sheet
# The csv module refuses fields over 128 KiB by default, as an exception that ends the whole read. A
# field can never be longer than the file (MAX_UPLOAD_BYTES in io_views is 200 MiB), so the reader's
# limit is raised to that and over-long cells are reported per row instead (MAX_CELL_CHARS, and the
# model's max_length for the columns stored as they are).
CSV_FIELD_LIMIT = 256 * 1024 * 1024


class ImportFileError(ValueError):
    """The file cannot be read at all (unknown format, damaged, no sheet with a header)."""


@dataclass
class Sheet:
    """The rows of one sheet, 0-based and padded from column A, merged cells already filled.

    ``rows`` holds the first rows (where the header is looked for); ``more`` yields the rest lazily, so a
    0.5 M-row file is never held as Python cells all at once. ``total`` is the number of rows (an
    estimate for CSV: its line count). Iterate everything once with :meth:`data_rows`.
    """

    name: str
    rows: list[list[object]]
    more: Iterator[list[object]] | None = None
    total: int = 0
    source: object = None  # keeps the open workbook alive while ``more`` is read

    def data_rows(self, start: int = 0) -> Iterator[tuple[int, list[object]]]:
        """``(index, row)`` from ``start``: the buffered rows, then the rest (consumed once)."""
        for index in range(start, len(self.rows)):
            yield index, self.rows[index]
        if self.more is not None:
            index = len(self.rows)
            for row in self.more:
                if index >= start:
                    yield index, row
                index += 1
            self.more = None


def _filled(rows: Iterator[list[object]], merged: list[tuple[int, int, int, int]], col_offset: int = 0):
    """Rows padded by ``col_offset`` empty cells, each merged range's top-left value copied into the range."""
    tops: dict[int, list[int]] = {}
    covered: dict[int, list[tuple[int, int, int]]] = {}
    for r0, c0, r1, c1 in merged:
        tops.setdefault(r0, []).append(c0)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered.setdefault(r, []).append((c, r0, c0))
    values: dict[tuple[int, int], object] = {}
    for r, row in enumerate(rows):
        if col_offset:
            row = [""] * col_offset + list(row)
        for c0 in tops.get(r, ()):
            values[(r, c0)] = row[c0] if c0 < len(row) else ""
        for c, r0, c0 in covered.get(r, ()):
            if len(row) <= c:
                row = list(row) + [""] * (c + 1 - len(row))
            row[c] = values.get((r0, c0), "")
        yield row


def _buffered(name: str, rows: Iterator[list[object]], total: int, source: object = None) -> Sheet:
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS + 1))
    return Sheet(name=name, rows=head, more=rows, total=total, source=source)


def detect_format(file_name: str) -> str:
    """``xlsx``, ``xls``, ``ods`` or ``csv`` from the file name; raises ImportFileError otherwise."""
    suffix = Path(file_name).suffix.lower().lstrip(".")
    if suffix in ("txt", "tsv"):
        suffix = "csv"
    if suffix not in FORMATS:
        raise ImportFileError(
            _("unsupported file type “%(suffix)s”: use .xlsx, .xls, .ods or .csv") % {"suffix": suffix}
        )
    return suffix


def _decodes(data: bytes, encoding: str) -> bool:
    """True when ``data`` decodes strictly as ``encoding`` (checked 1 MiB at a time, nothing kept)."""
    import codecs  # noqa: PLC0415

    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    view = memoryview(data)
    try:
        for start in range(0, len(view), 1 << 20):
            decoder.decode(view[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data: bytes) -> str:
    """The text encoding of CSV bytes: ``utf-8-sig``, ``utf-16``, ``utf-8`` or what charset-normalizer finds.

    A UTF-8 or UTF-16 byte-order mark wins (the whole file must then decode as it says); otherwise
    strict UTF-8; otherwise charset-normalizer chooses among the Chinese encodings (GB18030 covers GBK
    and GB2312); GB18030 is the fallback. Raises ImportFileError when nothing decodes.
    """
    marked = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        marked = "utf-16"
    if marked is not None:  # the mark says which; the rest must agree
        if not _decodes(data, marked):
            raise ImportFileError(
                _("the file starts with a %(encoding)s byte-order mark but is not %(encoding)s text")
                % {"encoding": "UTF-8" if marked == "utf-8-sig" else "UTF-16"}
            )
        return marked
    if _decodes(data, "utf-8"):
        return "utf-8"
    from charset_normalizer import from_bytes  # noqa: PLC0415

    best = from_bytes(data[:200_000], cp_isolation=["gb18030", "big5", "utf_16"]).best()
    encoding = best.encoding if best is not None else "gb18030"
    if encoding in ("gbk", "gb2312"):
        encoding = "gb18030"
    for candidate in (encoding, "gb18030"):
        if _decodes(data, candidate):
            return candidate
    raise ImportFileError(_("the file is not text in UTF-8 or GBK/GB18030"))


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes whole; returns ``(text, encoding)`` (see :func:`detect_encoding`)."""
    encoding = detect_encoding(data)
    return data.decode(encoding), encoding


def read_sheets(data: bytes, file_format: str, file_name: str = "") -> tuple[list[Sheet], str]:
    """All sheets of a file as :class:`Sheet` (rows read lazily); returns ``(sheets, encoding)``
    (encoding for CSV only). Raises ImportFileError (naming ``file_name``) for a file that cannot be opened."""
    if file_format == "csv":
        encoding = detect_encoding(data)
        stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")  # decoded as it is read
        sample = data[:10_000]
        delimiter = "\t" if sample.count(b"\t") > sample.count(b",") else ","
        if csv.field_size_limit() < CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)
        rows = csv.reader(stream, delimiter=delimiter)
        return [_buffered("csv", rows, data.count(b"\n"), source=stream)], encoding
    import python_calamine  # noqa: PLC0415

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            rows = _filled(sheet.iter_rows(), merged, sheet.start[1] if sheet.start else 0)
            total = sheet.end[0] + 1 if sheet.end else 0
            sheets.append(_buffered(name, rows, total, source=workbook))
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise ImportFileError(
            _("cannot open %(file)s as %(format)s: the file is damaged or is not really a %(format)s file")
            % {"file": file_name or file_format, "format": file_format}
        ) from exc
    return sheets, ""


@dataclass
class Header:
    """A located header: first data row index, column index → header text, column index → key."""

    first_data_row: int
    texts: dict[int, str]
    keys: dict[int, str]
    rows: int = 1


def _row_texts(row: list[object]) -> list[str]:
    return [cell_text(v) for v in row]


def _score(texts: list[str], columns: tuple[Column, ...] = TEMPLATE_COLUMNS) -> tuple[int, dict[int, str]]:
    keys = {}
    for index, text in enumerate(texts):
        key = _match_header(text, columns)
        if key and key not in keys.values():
            keys[index] = key
    return len(keys), keys


def find_header(
    rows: list[list[object]], columns: tuple[Column, ...] = TEMPLATE_COLUMNS, required: tuple[str, ...] = ()
) -> Header | None:
    """Locate the header in the first rows: the best single row or pair of rows (two-row header).

    A two-row header is flattened column by column into ``parent-child`` (``住址-楼栋``); a blank
    parent cell takes the nearest parent to its left (a merged cell without merge information, as
    in CSV). Returns None when no row matches at least two required columns.
    """
    candidates: list[tuple[tuple[int, int, int], Header]] = []  # ((score, single row?, -index), header)
    limit = min(len(rows), HEADER_SEARCH_ROWS)
    for i in range(limit):
        texts = _row_texts(rows[i])
        score, keys = _score(texts, columns)
        if score:
            candidates.append(((score, 0, -i), Header(i + 1, dict(enumerate(texts)), keys, 1)))
        if i + 1 < len(rows):
            lower = _row_texts(rows[i + 1])
            width = max(len(texts), len(lower))
            flat, parent = [], ""
            for c in range(width):
                top = texts[c] if c < len(texts) else ""
                bottom = lower[c] if c < len(lower) else ""
                if top:
                    parent = top
                elif bottom:
                    top = parent
                if top and bottom and top != bottom:
                    flat.append(f"{top}-{bottom}")
                else:
                    flat.append(bottom or top)
            pair_score, pair_keys = _score(flat, columns)
            if pair_score and _score(lower, columns)[0] > 0:
                # On a tie a real two-row header (its upper row names columns too) beats the lower row
                # alone, which beats a title or instructions row glued on top.
                upper_names = 1 if score > 0 else -1
                candidates.append(((pair_score, upper_names, -i), Header(i + 2, dict(enumerate(flat)), pair_keys, 2)))
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c[0])[1]  # most columns matched, then the tie rule, then the earliest
    if sum(1 for k in best.keys.values() if k in (required or REQUIRED_KEYS)) < 2:
        return None
    return best


def missing_required(
    sheets: list[Sheet], columns: tuple[Column, ...] = TEMPLATE_COLUMNS, required: tuple[str, ...] = ()
) -> list[str]:
    """The keys of the ``required`` columns (default :data:`REQUIRED_KEYS`) that a file without a header
    lacks: those not named by the row, among the first HEADER_SEARCH_ROWS of every sheet, that names most
    of them (all of them for a file naming none), in ``required``'s order."""
    required = required or REQUIRED_KEYS
    best: set[str] = set()
    for sheet in sheets:
        for row in sheet.rows[:HEADER_SEARCH_ROWS]:
            found = {key for key in _score(_row_texts(row), columns)[1].values() if key in required}
            if len(found) > len(best):
                best = found
    return [key for key in required if key not in best]


def no_header_reason(
    sheets: list[Sheet], columns: tuple[Column, ...] = TEMPLATE_COLUMNS, required: tuple[str, ...] = ()
) -> str:
    """The error of a file in which no sheet has a header (translated), naming the required columns it
    lacks (:func:`missing_required`) in the reader's language: ``没有任何工作表包含必填列的表头；缺少：
    小区/村民小组、房号``; English ``no sheet has a header row with the required columns; missing:
    Compound/village group, Room / house number``."""
    labels = {column.key: column.label for column in columns}
    missing = [str(labels[key]) for key in missing_required(sheets, columns, required)]
    if not missing:
        return _("no sheet has a header row with the required columns")
    return _("no sheet has a header row with the required columns; missing: %(columns)s") % {
        "columns": listing(missing)
    }


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
