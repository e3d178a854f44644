"""Registry import (导入): households with their residents from the rosters communities really keep.

Formats: .xlsx, .xls, .ods (python-calamine) and .csv (UTF-8, UTF-8 with BOM, GBK/GB18030; the
encoding is detected with charset-normalizer when the bytes are not UTF-8). One row per resident;
the household is the row's address (community, compound, building, unit, room). The layout of the
downloadable template is :data:`TEMPLATE_COLUMNS` (lianfang.registry.exporters writes it).

The pipeline (design.md "Bulk paths"; docs/import.md):

1. **Read** every sheet; find the header row (or a two-row header, merged cells flattened to
   ``住址-楼栋``) by matching Chinese and English synonyms; fill merged data cells within their range;
   skip blank rows; ignore unknown columns with a warning; a missing required column is an error.
2. **Validate the whole file** against the database, loaded once (divisions, households and
   residents of the target; other residents only by the ID hashes in the file): ID numbers per
   GB 11643-1999 through core.idnumber (numbers stored as numbers are "Corrupted by Excel", never
   repaired), phones with phonenumbers, the same person twice in the file or already living in
   another household is a conflict, an unknown compound/building/unit is an error naming the
   nearest matches. Every problem is an :class:`Issue` (sheet, row, column, value, reason).
3. **Commit** only when there is no error: one transaction; new rows by COPY (PostgreSQL) or
   ``executemany`` (SQLite) through core.bulk; changed rows updated with their previous values kept
   in ImportChange; upsert keyed on the ID-number hash, so importing the same file again changes
   nothing and says so. The whole batch can be rolled back (:func:`import_batch_rollback`).
   Deaths and other irreversible statuses are never set by an import.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import difflib
import functools
import gc
import hashlib
import io
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.core import audit, bulk, pii
from lianfang.core.forms import bracketed
from lianfang.divisions.models import Division, Level
from lianfang.registry import generator
from lianfang.registry.models import (
    VULNERABILITY_FLAGS,
    DocumentType,
    Household,
    ImportBatch,
    ImportChange,
    ImportKind,
    ImportStatus,
    Relation,
    ResidenceStatus,
    Resident,
    Sex,
    import_summary,
)
from lianfang.registry.services import (
    FLAG_FIELDS,
    Placement,
    household_address,
    name_problem,
    validate_resident,
)

# Plain strings of the choices used on every row (an Enum member lookup costs a descriptor call).
RESIDENT_ID, NO_DOCUMENT = str(DocumentType.RESIDENT_ID.value), str(DocumentType.NONE.value)
OTHER_RELATION, HEAD = str(Relation.OTHER.value), str(Relation.HEAD.value)
REGISTERED = str(ResidenceStatus.REGISTERED.value)
SPREADSHEET_FORMATS = ("xlsx", "xls", "ods")
FORMATS = (*SPREADSHEET_FORMATS, "csv")
logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 15  # the header must start within the first 15 rows of a sheet
PROGRESS_EVERY = 5_000
MAX_STORED_ISSUES = 200
# The csv module refuses fields over 128 KiB by default, as an exception that ends the whole read. A
# field can never be longer than the file (MAX_UPLOAD_BYTES in io_views is 200 MiB), so the reader's
# limit is raised to that and over-long cells are reported per row instead (MAX_CELL_CHARS, and the
# model's max_length for the columns stored as they are).
CSV_FIELD_LIMIT = 256 * 1024 * 1024
MAX_CELL_CHARS = 1_000  # any cell: no column of the registry holds more
SHOWN_VALUE_CHARS = 60  # an over-long value is shown truncated to this in issues and reports

ProgressCallback = Callable[[str, int, int], None]  # (phase, done, total)


class ImportFileError(ValueError):
    """The file cannot be read at all (unknown format, damaged, no sheet with a header)."""


# ---------------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One template column: canonical ``key``, English ``label`` (translated in headers), synonyms."""

    key: str
    label: object
    synonyms: tuple[str, ...] = ()
    required: bool = False
    text: bool = False  # formatted as Text in the template (ID and phone numbers)


FLAG_SYNONYMS = {
    "elderly_alone": ("独居老人", "独居", "空巢老人", "elderly alone"),
    "no_smartphone": ("无智能手机", "没有智能手机", "no smartphone"),
    "chronic_illness": ("慢性病", "慢性病需用药", "慢病", "chronic illness"),
    "dialysis": ("透析", "血透", "dialysis"),
    "pregnant": ("孕产妇", "孕妇", "pregnant", "pregnancy"),
    "bedridden": ("卧床", "长期卧床", "bedridden"),
    "disabled": ("残疾", "残疾人", "disabled", "disability"),
    "infant": ("婴幼儿", "婴儿", "infant"),
}

TEMPLATE_COLUMNS: tuple[Column, ...] = (
    Column("resident_no", gettext_lazy("Resident no."), ("居民编号", "人员编号", "resident no", "resident id")),
    Column("community", gettext_lazy("Community/village"), ("社区", "社区名称", "村", "社区(村)", "社区/村", "村委会")),
    Column(
        "compound",
        gettext_lazy("Compound/village group"),
        ("小区", "小区名称", "村民小组", "组", "小区/村民小组", "compound", "village group"),
        required=True,
    ),
    Column("building", gettext_lazy("Building"), ("楼栋", "楼号", "楼栋号", "栋", "幢", "楼", "building")),
    Column("unit", gettext_lazy("Unit (stairwell)"), ("单元", "单元号", "unit", "stairwell")),
    Column(
        "room",
        gettext_lazy("Room / house number"),
        ("房号", "房间号", "门牌号", "户室号", "室", "房屋号", "room", "house number", "room no"),
        required=True,
    ),
    Column("contact_name", gettext_lazy("Household contact"), ("户联系人", "家庭联系人", "household contact")),
    Column(
        "household_phone",
        gettext_lazy("Household phone"),
        ("户联系电话", "家庭电话", "户电话", "household phone"),
        text=True,
    ),
    Column("name", pgettext_lazy("person", "Name"), ("姓名", "名字", "居民姓名", "name", "full name"), required=True),
    Column("document_type", gettext_lazy("Document type"), ("证件类型", "document type")),
    Column(
        "id_number",
        gettext_lazy("ID number"),
        (
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "证件号码",
            "证件号",
            "身份证",
            "id number",
            "id no",
            "id",
            "id card number",
            "document number",
        ),
        required=True,
        text=True,
    ),
    Column("sex", gettext_lazy("Sex"), ("性别", "sex", "gender")),
    Column("birth_date", gettext_lazy("Birth date"), ("出生日期", "出生年月日", "生日", "birth date", "date of birth")),
    Column(
        "phone",
        gettext_lazy("Phone"),
        ("联系电话", "手机号", "手机号码", "手机", "电话", "联系方式", "电话号码", "phone", "mobile", "phone number"),
        text=True,
    ),
    Column(
        "relation", gettext_lazy("Relation to head"), ("与户主关系", "关系", "家庭关系", "relation", "relationship")
    ),
    Column(
        "residence_status",
        gettext_lazy("Residence status"),
        ("居住状态", "人员类型", "人员类别", "户籍类型", "residence status", "status"),
    ),
    Column(
        "registration_address",
        gettext_lazy("Household-registration address"),
        ("户籍地址", "户籍地", "户口所在地", "registration address"),
    ),
    Column(
        "guardian_id",
        gettext_lazy("Guardian ID number"),
        ("监护人证件号码", "监护人身份证号", "监护人身份证号码", "guardian id number", "guardian id"),
        text=True,
    ),
    *(Column(name, label, FLAG_SYNONYMS[name]) for name, label in VULNERABILITY_FLAGS),
)
COLUMNS_BY_KEY = {c.key: c for c in TEMPLATE_COLUMNS}
# Columns stored as they are: at most the model field's length (the rest are parsed, MAX_CELL_CHARS).
MAX_LENGTHS = {
    "name": Resident._meta.get_field("name").max_length,
    "room": Household._meta.get_field("room").max_length,
    "contact_name": Household._meta.get_field("contact_name").max_length,
    "registration_address": Resident._meta.get_field("registration_address").max_length,
}
REQUIRED_KEYS = tuple(c.key for c in TEMPLATE_COLUMNS if c.required)
# Columns naming statuses an import must never set (deaths, deregistration): ignored with a warning.
IRREVERSIBLE_HEADERS = ("死亡", "是否死亡", "已故", "去世", "注销", "deceased", "dead", "death")


def _norm_header(value: object) -> str:
    """Header text folded for matching: NFKC, lower case, no spaces, ``*`` or bracketed notes."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    text = re.sub(r"\(.*?\)|\[.*?\]", "", text)
    return re.sub(r"[\s*:_]", "", text)


_HEADER_INDEXES: dict[int, tuple[tuple[Column, ...], dict[str, str]]] = {}


def _header_index(columns: tuple[Column, ...] = TEMPLATE_COLUMNS) -> dict[str, str]:
    """Normalised header text → column key: synonyms plus the label in English and zh-Hans.

    Cached per column set by identity (hashing the columns would translate every lazy label)."""
    cached = _HEADER_INDEXES.get(id(columns))
    if cached is not None and cached[0] is columns:
        return cached[1]
    index: dict[str, str] = {}
    for column in columns:
        names = [*column.synonyms]
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names.append(str(column.label))
        for name in names:
            index.setdefault(_norm_header(name), column.key)
    _HEADER_INDEXES[id(columns)] = (columns, index)
    return index


def _match_header(text: str, columns: tuple[Column, ...] = TEMPLATE_COLUMNS) -> str | None:
    """Column key for one (possibly flattened ``住址-楼栋``) header text, or None."""
    norm = _norm_header(text)
    if not norm:
        return None
    index = _header_index(columns)
    if norm in index:
        return index[norm]
    if "-" in norm:  # a flattened two-row header: the lower (child) cell names the column
        child = norm.rsplit("-", 1)[1]
        return index.get(child)
    return None


def _is_irreversible(text: str) -> bool:
    norm = _norm_header(text)
    return any(_norm_header(h) == norm or norm.endswith("-" + _norm_header(h)) for h in IRREVERSIBLE_HEADERS)


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------


def _choice_index(choices, extra: dict[str, str]) -> dict[str, str]:
    index = {}
    for value, label in choices.choices:
        index[value.lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                index[unicodedata.normalize("NFKC", str(label)).strip().lower()] = value
    for text, value in extra.items():
        index[text.lower()] = value
    return index


@functools.cache
def _value_indexes() -> dict[str, dict[str, str]]:
    """Accepted cell values per choice column: codes, labels in both languages, common synonyms."""
    return {
        "sex": _choice_index(Sex, {"男": "M", "女": "F", "male": "M", "female": "F", "m": "M", "f": "F"}),
        "relation": _choice_index(
            Relation,
            {
                "户主": "head",
                "本人": "head",
                "配偶": "spouse",
                "妻": "spouse",
                "妻子": "spouse",
                "夫": "spouse",
                "丈夫": "spouse",
                "子": "child",
                "女": "child",
                "儿子": "child",
                "女儿": "child",
                "子女": "child",
                "长子": "child",
                "长女": "child",
                "次子": "child",
                "次女": "child",
                "父亲": "parent",
                "母亲": "parent",
                "父母": "parent",
                "孙子": "grandchild",
                "孙女": "grandchild",
                "外孙": "grandchild",
                "外孙女": "grandchild",
                "孙子女": "grandchild",
                "其他": "other",
            },
        ),
        "residence_status": _choice_index(
            ResidenceStatus,
            {
                "户籍": "registered",
                "常住": "registered",
                "户籍人口": "registered",
                "流入": "inflow",
                "流动": "inflow",
                "外来": "inflow",
                "流动人口": "inflow",
                "暂住": "inflow",
                "外出": "away",
            },
        ),
        "document_type": _choice_index(
            DocumentType,
            {
                "身份证": "resident_id",
                "居民身份证": "resident_id",
                "护照": "passport",
                "港澳通行证": "hk_macao",
                "台胞证": "taiwan",
                "永居证": "foreign_permanent",
                "外国人永久居留证": "foreign_permanent",
                "其他": "other",
                "无": "none",
                "无证件": "none",
            },
        ),
    }


TRUE_VALUES = frozenset({"是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "x"})
FALSE_VALUES = frozenset({"", "否", "无", "n", "no", "false", "0", "-", "/"})


def cell_text(value: object) -> str:
    """A cell as text: NFKC (full-width → ASCII), stripped; integral floats without ``.0``; dates ISO."""
    if value is None or value == "":
        return ""
    if value.__class__ is str:
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: object) -> dt.date | None:
    """A birth-date cell: a date cell, ``1949-12-31``, ``1949/12/31``, ``1949年12月31日`` or ``19491231``.

    Returns None for a blank cell; raises ValueError for anything else.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    return _parse_date_text(text)


@functools.lru_cache(maxsize=65_536)
def _parse_date_text(text: str) -> dt.date:
    """parse_date of a non-empty text cell; cached (a roster has a few ten thousand distinct birth dates)."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return dt.date(*(int(g) for g in match.groups()))
    raise ValueError(text)


_MOBILE = re.compile(r"^1\d{10}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_PHONE_SHAPE = pii.PHONE_SHAPE  # how a phone cell may be written (core.pii, as every form checks it)


@functools.cache
def _cn_mobile_pattern() -> re.Pattern:
    """phonenumbers' own pattern of a valid Chinese mobile number (its CN metadata)."""
    import phonenumbers  # noqa: PLC0415

    return re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)


def normalize_phone(raw: object) -> str:
    """Validate a phone cell with phonenumbers and return the normalised number (as core.pii.normalize_phone).

    An 11-digit number starting with 1 is matched against phonenumbers' CN mobile pattern directly
    (under 1 µs, against ~18 µs for a full parse: design.md "Bulk facts");
    tests/test_import_formats.py checks the two agree on random numbers. Anything else goes through
    core.pii.normalize_phone, once its text has the shape of a phone number (:data:`_PHONE_SHAPE`: a
    leading sign or junk around the digits is an error). Raises pii.PhoneError.
    """
    if raw.__class__ is str and len(raw) == 11 and raw.isascii() and raw.isdigit():
        text = raw  # the common case: nothing to fold
    else:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if not _PHONE_SHAPE.fullmatch(text):
            raise pii.PhoneError(
                _("not a phone number: digits only (spaces, dashes, brackets and a leading +86 may be used)"), raw
            )
        text = _PHONE_SEPARATORS.sub("", text)
        if text.startswith("+86"):
            text = text[3:]
    if _MOBILE.match(text):
        if _cn_mobile_pattern().fullmatch(text):
            return text
        raise pii.PhoneError(_("not a valid Chinese phone number"), raw)
    return pii.normalize_phone(text)


def folded_from_full_width(raw: object, folded: str) -> bool:
    """Whether the text cell ``raw`` became ``folded`` by NFKC (:func:`cell_text`) turning full-width
    characters into ordinary ones (``"１３８００１３８０００"`` → ``"13800138000"``), not just by losing
    spaces around it. The importer asks only when ``raw is not folded``: NFKC and ``str.strip`` return
    the very same string when they change nothing, so an ordinary cell costs one identity test."""
    return raw.__class__ is str and raw.strip() != folded


def full_width_warning() -> str:
    """The reason of the warning on an ID or phone number typed with full-width characters (translated)."""
    return _("full-width characters were converted to ordinary (half-width) ones; check the number")


@functools.lru_cache(maxsize=65_536)
def name_initials(name: str) -> str:
    """Pinyin initials for search, computed as the population generator does (one cached character at a
    time: 王建国 → ``wjg``), at most 30 letters."""
    return generator.name_initials(name)[:30]


def document_hash(number: str, document_type: str) -> str:
    """The look-up hash SealedIdMixin.set_id_number stores for ``number`` of ``document_type``."""
    if document_type == RESIDENT_ID:
        return pii.lookup_hash("id", number)
    return pii.lookup_hash(f"doc:{document_type}", number)


def _is_masked(text: str) -> bool:
    return "*" in text


# ---------------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------------


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
        raise ImportFileError(_("unsupported file type %(suffix)r: use .xlsx, .xls, .ods or .csv") % {"suffix": suffix})
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


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ---------------------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------------------


@dataclass
class Issue:
    """One problem found in the file: where (sheet, 1-based row, column header and letter), what value, why.

    ``severity`` is ``error`` (nothing is written while any exists) or ``warning``.
    """

    sheet: str
    row: int
    column: str
    value: str
    reason: str
    severity: str = "error"

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.row}" + (f" {self.column}" if self.column else "")
        value = f" {self.value!r}" if self.value else ""
        return f"{self.severity}: {where}:{value} {self.reason}"


class Person(NamedTuple):
    """The validated fields of one resident (validate_resident's ResidentData without its warnings), as a
    tuple: a 0.5 M-row file keeps one per row."""

    name: str
    document_type: str
    document_number: str
    sex: str
    birth_date: dt.date
    phone: str


class HouseholdPlan:
    """A household named by the file: its key, placement, contact values and the matching row if any."""

    __slots__ = ("key", "placement", "contact_name", "phone", "phone_masked", "existing", "ref", "new_id", "changes")

    def __init__(self, key, placement, ref):
        self.key = key
        self.placement = placement
        self.contact_name = ""
        self.phone = ""
        self.phone_masked = ""
        self.existing = None
        self.ref = ref
        self.new_id = None
        self.changes = None


class ResidentPlan:
    """One resident row of the file, validated: data, extra fields, match in the database, action."""

    __slots__ = (
        "ref",
        "household",
        "data",
        "id_hash",
        "extra",
        "flags",
        "guardian",
        "existing",
        "new_id",
        "changes",
        "phone_masked",
    )

    def __init__(self, ref, household, data, id_hash, extra, flags, guardian):
        self.ref = ref
        self.household = household
        self.data = data
        self.id_hash = id_hash
        self.extra = extra  # ((field, value), ...) for relation, residence_status, registration_address given
        self.flags = flags  # ((flag, bool), ...) for the flag columns the file has
        self.guardian = guardian  # ("hash", h) | ("masked", text) | None
        self.existing = None
        self.new_id = None
        self.changes = None
        self.phone_masked = ""


@dataclass
class Plan:
    """What a file would do: issues, households and residents planned, counts."""

    target: Division
    file_format: str
    encoding: str = ""
    issues: list[Issue] = field(default_factory=list)
    households: dict = field(default_factory=dict)
    residents: list[ResidentPlan] = field(default_factory=list)
    rows: int = 0
    skipped: int = 0
    sheets: list[str] = field(default_factory=list)
    header_rows: dict[str, int] = field(default_factory=dict)  # sheet → 1-based row of the (last) header row

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def counts(self) -> dict[str, int]:
        """Rows and planned changes: created/updated/unchanged households and residents, errors, warnings."""
        counts = {"rows": self.rows, "blank_rows": self.skipped}
        for name, rows in (("households", self.households.values()), ("residents", self.residents)):
            created = updated = unchanged = 0
            for row in rows:  # one pass: a plan can hold 0.5 M rows
                if row.existing is None:
                    created += 1
                elif row.changes:
                    updated += 1
                else:
                    unchanged += 1
            counts.update({f"{name}_created": created, f"{name}_updated": updated, f"{name}_unchanged": unchanged})
        errors = sum(1 for i in self.issues if i.severity == "error")
        counts.update({"errors": errors, "warnings": len(self.issues) - errors})
        return counts

    @property
    def changes_anything(self) -> bool:
        c = self.counts()
        return any(c[k] for k in ("households_created", "households_updated", "residents_created", "residents_updated"))


# ---------------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------------


def _place_key(text: str, level: int) -> str:
    """Fold a compound/building/unit name for matching: no spaces; 3号楼/3栋/3幢/3 → 3; 2单元/2 → 2."""
    text = re.sub(r"\s", "", cell_text(text)).lower()
    if level == Level.BUILDING:
        text = re.sub(r"(号楼|号|栋|幢|楼|座)$", "", text)
    elif level == Level.UNIT:
        text = re.sub(r"(单元|门)$", "", text)
    return text


class Places:
    """The division nodes under the import target, loaded once, resolved by name with suggestions."""

    def __init__(self, target: Division):
        self.target = target
        nodes = list(
            Division.objects.within(target.code)
            .filter(level__gte=Level.COMMUNITY)
            .only("id", "code", "name", "short_name", "level", "district_id")
        )
        self.by_code = {n.code: n for n in nodes}
        if target.level == Level.COMMUNITY:
            self.by_code[target.code] = target
        self.children: dict[str, dict[str, Division]] = {}
        self.names: dict[str, list[str]] = {}
        self.communities: dict[str, Division] = {}
        for node in nodes:
            if node.level == Level.COMMUNITY:
                for name in (node.name, node.short_name):
                    self.communities[_place_key(name, Level.COMMUNITY)] = node
                continue
            parent = node.code[: {Level.COMPOUND: 12, Level.BUILDING: 15, Level.UNIT: 18}[node.level]]
            self.children.setdefault(parent, {})[_place_key(node.short_name, node.level)] = node
            self.names.setdefault(parent, []).append(node.short_name)
        self._cache: dict[tuple, tuple[Division | None, str, str]] = {}

    def community(self, text: str) -> tuple[Division | None, str]:
        """The community named ``text`` inside the target (any when the target is a community: itself)."""
        if self.target.level == Level.COMMUNITY:
            if text and _place_key(text, Level.COMMUNITY) not in (
                _place_key(self.target.name, Level.COMMUNITY),
                _place_key(self.target.short_name, Level.COMMUNITY),
            ):
                return None, _("the file is being imported into %(target)s, not %(value)s") % {
                    "target": self.target.short_name,
                    "value": text,
                }
            return self.target, ""
        if not text:
            return None, _("community is required when importing into %(target)s") % {"target": self.target.short_name}
        node = self.communities.get(_place_key(text, Level.COMMUNITY))
        if node is None:
            names = sorted({n.short_name for n in self.communities.values()})
            return None, self._unknown(_("unknown community"), text, names)
        return node, ""

    @staticmethod
    def _unknown(what: str, text: str, names: list[str]) -> str:
        near = difflib.get_close_matches(text, names, n=3, cutoff=0.3)
        if near:
            return _("%(what)s; nearest: %(near)s") % {"what": what, "near": ", ".join(near)}
        return _("%(what)s (none similar in this community)") % {"what": what}

    def resolve(self, community_text: str, compound: str, building: str, unit: str):
        """``(node, column_key, reason)``: the most specific node named, or None with the failing column."""
        key = (community_text, compound, building, unit)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = self._resolve(*key)
        self._cache[key] = result
        return result

    def _resolve(self, community_text, compound, building, unit):
        community, reason = self.community(community_text)
        if community is None:
            return None, "community", reason
        node = community
        for text, level, column, what in (
            (compound, Level.COMPOUND, "compound", _("unknown compound/village group")),
            (building, Level.BUILDING, "building", _("unknown building")),
            (unit, Level.UNIT, "unit", _("unknown unit")),
        ):
            if not text:
                break
            if node.level != level - 1:
                return None, column, _("%(column)s given without the level above it") % {"column": text}
            child = self.children.get(node.code, {}).get(_place_key(text, level))
            if child is None:
                return None, column, self._unknown(what, text, self.names.get(node.code, []))
            node = child
        return node, "", ""


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------

# Big sheets are read by worker processes (fork): the per-row checks that depend on the row alone run
# there, in chunks; the parent applies the results in file order (households, duplicates, matches).
PARALLEL_MIN_ROWS = 20_000  # below this a sheet is validated in this process
PARALLEL_CHUNK = 2_000  # rows per task
_FORKED: tuple | None = None  # (validator, sheet name, header columns, existing rows, language) for the children


def parallel_workers(rows: int) -> int:
    """How many worker processes validate a sheet of about ``rows`` rows: 0 (in this process) for small
    sheets, one CPU, a platform without ``fork``, or a caller with other threads running (forking them
    is unsafe); else the CPU count, at most 4."""
    import multiprocessing  # noqa: PLC0415
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if rows < PARALLEL_MIN_ROWS or cpus < 2 or threading.active_count() > 1:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(cpus, 4)


def _default_signals() -> None:
    """In a forked child: SIGTERM, SIGINT and SIGQUIT back to their defaults. The parent may be a
    process that catches them to finish its current job first (django-tasks' ``db_worker`` does): a
    child inheriting that handler ignores the SIGTERM of ``Pool.terminate`` and the parent then waits
    for it forever (an import of 25,000 rows queued from the web page hung so, new-user trial)."""
    import signal  # noqa: PLC0415

    for name in ("SIGTERM", "SIGINT", "SIGQUIT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


_CELL_END, _ROW_END = "\x1f", "\x1e"  # ASCII unit and record separators


def _packed(chunk: list[tuple[int, list]]) -> tuple | list:
    """A chunk of consecutive ``(index, row)`` for a worker: ``(first index, text)`` with the cells joined
    by the unit separator and the rows by the record separator when every cell is text without those
    characters (every CSV row), which is cheaper to pickle than the lists (bench/import_validation.py);
    else the chunk itself."""
    try:
        text = _ROW_END.join([_CELL_END.join(row) for _index, row in chunk])
    except TypeError:  # a cell that is not text (spreadsheets: numbers, dates, empty cells)
        return chunk
    if text.count(_ROW_END) != len(chunk) - 1 or text.count(_CELL_END) != sum(len(r) - 1 for _i, r in chunk if r):
        return chunk  # a cell holds a separator itself
    return (chunk[0][0], text)


def _unpacked(packed: tuple | list) -> Iterator[tuple[int, list]]:
    """Inverse of :func:`_packed` (an empty row comes back as one empty cell: blank either way)."""
    if isinstance(packed, list):
        return iter(packed)
    first, text = packed
    return enumerate((line.split(_CELL_END) for line in text.split(_ROW_END)), start=first)


def _read_chunk(chunk: tuple | list) -> list:
    """In a forked worker: :meth:`Validator._read_row` of each ``(index, row)`` of the :func:`_packed`
    ``chunk``, with the parent's language activated explicitly (a worker the pool replaces later is
    forked from the pool's own handler thread, which has not activated it)."""
    chunk = _unpacked(chunk)
    validator, sheet_name, columns, existing, language = _FORKED
    read = validator._read_row
    with translation.override(language):
        return [_flat_read(read(sheet_name, columns, index, raw_row, existing)) for index, raw_row in chunk]


def _flat_read(read: tuple | None) -> tuple | None:
    """A :meth:`Validator._read_row` result with its ResidentPlan and Person spread into plain values (and
    the birth date as an ordinal), cheaper to pickle and rebuild than the objects (bench/import_validation.py,
    docs/benchmarks.md "Import"). :func:`_unflat_read` gives back an equal result."""
    if read is None:
        return None
    resident = read[6]
    if resident is None or resident[0] is None:
        return read
    plan = resident[0]
    d = plan.data
    birth = d.birth_date.toordinal() if d.birth_date is not None else None
    flat = (d.name, d.document_type, d.document_number, d.sex, birth, d.phone, plan.id_hash, plan.extra)
    return (*read[:6], (*flat, plan.flags, plan.guardian, plan.phone_masked, *resident[1:]))


def _unflat_read(read: tuple | None) -> tuple | None:
    """Inverse of :func:`_flat_read` (in the parent)."""
    if read is None:
        return None
    resident = read[6]
    if resident is None or len(resident) == 5:
        return read
    name, doc_type, number, sex, birth, phone, id_hash, extra, flags, guardian, phone_masked = resident[:11]
    if birth is not None:
        birth = dt.date.fromordinal(birth)
    plan = ResidentPlan(None, None, Person(name, doc_type, number, sex, birth, phone), id_hash, extra, flags, guardian)
    plan.phone_masked = phone_masked
    return (*read[:6], (plan, *resident[11:]))


@contextlib.contextmanager
def _forked_rows(streams: tuple[Iterator[tuple], ...], progress, total: int) -> Iterator[list[Iterator[tuple]]]:
    """The row ``streams`` built in a forked child while this process inserts them: gives one iterator per
    stream, to consume fully and in order. The child inherits the plan, never touches the database and
    sends chunks of :data:`PARALLEL_CHUNK` rows through a pipe, so building and sealing the next chunk
    (pinyin, AES-GCM, HMAC: ~12 µs a row) overlaps the insert of this one. ``progress("write", n,
    total)`` is called here as the last stream's rows arrive. Raises RuntimeError when the child fails;
    the child is stopped on leaving the block, whatever happened."""
    import multiprocessing  # noqa: PLC0415

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        _default_signals()
        receiver.close()
        try:
            for rows in streams:
                for chunk in iter(lambda rows=rows: list(itertools.islice(rows, PARALLEL_CHUNK)), []):
                    sender.send(chunk)
                sender.send(None)
        except BaseException as exc:  # noqa: BLE001 (reported to the parent, which raises)
            sender.send(("failed", repr(exc)))
        sender.close()

    def stream(report: bool) -> Iterator[tuple]:
        done = 0
        while (chunk := receiver.recv()) is not None:
            if isinstance(chunk, tuple):
                raise RuntimeError(f"building the rows failed: {chunk[1]}")
            done += len(chunk)
            if report and progress and (done - len(chunk)) // PROGRESS_EVERY != done // PROGRESS_EVERY:
                progress("write", min(done, total), total)
            yield from chunk

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    try:
        yield [stream(index == len(streams) - 1) for index in range(len(streams))]
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join()


# Column orders of the bulk insert, shared with the population generator; the row tuples built in
# commit_plan follow them.
RESIDENT_FIELDS = generator.RESIDENT_FIELDS
HOUSEHOLD_FIELDS = generator.HOUSEHOLD_FIELDS
# Columns compared to decide whether an existing resident changed (the rest are derived or sealed).
RESIDENT_COMPARED = (
    "name",
    "document_type",
    "sex",
    "birth_date",
    "relation",
    "residence_status",
    "registration_address",
    *FLAG_FIELDS,
)
EXISTING_RESIDENT_COLUMNS = (
    "id",
    "household_id",
    "path",
    "id_hash",
    "id_masked",
    "phone_hash",
    "phone_masked",
    "guardian_id",
    "is_deceased",
    "updated_at",
    *RESIDENT_COMPARED,
)


class Validator:
    """Validates one file for one target division; see the module docstring. Use :func:`plan_import`."""

    def __init__(self, target: Division, file_format: str, *, today: dt.date, progress: ProgressCallback | None):
        self.plan = Plan(target=target, file_format=file_format)
        self.places = Places(target)
        self.today = today
        self.progress = progress
        self.seen: dict[str, tuple[str, int]] = {}  # id_hash → (sheet, row) of its first row in the file
        self.current: tuple[str, int] = ("", 0)
        self._interned: dict[tuple, tuple] = {}
        self.flag_columns: tuple[str, ...] = ()  # the vulnerability-flag columns of the sheet being read
        self._flags: dict[tuple, tuple] = {}  # flag texts → parsed flags (a sheet has a few dozen combinations)
        self._placements: dict[str, Placement] = {}  # one per division node, shared by its households
        self.labels: dict[str, dict[str, str]] = {}  # sheet → column key → "header (letter)"
        self.length_limits: tuple[tuple[str, int], ...] = ()  # (column key, most characters) of the sheet

    def _intern(self, value: tuple) -> tuple:
        """One shared tuple per distinct value (most rows have the same flags): memory at 0.5 M rows.

        Stops adding after 50,000 distinct values (a column of all-different addresses gains nothing)."""
        shared = self._interned.get(value)
        if shared is not None:
            return shared
        if len(self._interned) < 50_000:
            self._interned[value] = value
        return value

    def label(self, sheet: str, key: str) -> str:
        """``身份证号 (F)``: the header and letter of column ``key`` on ``sheet`` (the English label if absent)."""
        return self.labels.get(sheet, {}).get(key) or str(COLUMNS_BY_KEY[key].label)

    # -- entry point
    def run(self, sheets: list[Sheet]) -> Plan:
        plan = self.plan
        total = sum(s.total for s in sheets)
        done = 0
        rows_with_keys = []
        for sheet in sheets:
            header = find_header(sheet.rows)
            if header is None:
                if any(any(cell_text(v) for v in row) for row in sheet.rows):
                    plan.issues.append(
                        Issue(sheet.name, 0, "", "", _("no header row found in this sheet; sheet ignored"), "warning")
                    )
                continue
            plan.sheets.append(sheet.name)
            plan.header_rows[sheet.name] = header.first_data_row
            total -= header.first_data_row  # the progress counts data rows (25,000, not 25,001)
            self.labels[sheet.name] = {
                key: bracketed(header.texts[col], _column_letter(col)) for col, key in header.keys.items()
            }
            if not self._check_header(sheet, header):
                continue
            rows_with_keys.append((sheet, header))
        existing = self._load_existing()
        for sheet, header in rows_with_keys:
            columns = tuple(header.keys.items())
            self.flag_columns = tuple(name for name in FLAG_FIELDS if name in header.keys.values())
            self.length_limits = tuple((key, MAX_LENGTHS.get(key, MAX_CELL_CHARS)) for _col, key in columns)
            self._flags = {}
            workers = parallel_workers(sheet.total)
            if workers:
                reads = self._read_parallel(sheet, columns, header.first_data_row, existing, workers)
            else:
                reads = (
                    self._read_row(sheet.name, columns, index, raw_row, existing)
                    for index, raw_row in sheet.data_rows(header.first_data_row)
                )
            for read in reads:
                if read is None:
                    plan.skipped += 1
                else:
                    self._apply_row(sheet.name, read, existing)
                done += 1
                if self.progress and done % PROGRESS_EVERY == 0:
                    self.progress("validate", done, max(total, done))
        if not plan.sheets:
            plan.issues.append(Issue("", 0, "", "", _("no sheet has a header row with the required columns")))
        elif not plan.rows and not plan.errors:
            plan.issues.append(Issue("", 0, "", "", _("the file has no data rows under its header: nothing to import")))
        self._check_elsewhere()
        self._resolve_guardians(existing)
        self._household_contacts()
        order = {name: index for index, name in enumerate(s.name for s in sheets)}
        plan.issues.sort(key=lambda i: (order.get(i.sheet, -1), i.row))
        if self.progress:
            self.progress("validate", done, done)
        return plan

    def _check_header(self, sheet: Sheet, header: Header) -> bool:
        ok = True
        found = set(header.keys.values())
        for key in REQUIRED_KEYS:
            if key not in found:
                label = str(COLUMNS_BY_KEY[key].label)
                self.plan.issues.append(
                    Issue(sheet.name, header.first_data_row, label, "", _("required column %s is missing") % label)
                )
                ok = False
        if self.plan.target.level < Level.COMMUNITY and "community" not in found:
            label = str(COLUMNS_BY_KEY["community"].label)
            self.plan.issues.append(
                Issue(
                    sheet.name,
                    header.first_data_row,
                    label,
                    "",
                    _("required column %s is missing (the import covers more than one community)") % label,
                )
            )
            ok = False
        for index, text in sorted(header.texts.items()):
            if not text or index in header.keys:
                continue
            letter = _column_letter(index)
            if _is_irreversible(text):
                reason = _("column ignored: deaths and other irreversible statuses are never set by an import")
            elif text in header.texts.values() and _match_header(text):
                reason = _("column ignored: the same column appears earlier")
            else:
                reason = _("unknown column ignored")
            self.plan.issues.append(
                Issue(sheet.name, header.first_data_row, bracketed(text, letter), "", reason, "warning")
            )
        return ok

    def _load_existing(self) -> dict:
        """Existing households and residents of the target (one query each)."""
        target = self.plan.target
        households = {}
        for row in Household.objects.within(target.code).values(
            "id", "path", "room", "contact_name", "phone_hash", "phone_masked", "address", "updated_at"
        ):
            households[(row["path"], row["room"])] = row
        residents_by_hash, residents_by_id = {}, {}
        for row in Resident.objects.within(target.code).values(*EXISTING_RESIDENT_COLUMNS):
            residents_by_id[row["id"]] = row
            if row["id_hash"]:
                residents_by_hash[row["id_hash"]] = row
        return {
            "households": households,
            "by_hash": residents_by_hash,
            "by_id": residents_by_id,
        }

    # -- one row
    def _read_row(self, sheet_name: str, header_columns: tuple, index: int, raw_row: list, existing: dict):
        """The part of one row's checks that depends on that row alone (worker processes run it for big files).

        ``header_columns`` are the sheet header's ``(column index, key)`` pairs. Returns None for a blank
        row, else ``(row_no, issues, place_issue_count, household_key, contact_name, household_phone,
        resident)``: ``issues`` are the row's issues so far, the place and room ones first;
        ``household_phone`` is None (none, or not a phone number: then an issue of the row, reported
        even when the row's place or room is wrong), ``("masked", text)`` or ``("phone", number)``;
        ``resident`` is None (no usable ID number and an error) or ``(ResidentPlan or None, shown ID value,
        resident_no row id, resident_no text, ID hash)``, the ResidentPlan None when the row has an error
        that refuses the resident but a valid ID number (a later row of the same person is still a
        duplicate). :meth:`_apply_row` does the rest in file order.
        """
        width = len(raw_row)
        values: dict[str, object] = {}
        text: dict[str, str] = {}
        empty = True
        nfkc = unicodedata.normalize
        for col, key in header_columns:
            value = raw_row[col] if col < width else ""
            if value.__class__ is str:  # cell_text inlined for the usual text cell (every CSV cell)
                if not value:
                    values[key] = text[key] = ""
                    continue
                folded = nfkc("NFKC", value).strip()
            elif value is None:
                values[key] = text[key] = ""
                continue
            else:
                folded = cell_text(value)
            if folded:
                empty = False
            values[key] = value
            text[key] = folded
        if empty:
            return None
        row_no = index + 1
        columns = self.labels[sheet_name]
        issues: list[Issue] = []

        def make_issue(key, reason, severity="error", value=None, as_typed=False):
            shown = values.get(key, "") if value is None else value
            shown = typed_value(shown) if as_typed else shown_value(shown)
            return Issue(sheet_name, row_no, columns.get(key, ""), shown, str(reason), severity)

        def issue(key, reason, severity="error", value=None, as_typed=False):
            issues.append(make_issue(key, reason, severity, value, as_typed))

        too_long: set[str] = set()
        for key, limit in self.length_limits:
            length = len(text[key])
            if length > limit:
                issue(key, _("too long: %(n)d characters, at most %(max)d") % {"n": length, "max": limit})
                too_long.add(key)
                # the other checks run on the cut value (cheap whatever the cell holds); what they
                # say about this column is dropped below: it would only repeat the value
                text[key] = values[key] = text[key][:limit]
        length_issues = len(issues)

        # Household
        room = text.get("room", "")
        node, bad_column, reason = self.places.resolve(
            text.get("community", ""), text.get("compound", ""), text.get("building", ""), text.get("unit", "")
        )
        if node is None:
            issue(bad_column, reason)
        if not room:
            issue("room", _("room / house number is required"))
        place_issues = len(issues)
        household_key = household_phone = None
        contact = text.get("contact_name", "")
        if contact and (problem := name_problem(contact)):
            issue("contact_name", problem)
            contact = ""
        phone_text = text.get("household_phone", "")
        if phone_text:  # checked on every row, whatever else is wrong with it (its place, its room)
            if _is_masked(phone_text):
                household_phone = ("masked", phone_text)
            else:
                try:
                    household_phone = ("phone", normalize_phone(phone_text))
                except pii.PhoneError as exc:
                    issue("household_phone", exc)
                else:
                    raw_phone = values["household_phone"]
                    if raw_phone is not phone_text and folded_from_full_width(raw_phone, phone_text):
                        issue("household_phone", full_width_warning(), "warning", as_typed=True)
        if node is not None and room:
            household_key = (node.code, room)
        # Resident
        resident = self._resident(values, text, issue, existing)
        if too_long:  # the row is refused, and every other bad field of it reported (new-user trial)
            long_columns = {columns.get(key, "") for key in too_long}
            issues[length_issues:] = [i for i in issues[length_issues:] if i.column not in long_columns]
            identity = None if "id_number" in too_long else self._refused_identity(values, text)
            return row_no, issues, len(issues), None, "", None, identity
        return row_no, issues, place_issues, household_key, contact, household_phone, resident

    def _apply_row(self, sheet_name: str, read: tuple, existing: dict) -> None:
        """Add one row read by :meth:`_read_row` to the plan, in file order: its household (the first
        contact and phone given win), duplicates within the file, the match in the database."""
        plan = self.plan
        row_no, read_issues, place_issues, household_key, contact, household_phone, resident = read
        plan.rows += 1
        self.current = (sheet_name, row_no)
        columns = self.labels[sheet_name]
        issues = read_issues[:place_issues]
        household = None
        if household_key is not None:
            household = plan.households.get(household_key)
            if household is None:
                code = household_key[0]
                placement = self._placements.get(code)
                if placement is None:
                    placement = self._placements[code] = Placement.of(self.places.by_code[code], self.places.by_code)
                household = HouseholdPlan(household_key, placement, self.current)
                household.existing = existing["households"].get(household_key)
                plan.households[household_key] = household
            if contact:
                if household.contact_name and household.contact_name != contact:
                    issues.append(
                        Issue(
                            sheet_name,
                            row_no,
                            columns.get("contact_name", ""),
                            contact,
                            _("differs from the household's earlier row; the first is kept"),
                            "warning",
                        )
                    )
                else:
                    household.contact_name = contact
            if household_phone is not None and not household.phone and not household.phone_masked:
                kind, value = household_phone
                if kind == "masked":
                    household.phone_masked = value
                else:
                    household.phone = value
        issues.extend(read_issues[place_issues:])
        if resident is not None:
            resident = self._link_resident(*resident, issues, existing)
        plan.issues.extend(issues)
        if resident is not None and household is not None and not any(i.severity == "error" for i in issues):
            resident.household = household
            resident.ref = self.current
            plan.residents.append(resident)

    def _link_resident(
        self, plan_row, id_shown, resident_row_id, resident_no, id_hash, issues, existing
    ) -> ResidentPlan | None:
        """The same person twice in the file (a conflict), the resident matched in the database, and a
        resident no. that names another person: issues appended to ``issues``; None when refused.

        ``plan_row`` None is a row refused for another error whose ID number (``id_hash``) is valid: it
        is only checked and remembered as a duplicate, so that the same person on two rows is reported
        whatever else is wrong with either row."""
        sheet_name, row_no = self.current
        columns = self.labels[sheet_name]
        if plan_row is None:
            first = self.seen.get(id_hash)
            if first is not None:
                issues.append(self._duplicate_issue(sheet_name, row_no, columns, id_shown, first))
            else:
                self.seen[id_hash] = self.current
            return None
        resident_row = existing["by_id"].get(resident_row_id) if resident_row_id is not None else None
        # Take the shared tuples again (a worker's come back as copies).
        plan_row.flags = self._intern(plan_row.flags)
        plan_row.extra = self._intern(plan_row.extra)
        if id_hash:
            first = self.seen.get(id_hash)
            if first is not None:
                issues.append(self._duplicate_issue(sheet_name, row_no, columns, id_shown, first))
                return None
            self.seen[id_hash] = self.current
            plan_row.existing = existing["by_hash"].get(id_hash)
            if (
                resident_row is not None
                and plan_row.existing is not None
                and resident_row["id"] != plan_row.existing["id"]
            ):
                issues.append(
                    Issue(
                        sheet_name,
                        row_no,
                        columns.get("resident_no", ""),
                        resident_no,
                        _("the resident no. belongs to another person than the ID number"),
                    )
                )
                return None
        elif resident_row is not None and resident_row["document_type"] == NO_DOCUMENT:
            plan_row.existing = resident_row
        return plan_row

    @staticmethod
    def _duplicate_issue(sheet_name: str, row_no: int, columns: dict, id_shown: str, first: tuple) -> Issue:
        """The error of a row naming the person of an earlier row ``first`` (``(sheet, row)``)."""
        return Issue(
            sheet_name,
            row_no,
            columns.get("id_number", ""),
            id_shown,
            _("the same person is already on sheet %(sheet)s row %(row)d; resolve the duplicate")
            % {"sheet": first[0], "row": first[1]},
        )

    def _refused_identity(self, values: dict, text: dict, doc_type: str | None = None) -> tuple | None:
        """``(None, shown ID value, None, "", ID hash)`` for a row refused for another error whose
        document number is valid (see :meth:`_link_resident`); None when it has no usable number (none,
        masked, invalid, an unknown document type or a person without a document). ``doc_type`` is the
        row's document type when already read (else read here without reporting it again)."""
        raw_id = values.get("id_number", "")
        shown = cell_text(raw_id)
        if not shown or _is_masked(shown):
            return None
        if doc_type is None:
            type_text = text.get("document_type", "")
            doc_type = _value_indexes()["document_type"].get(type_text.lower()) if type_text else RESIDENT_ID
        if doc_type == RESIDENT_ID:
            from lianfang.core import idnumber  # noqa: PLC0415

            try:
                number = idnumber.parse(raw_id, today=self.today).number
            except idnumber.IdNumberError:
                return None
        elif doc_type is None or doc_type == NO_DOCUMENT:
            return None
        else:
            number = "".join(shown.split()).upper()
        return None, shown, None, "", document_hash(number, doc_type)

    def _read_parallel(self, sheet: Sheet, columns: tuple, first: int, existing: dict, workers: int):
        """:meth:`_read_row` of every data row of ``sheet`` in ``workers`` forked processes; yields the results
        in file order. The children inherit this validator (places, labels, the database rows loaded) and
        never touch the database; at most ``2 × workers`` chunks of rows are in flight (memory). The
        children write their reasons in the language active here."""
        global _FORKED  # noqa: PLW0603 (read by the forked children)
        import collections  # noqa: PLC0415
        import multiprocessing  # noqa: PLC0415

        _FORKED = (self, sheet.name, columns, existing, translation.get_language())
        rows = sheet.data_rows(first)
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_default_signals)
        try:
            pending = collections.deque()
            while True:
                while len(pending) < 2 * workers:
                    chunk = list(itertools.islice(rows, PARALLEL_CHUNK))
                    if not chunk:
                        break
                    pending.append(pool.apply_async(_read_chunk, (_packed(chunk),)))
                if not pending:
                    break
                yield from map(self._shared, pending.popleft().get())
            pool.close()  # the workers leave on their own once the queue is empty
            pool.join()
        finally:
            _FORKED = None
            pool.terminate()  # on an error or an abandoned generator (SIGTERM: see _default_signals)

    def _shared(self, flat: tuple | None) -> tuple | None:
        """A worker's flattened result (:func:`_flat_read`) as :meth:`_read_row` gives it, its extra-field and
        flag tuples shared with the rows before (:meth:`_intern`: memory at 0.5 M rows)."""
        read = _unflat_read(flat)
        if read is not None and read[6] is not None and read[6][0] is not None:
            plan = read[6][0]
            plan.extra, plan.flags = self._intern(plan.extra), self._intern(plan.flags)
        return read

    def _parse_flags(self, flag_texts: tuple[str, ...]) -> tuple[tuple[tuple[str, bool], ...], tuple[str, ...]]:
        """``(((flag, bool), ...), (bad flag column, ...))`` for the texts of the sheet's flag columns."""
        flags, bad = [], []
        for name, flag_text in zip(self.flag_columns, flag_texts, strict=True):
            flag_text = flag_text.lower()
            if flag_text in TRUE_VALUES:
                flags.append((name, True))
            elif flag_text in FALSE_VALUES:
                flags.append((name, False))
            else:
                bad.append(name)
        return self._intern(tuple(flags)), tuple(bad)

    def _choice(self, key, text, issue, default=""):
        if not text:
            return default
        value = _value_indexes()[key].get(text.lower())
        if value is None:
            issue(key, _("not one of the accepted values"))
            return default
        return value

    def _resident(self, values, text, issue, existing) -> tuple | None:
        """The resident half of :meth:`_read_row`: ``(ResidentPlan, shown ID value, resident_no's row id or
        None, resident_no text, ID hash)``; ``(None, shown ID value, None, "", ID hash)`` when the row has
        an error but a valid ID number (:meth:`_refused_identity`); None otherwise."""
        resident_row = None
        if text.get("resident_no"):
            try:
                resident_row = existing["by_id"].get(int(text["resident_no"]))
            except ValueError:
                resident_row = None
            if resident_row is None:
                issue(
                    "resident_no",
                    _("no resident with this number in the target; column ignored for this row"),
                    "warning",
                )
        doc_type = self._choice("document_type", text.get("document_type", ""), issue, RESIDENT_ID)
        raw_id = values.get("id_number", "")
        id_text = "" if isinstance(raw_id, int | float) else cell_text(raw_id)
        sex = self._choice("sex", text.get("sex", ""), issue)
        try:
            birth = parse_date(values.get("birth_date"))
        except (ValueError, TypeError):
            issue("birth_date", _("not a date (use YYYY-MM-DD)"))
            birth = None
        phone, phone_masked = "", ""
        phone_text = text.get("phone", "")
        if phone_text:
            if _is_masked(phone_text):
                phone_masked = phone_text
            else:
                try:
                    phone = normalize_phone(phone_text)
                except pii.PhoneError as exc:
                    issue("phone", exc)
                else:
                    raw_phone = values["phone"]
                    if raw_phone is not phone_text and folded_from_full_width(raw_phone, phone_text):
                        issue("phone", full_width_warning(), "warning", as_typed=True)
        masked_id = bool(id_text) and _is_masked(id_text)
        try:
            if masked_id:
                if resident_row is None or resident_row["id_masked"] != id_text:
                    issue(
                        "id_number",
                        _("a masked ID number only matches the exported resident (keep the resident no. column)"),
                    )
                    return None
                data = validate_resident(
                    name=text.get("name", ""),
                    document_type=NO_DOCUMENT,
                    sex=sex or resident_row["sex"],
                    birth_date=birth or resident_row["birth_date"],
                    today=self.today,
                )
                data = replace(data, document_type=resident_row["document_type"])
            else:
                data = validate_resident(
                    name=text.get("name", ""),
                    document_type=doc_type,
                    document_number=raw_id if doc_type == RESIDENT_ID else id_text,
                    sex=sex,
                    birth_date=birth,
                    today=self.today,
                )
        except ValidationError as exc:
            errors = exc.message_dict
            for key, messages in errors.items():
                column = "id_number" if key == "document_number" else key
                if "document_number" in errors and key in ("sex", "birth_date") and not text.get(key):
                    continue  # only a consequence of the bad ID number
                for message in messages:
                    issue(column, _strip_value(message), value=raw_id if column == "id_number" else None)
            if "document_number" in errors or "document_type" in errors or masked_id:
                return None
            return self._refused_identity(values, text, doc_type)
        for warning in data.warnings:
            issue("id_number", warning, "warning", value=raw_id)
        if raw_id is not text.get("id_number") and folded_from_full_width(raw_id, text.get("id_number", "")):
            issue("id_number", full_width_warning(), "warning", as_typed=True)
        data = Person(data.name, data.document_type, data.document_number, data.sex, data.birth_date, phone)
        extra = {}
        if "relation" in values:
            extra["relation"] = self._choice("relation", text.get("relation", ""), issue, OTHER_RELATION)
        if "residence_status" in values:
            extra["residence_status"] = self._choice(
                "residence_status", text.get("residence_status", ""), issue, REGISTERED
            )
        if text.get("registration_address"):
            extra["registration_address"] = text["registration_address"]
        flag_texts = tuple([text[name] for name in self.flag_columns])
        flags = self._flags.get(flag_texts)
        if flags is None:
            flags = self._flags[flag_texts] = self._parse_flags(flag_texts)
        for name in flags[1]:
            issue(name, _("use 是 (yes) or leave blank (no)"))
        guardian = None
        guardian_text = text.get("guardian_id", "")
        if data.document_type == NO_DOCUMENT and not masked_id:
            if not guardian_text:
                issue("guardian_id", _("a person without a document needs a guardian's ID number"))
                return None
            if _is_masked(guardian_text):
                guardian = ("masked", guardian_text)
            else:
                from lianfang.core import idnumber  # noqa: PLC0415

                try:
                    guardian = ("hash", document_hash(idnumber.parse(guardian_text).number, RESIDENT_ID))
                except idnumber.IdNumberError as exc:
                    issue("guardian_id", exc)
                    return None
                raw_guardian = values["guardian_id"]
                if raw_guardian is not guardian_text and folded_from_full_width(raw_guardian, guardian_text):
                    issue("guardian_id", full_width_warning(), "warning", as_typed=True)
        id_hash = document_hash(data.document_number, data.document_type) if data.document_number else ""
        if masked_id:
            id_hash = resident_row["id_hash"]
        plan_row = ResidentPlan(None, None, data, id_hash, self._intern(tuple(extra.items())), flags[0], guardian)
        plan_row.phone_masked = phone_masked
        # Conflicts (the same person twice in the file, or elsewhere) are checked in file order: _link_resident.
        return (
            plan_row,
            cell_text(raw_id),
            resident_row["id"] if resident_row is not None else None,
            text.get("resident_no", ""),
            id_hash,
        )

    def _check_elsewhere(self) -> None:
        """Residents new to the target whose ID already lives outside it: a conflict (chunked IN queries)."""
        fresh = {r.id_hash: r for r in self.plan.residents if r.existing is None and r.id_hash}
        hashes = sorted(fresh)
        conflicts = set()
        # Plain SQL: the ORM spends ~20 ms compiling each 5,000-value IN list.
        sql = 'SELECT "id_hash" FROM "{table}" WHERE "id_hash" IN ({params})'
        with connection.cursor() as cursor:
            for start in range(0, len(hashes), 5_000):
                chunk = hashes[start : start + 5_000]
                cursor.execute(sql.format(table=Resident._meta.db_table, params=", ".join(["%s"] * len(chunk))), chunk)
                conflicts.update(row[0] for row in cursor.fetchall())
        if not conflicts:
            return
        for id_hash in sorted(conflicts):
            sheet, row = fresh[id_hash].ref
            self.plan.issues.append(
                Issue(
                    sheet,
                    row,
                    self.label(sheet, "id_number"),
                    pii.mask_id(fresh[id_hash].data.document_number),
                    # No address: the other household may lie outside the importer's scope.
                    _("this person is already registered in another household outside this import; move them first"),
                )
            )
        self.plan.residents = [r for r in self.plan.residents if r.id_hash not in conflicts]

    def _resolve_guardians(self, existing) -> None:
        """Turn guardian references into resident plans/rows; check households; derive conflicts."""
        by_hash = {r.id_hash: r for r in self.plan.residents if r.id_hash}
        kept = []
        for resident in self.plan.residents:
            sheet, row = resident.ref or ("", 0)
            if resident.guardian is not None:
                kind, value = resident.guardian
                if kind == "hash":
                    target = by_hash.get(value) or existing["by_hash"].get(value)
                    if target is None:
                        self.plan.issues.append(
                            Issue(sheet, row, self.label(sheet, "guardian_id"), "", _("guardian not found"))
                        )
                        continue
                    resident.guardian = target
                else:
                    current = resident.existing
                    guardian_row = existing["by_id"].get(current["guardian_id"]) if current else None
                    if guardian_row is None or guardian_row["id_masked"] != value:
                        self.plan.issues.append(
                            Issue(
                                sheet,
                                row,
                                self.label(sheet, "guardian_id"),
                                value,
                                _("a masked guardian ID number only matches the exported guardian"),
                            )
                        )
                        continue
                    resident.guardian = guardian_row
            kept.append(resident)
        self.plan.residents = kept
        # A person without a document is matched by household, name and birth date.
        undocumented = {
            (row["household_id"], row["name"], row["birth_date"]): row
            for row in existing["by_id"].values()
            if row["document_type"] == NO_DOCUMENT
        }
        for resident in kept:
            if resident.existing is None and not resident.id_hash and resident.household.existing is not None:
                key = (resident.household.existing["id"], resident.data.name, resident.data.birth_date)
                resident.existing = undocumented.get(key)
        for resident in kept:
            current = resident.existing
            if current is None:
                continue
            household = resident.household
            if household.existing is None or household.existing["id"] != current["household_id"]:
                sheet, row = resident.ref
                address = next(
                    (h["address"] for h in existing["households"].values() if h["id"] == current["household_id"]), ""
                )
                self.plan.issues.append(
                    Issue(
                        sheet,
                        row,
                        self.label(sheet, "id_number"),
                        "",
                        _("this person already lives in another household (%(address)s); move them first")
                        % {"address": address},
                    )
                )
                continue
            resident.changes = self._resident_changes(resident, current)

    def _resident_changes(self, resident: ResidentPlan, current: dict) -> dict | None:
        data = resident.data
        wanted = {
            "name": data.name,
            "document_type": data.document_type,
            "sex": data.sex,
            "birth_date": data.birth_date,
            **dict(resident.extra),
            **dict(resident.flags),
        }
        changes = {k: v for k, v in wanted.items() if current[k] != v}
        if "name" in changes:
            changes["name_initials"] = name_initials(data.name)
        if data.phone and pii.lookup_hash("phone", data.phone) != current["phone_hash"]:
            changes["phone"] = data.phone
        if resident.phone_masked and resident.phone_masked != current["phone_masked"]:
            sheet, row = resident.ref
            self.plan.issues.append(
                Issue(
                    sheet,
                    row,
                    str(COLUMNS_BY_KEY["phone"].label),
                    resident.phone_masked,
                    _("a masked phone number only matches the stored one"),
                )
            )
        guardian = resident.guardian
        if isinstance(guardian, dict) and guardian["id"] != current["guardian_id"]:
            changes["guardian_id"] = guardian["id"]
        if changes and current["is_deceased"]:
            sheet, row = resident.ref
            self.plan.issues.append(
                Issue(
                    sheet,
                    row,
                    "",
                    data.name,
                    _("recorded as deceased: the import leaves this person unchanged"),
                    "warning",
                )
            )
            return None
        return changes or None

    def _household_contacts(self) -> None:
        """Contact and phone of new households default to the head's row; changes of existing ones."""
        heads = {}
        for resident in self.plan.residents:
            if dict(resident.extra).get("relation") == HEAD:
                heads.setdefault(resident.household.key, resident)
        for household in self.plan.households.values():
            head = heads.get(household.key)
            if household.existing is None:
                if not household.contact_name and head is not None:
                    household.contact_name = head.data.name
                if not household.phone and head is not None:
                    household.phone = head.data.phone
                continue
            current = household.existing
            changes = {}
            if household.contact_name and household.contact_name != current["contact_name"]:
                changes["contact_name"] = household.contact_name
            if household.phone and pii.lookup_hash("phone", household.phone) != current["phone_hash"]:
                changes["phone"] = household.phone
            if household.phone_masked and household.phone_masked != current["phone_masked"]:
                sheet, row = household.ref
                self.plan.issues.append(
                    Issue(
                        sheet,
                        row,
                        self.label(sheet, "household_phone"),
                        household.phone_masked,
                        _("a masked phone number only matches the stored one"),
                    )
                )
            household.changes = changes or None


def shown_value(value: object) -> str:
    """The cell text of ``value`` for an issue: at most SHOWN_VALUE_CHARS characters, then ``…``."""
    text = cell_text(value)
    if len(text) > SHOWN_VALUE_CHARS:
        return text[:SHOWN_VALUE_CHARS] + "…"
    return text


def typed_value(value: object) -> str:
    """``value`` as the file holds it (not folded by NFKC, unlike :func:`shown_value`), stripped and cut
    at SHOWN_VALUE_CHARS characters: the value of a warning about what the folding changed."""
    text = str(value).strip()
    return text[:SHOWN_VALUE_CHARS] + "…" if len(text) > SHOWN_VALUE_CHARS else text


def _strip_value(message: str) -> str:
    """validate_resident appends ``: “value”`` (core.pii.quoted) to some messages; the report has its
    own value column."""
    return re.sub(r": (?:“[^”]*”|'[^']*'|[\d.e+-]+)$", "", str(message))


def plan_import(
    *,
    target: Division,
    data: bytes,
    file_name: str,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Read and validate a whole file for ``target`` (a community, or a street/district) without writing.

    Returns a Plan whose ``issues`` list every error and warning. Raises ImportFileError when the
    file cannot be read at all.
    """
    file_format = detect_format(file_name)
    if progress:
        progress("read", 0, 0)
    sheets, encoding = read_sheets(data, file_format, Path(file_name).name)
    validator = Validator(target, file_format, today=today or timezone.localdate(), progress=progress)
    plan = validator.run(sheets)
    plan.encoding = encoding
    return plan


# ---------------------------------------------------------------------------------------------------
# Commit
# ---------------------------------------------------------------------------------------------------


def _seal(kind: str, value: str, value_hash: str = "") -> tuple[bytes, str, str, str]:
    """``(ciphertext, hash, masked, last4)`` as core.pii.seal gives, reusing an already computed hash."""
    if not value:
        return b"", "", "", ""
    masked = pii.mask_id(value) if kind == "id" else pii.mask_phone(value)
    return pii.encrypt(value), value_hash or pii.lookup_hash(kind, value), masked, value[-4:]


def _ranges(ids: list[int]) -> list[list[int]]:
    """``[1, 2, 3, 7, 8]`` → ``[[1, 3], [7, 8]]``."""
    out: list[list[int]] = []
    for value in sorted(ids):
        if out and out[-1][1] == value - 1:
            out[-1][1] = value
        else:
            out.append([value, value])
    return out


def _json_value(value):
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _update_rows(model, updates: list[tuple[int, dict]]) -> None:
    """UPDATE changed columns, grouped by the set of columns so each group is one executemany."""
    groups: dict[tuple, list] = {}
    for pk, values in updates:
        columns = tuple(sorted(values))
        groups.setdefault(columns, []).append([values[c] for c in columns] + [pk])
    table = model._meta.db_table
    with connection.cursor() as cursor:
        for columns, params in groups.items():
            assignments = ", ".join(f'"{model._meta.get_field(c).column}" = %s' for c in columns)
            cursor.executemany(f'UPDATE "{table}" SET {assignments} WHERE "id" = %s', params)  # noqa: S608


def _sealed_phone_columns(phone: str) -> dict:
    enc, hashed, masked, last4 = _seal("phone", phone)
    return {"phone_enc": enc, "phone_hash": hashed, "phone_masked": masked, "phone_last4": last4}


def new_rows(plan: Plan, progress: ProgressCallback | None = None) -> tuple[Iterator[tuple], Iterator[tuple]]:
    """Reserve ids for the plan's new households and residents and return their database-ready rows.

    Returns two iterators of tuples in HOUSEHOLD_FIELDS / RESIDENT_FIELDS order (sealed personal
    data, pinyin initials, timestamps). Call inside the transaction that inserts them (core.bulk).
    """
    ops = connection.ops
    now_db = ops.adapt_datetimefield_value(timezone.now())
    date_db = ops.adapt_datefield_value
    new_households = [h for h in plan.households.values() if h.existing is None]
    for household, new_id in zip(new_households, bulk.reserve_ids(Household, len(new_households)), strict=True):
        household.new_id = new_id
    new_residents = [r for r in plan.residents if r.existing is None]
    for resident, new_id in zip(new_residents, bulk.reserve_ids(Resident, len(new_residents)), strict=True):
        resident.new_id = new_id

    def household_rows() -> Iterator[tuple]:
        for h in new_households:
            placement = h.placement
            node = placement.node
            phone = _seal("phone", h.phone)
            yield (
                h.new_id,
                node.district_id,
                placement.community.id,
                placement.compound.id if placement.compound else None,
                placement.building.id if placement.building else None,
                placement.unit.id if placement.unit else None,
                node.code,
                h.key[1],
                household_address(placement, h.key[1])[:200],
                h.contact_name[:60],
                *phone,
                now_db,
                now_db,
            )

    def household_id(resident: ResidentPlan) -> int:
        h = resident.household
        return h.new_id if h.existing is None else h.existing["id"]

    def guardian_id(resident: ResidentPlan):
        g = resident.guardian
        if g is None:
            return None
        return g["id"] if isinstance(g, dict) else (g.new_id if g.existing is None else g.existing["id"])

    no_flags = dict.fromkeys(FLAG_FIELDS, False)
    flag_columns: dict[tuple, tuple] = {}  # r.flags → the 8 flag values (r.flags is one of a few shared tuples)
    extra_columns: dict[tuple, tuple] = {}  # r.extra → (relation, residence_status, registration_address)
    no_id = (b"", "", "", "")

    def resident_rows() -> Iterator[tuple]:
        for n, r in enumerate(new_residents, start=1):
            d: Person = r.data
            flags = flag_columns.get(r.flags)
            if flags is None:
                given = {**no_flags, **dict(r.flags)}
                flags = flag_columns[r.flags] = tuple(given[f] for f in FLAG_FIELDS)
            extra = extra_columns.get(r.extra)
            if extra is None:
                given = dict(r.extra)
                extra = (
                    given.get("relation", OTHER_RELATION),
                    given.get("residence_status", REGISTERED),
                    given.get("registration_address", ""),
                )
                if len(extra_columns) < 50_000:
                    extra_columns[r.extra] = extra
            id_cols = _seal("id", d.document_number, r.id_hash) if d.document_number else no_id
            yield (
                r.new_id,
                household_id(r),
                r.household.key[0],
                d.name,
                name_initials(d.name),
                d.document_type,
                guardian_id(r),
                d.sex,
                date_db(d.birth_date),
                *extra,
                *flags,
                False,
                *id_cols,
                *_seal("phone", d.phone),
                now_db,
                now_db,
            )
            if progress and n % PROGRESS_EVERY == 0:
                progress("write", n, len(new_residents))

    return household_rows(), resident_rows()


def tune_bulk_session() -> None:
    """On SQLite, give this connection a 256 MiB page cache for a bulk write (index maintenance of the
    big tables otherwise thrashes the default 2 MiB cache). No-op on PostgreSQL."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")


def commit_plan(*, plan: Plan, batch: ImportBatch, progress: ProgressCallback | None = None) -> dict[str, int]:
    """Write a validated plan (no errors) in the caller's transaction; returns the counts written.

    New households and residents are inserted through core.bulk (COPY / executemany) with reserved
    ids recorded on ``batch.created_ids``; changed rows are updated and their previous values saved
    as ImportChange rows. Raises ValueError when the plan still has errors.
    """
    if plan.errors:
        raise ValueError("a plan with errors cannot be committed")
    now = timezone.now()
    if progress:
        progress("write", 0, len(plan.residents))
    tune_bulk_session()
    forked = parallel_workers(len(plan.residents)) > 0  # a big plan and a second core
    rows = new_rows(plan, None if forked else progress)
    # with a second core the rows are built and sealed in a child while this process inserts
    building = _forked_rows(rows, progress, len(plan.residents)) if forked else contextlib.nullcontext(rows)
    with building as (households, residents):
        bulk.insert_rows(Household, HOUSEHOLD_FIELDS, households)
        bulk.insert_rows(Resident, RESIDENT_FIELDS, residents)
    # Updates, with the previous values kept for rollback.
    changes: list[ImportChange] = []
    household_updates, resident_updates = [], []
    for h in plan.households.values():
        if h.existing is None or not h.changes:
            continue
        values = dict(h.changes)
        if "phone" in values:
            values.update(_sealed_phone_columns(values.pop("phone")))
        values["updated_at"] = now
        household_updates.append((h.existing["id"], values))
    for r in plan.residents:
        if r.existing is None or not r.changes:
            continue
        values = dict(r.changes)
        if "phone" in values:
            values.update(_sealed_phone_columns(values.pop("phone")))
        values["updated_at"] = now
        resident_updates.append((r.existing["id"], values))
    for model, table, updates in (
        (Household, "household", household_updates),
        (Resident, "resident", resident_updates),
    ):
        if not updates:
            continue
        columns = sorted({c for _pk, values in updates for c in values})
        before = {
            row["id"]: row
            for start in range(0, len(updates), 5_000)
            for row in model.objects.filter(pk__in=[pk for pk, _v in updates[start : start + 5_000]]).values(
                "id", *columns
            )
        }
        for pk, values in updates:
            changes.append(
                ImportChange(
                    batch=batch,
                    table=table,
                    object_id=pk,
                    before={c: _json_value(before[pk][c]) for c in values},
                )
            )
        db_updates = [(pk, {c: _db_value(model, c, v) for c, v in values.items()}) for pk, values in updates]
        _update_rows(model, db_updates)
    ImportChange.objects.bulk_create(changes, batch_size=1_000)
    batch.created_ids = {
        "household": _ranges([h.new_id for h in plan.households.values() if h.existing is None]),
        "resident": _ranges([r.new_id for r in plan.residents if r.existing is None]),
    }
    if progress:
        progress("write", len(plan.residents), len(plan.residents))
    return plan.counts()


def _db_value(model, column: str, value):
    """Adapt a python value for a raw UPDATE of ``model.column`` on the current database."""
    return model._meta.get_field(column).get_db_prep_value(value, connection, prepared=False)


# ---------------------------------------------------------------------------------------------------
# Services (every write; atomic, audited)
# ---------------------------------------------------------------------------------------------------


def _check_target(actor, target: Division) -> None:
    if target.level > Level.COMMUNITY:
        raise ValidationError(_("import into a community/village, street/town or district, not %s") % target)
    if target.level < Level.DISTRICT:
        raise ValidationError(_("import into a community/village, street/town or district, not %s") % target)
    if actor is not None and not can(actor, Capability.EDIT_REGISTRY, target.code):
        raise PermissionDenied(_("you may not edit the registry of %s") % target.short_name)


def import_batch_create(
    *,
    actor,
    target: Division,
    file_name: str,
    data: bytes,
    dry_run: bool = False,
    keep_file: bool = True,
    kind: str = "registry",
) -> ImportBatch:
    """Record a new import of ``data`` (the file's bytes) into ``target``, status ``queued``; audited.

    ``keep_file`` stores the bytes (default storage, ``imports/``) for a background task to read.
    The active language (the uploader's) is recorded on the batch (``language``): :func:`import_batch_run`
    writes the problems and the report in it, whichever language the background worker runs in.
    Raises PermissionDenied without EDIT_REGISTRY on ``target``, ValidationError for a target below
    community or above district level, ImportFileError for an unsupported file type.
    """
    from django.core.files.base import ContentFile  # noqa: PLC0415

    _check_target(actor, target)
    file_format = detect_format(file_name)
    with transaction.atomic():
        batch = ImportBatch(
            division=target,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            file_name=Path(file_name).name[:200],
            file_sha256=hashlib.sha256(data).hexdigest(),
            file_format=file_format,
            dry_run=dry_run,
            kind=kind,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        if keep_file:
            batch.file.save(f"{batch.file_sha256[:16]}.{file_format}", ContentFile(data), save=False)
        batch.save()
        audit.record(
            actor=actor,
            action="import_queued",
            obj=batch,
            detail={
                "file": batch.file_name,
                "sha256": batch.file_sha256,
                "dry_run": dry_run,
                "language": batch.language,
            },
        )
    return batch


def queued_language(batch: ImportBatch) -> str:
    """The language ``batch`` was queued in (``batch.language``, recorded by :func:`import_batch_create`):
    one of ``settings.LANGUAGES``; the active language for a batch queued before it was recorded."""
    language = batch.language
    return language if language in dict(settings.LANGUAGES) else translation.get_language()


def _set_progress(batch: ImportBatch, phase: str, done: int, total: int) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(phase=phase, progress_done=done, progress_total=total)


@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while the block runs (re-enabled on exit if it was on).

    An import builds a few million small, acyclic objects (row tuples, plans); every full collection
    would walk all of them again, which made a 0.5 M-row import markedly slower per row than a 50 k-row
    one. Reference counting still frees them; the few cycles made meanwhile wait for the next collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_batch_run(
    *,
    actor,
    batch: ImportBatch,
    data: bytes | None = None,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
    language: str | None = None,
) -> ImportBatch:
    """Validate the batch's file and, when it has no error and is not a dry run, commit it.

    Status goes ``queued → running`` (conditional update; raises ValueError when the batch is not
    queued), then to ``invalid`` (errors; report written), ``validated`` (dry run), ``unchanged``
    (nothing to change: "already up to date") or ``committed``; ``failed`` with the message when the
    database refuses the write or on any other exception (logged; the message names its type). All
    writes of a commit are in one transaction with the audit entry. Returns the refreshed batch. The
    garbage collector is paused meanwhile (:func:`gc_paused`).

    The problems (``issues``, the report) are written in ``language``, by default the one the batch
    was queued in (:func:`queued_language`), also by forked validation workers; the result sentence is
    rendered in the viewer's language (``ImportBatch.summary``).
    """
    with gc_paused(), translation.override(language or queued_language(batch)):
        try:
            return _import_batch_run(actor=actor, batch=batch, data=data, today=today, progress=progress)
        except Exception as exc:
            message = _("the import stopped on an unexpected error (%(error)s); nothing was written") % {
                "error": type(exc).__name__
            }
            failed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                phase="done",
                message=message,
                issues=[Issue("", 0, "", "", message).as_dict()],
            )
            if not failed:  # not ours to mark (not queued, or finished meanwhile)
                raise
            logger.exception("import %s failed", batch.pk)
            batch.refresh_from_db()
            return batch


def _import_batch_run(*, actor, batch, data, today, progress) -> ImportBatch:
    if not ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, phase="read"
    ):
        raise ValueError(f"import {batch.pk} is not queued")
    if data is None:
        with batch.file.open("rb") as fh:
            data = fh.read()

    def report_progress(phase: str, done: int, total: int) -> None:
        if phase != "write":  # rows written inside the transaction are not visible to others anyway
            _set_progress(batch, phase, done, total)
        if progress:
            progress(phase, done, total)

    try:
        if batch.kind == ImportKind.WORKERS:
            plan = plan_workers(target=batch.division, data=data, file_name=batch.file_name, today=today)
        else:
            plan = plan_import(
                target=batch.division, data=data, file_name=batch.file_name, today=today, progress=report_progress
            )
    except ImportFileError as exc:
        return _finish(batch, ImportStatus.INVALID, message=str(exc), issues=[Issue("", 0, "", "", str(exc))])
    counts = plan.counts() if batch.kind != ImportKind.WORKERS else _worker_counts(plan)
    batch.encoding = plan.encoding
    issues = plan.errors[:MAX_STORED_ISSUES] + plan.warnings[: max(0, MAX_STORED_ISSUES - len(plan.errors))]
    if plan.issues:
        from lianfang.registry.exporters import write_issue_report  # noqa: PLC0415

        write_issue_report(batch=batch, data=data, plan=plan)
    if plan.errors:
        message = import_summary(ImportStatus.INVALID, batch.kind, counts)
        return _finish(batch, ImportStatus.INVALID, counts=counts, issues=issues, message=message)
    if batch.kind == ImportKind.WORKERS:
        return _run_workers(batch, plan, actor, counts, issues)
    if not plan.changes_anything:
        previous = (
            ImportBatch.objects.filter(
                division=batch.division, file_sha256=batch.file_sha256, status=ImportStatus.COMMITTED
            )
            .exclude(pk=batch.pk)
            .order_by("-created_at")
            .first()
        )
        if previous is not None:
            counts["same_file_as"] = previous.pk
        message = import_summary(ImportStatus.UNCHANGED, batch.kind, counts)
        return _finish(batch, ImportStatus.UNCHANGED, counts=counts, issues=issues, message=message)
    if batch.dry_run:
        message = import_summary(ImportStatus.VALIDATED, batch.kind, counts)
        return _finish(batch, ImportStatus.VALIDATED, counts=counts, issues=issues, message=message)
    try:
        with transaction.atomic():
            counts = commit_plan(plan=plan, batch=batch, progress=progress)
            message = import_summary(ImportStatus.COMMITTED, batch.kind, counts)
            batch = _committed(batch, actor, counts, issues, message)
    except IntegrityError as exc:
        return _finish(batch, ImportStatus.FAILED, counts=counts, issues=issues, message=str(exc)[:500])
    return batch


def _worker_counts(plan: Plan) -> dict[str, int]:
    return {
        "rows": plan.rows,
        "blank_rows": plan.skipped,
        "workers_created": sum(1 for r in plan.residents if r.existing_id is None),
        "workers_unchanged": sum(1 for r in plan.residents if r.existing_id is not None),
        "assignments_created": sum(1 for r in plan.residents if r.level),
        "errors": len(plan.errors),
        "warnings": len(plan.warnings),
    }


class _WorkersRefused(Exception):
    """Raised inside the transaction to undo a workers import that the workforce services refused."""


def _run_workers(batch: ImportBatch, plan: Plan, actor, counts: dict, issues: list) -> ImportBatch:
    """The commit half of import_batch_run for a workers roster (see commit_workers)."""
    new = sum(1 for r in plan.residents if r.existing_id is None or r.level)
    if not new:
        message = import_summary(ImportStatus.UNCHANGED, batch.kind, counts)
        return _finish(batch, ImportStatus.UNCHANGED, counts=counts, issues=issues, message=message)
    if batch.dry_run:
        message = import_summary(ImportStatus.VALIDATED, batch.kind, counts)
        return _finish(batch, ImportStatus.VALIDATED, counts=counts, issues=issues, message=message)
    try:
        with transaction.atomic():
            counts = commit_workers(plan=plan, batch=batch, actor=actor)
            if plan.errors:
                raise _WorkersRefused
            message = import_summary(ImportStatus.COMMITTED, batch.kind, counts)
            batch = _committed(batch, actor, counts, issues, message)
    except _WorkersRefused:
        counts["errors"] = len(plan.errors)
        message = import_summary(ImportStatus.INVALID, batch.kind, counts)
        return _finish(
            batch, ImportStatus.INVALID, counts=counts, issues=plan.errors[:MAX_STORED_ISSUES], message=message
        )
    return batch


def _committed(batch: ImportBatch, actor, counts: dict, issues: list, message: str) -> ImportBatch:
    """Mark the batch committed and audit it (inside the commit's transaction)."""
    batch = _finish(
        batch, ImportStatus.COMMITTED, counts=counts, issues=issues, message=message, created_ids=batch.created_ids
    )
    audit.record(actor=actor, action="import", obj=batch, detail={"sha256": batch.file_sha256, **counts})
    return batch


def _finish(batch: ImportBatch, status: str, **fields) -> ImportBatch:
    values = {
        "status": status,
        "finished_at": timezone.now(),
        "phase": "done",
        "encoding": batch.encoding,
        "report": batch.report.name or "",
    }
    for key in ("counts", "message", "created_ids"):
        if key in fields:
            values[key] = fields[key]
    if "issues" in fields:
        values["issues"] = [i.as_dict() for i in fields["issues"]]
    if "counts" in fields:
        values["progress_done"] = values["progress_total"] = fields["counts"].get("rows", 0)
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).update(**values)
    if updated != 1:
        raise ValueError(f"import {batch.pk} is no longer running")
    batch.refresh_from_db()
    return batch


def registry_import(
    *,
    actor,
    target: Division,
    path: Path,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
    kind: str = "registry",
) -> ImportBatch:
    """Import the file at ``path`` into ``target`` now (the command-line path): create and run a batch.

    Raises what :func:`import_batch_create` raises; returns the finished batch (see
    :func:`import_batch_run` for its statuses).
    """
    data = Path(path).read_bytes()
    batch = import_batch_create(
        actor=actor, target=target, file_name=Path(path).name, data=data, dry_run=dry_run, keep_file=False, kind=kind
    )
    return import_batch_run(actor=actor, batch=batch, data=data, today=today, progress=progress)


def _goes_with_household(relation) -> bool:
    """Whether the rows of ``relation`` (one of Household's reverse relations) are only an attribute of
    their household that a rollback deletes with it — a model that sets ``GOES_WITH_HOUSEHOLD = True``,
    such as assistance.HouseholdToken (the printed QR link) — rather than a record that blocks it."""
    return not relation.many_to_many and getattr(relation.related_model, "GOES_WITH_HOUSEHOLD", False)


def _delete_created(created: dict[str, list[list[int]]]) -> None:
    """Delete the rows of ``created`` (id ranges per table) in dependency order, by raw ranges; the
    rows that go with the households (:func:`_goes_with_household`) just before the households."""
    from lianfang.workforce.models import ResponsibilityAssignment, Worker, WorkerCategory  # noqa: PLC0415

    # (model, key of ``created``, column holding those ids, extra condition)
    with_households = [
        (relation.related_model, "household", relation.field.column, "")
        for relation in Household._meta.related_objects
        if _goes_with_household(relation)
    ]
    steps = [
        (Resident, "resident", "id", " AND guardian_id IS NOT NULL"),  # wards first: a PROTECT self-reference
        (Resident, "resident", "id", ""),
        *with_households,
        (Household, "household", "id", ""),
        (ResponsibilityAssignment, "assignment", "id", ""),
        (WorkerCategory, "worker", "worker_id", ""),  # the created workers' categories (CASCADE is Django's, not SQL's)
        (Worker, "worker", "id", ""),
    ]
    with connection.cursor() as cursor:
        for model, key, column, extra in steps:
            for first, last in created.get(key, []):
                cursor.execute(
                    f'DELETE FROM "{model._meta.db_table}" WHERE "{column}" BETWEEN %s AND %s{extra}',  # noqa: S608
                    [first, last],
                )


# The tables of ``ImportBatch.created_ids`` by the audit detail keys that name them (core.audit_labels
# DETAIL_LABELS: "住户", "居民", "人员", "包保关系（新建）"), in this order.
ROLLBACK_REMOVED_KEYS = {
    "household": "households",
    "resident": "residents",
    "worker": "workers",
    "assignment": "assignments_created",
}


def rollback_detail(created: dict[str, list[list[int]]], restored: int) -> dict:
    """The audit detail of a rollback: ``{"removed": {"residents": 5, "households": 2}, "restored": 3}``,
    the rows deleted per table of ``created`` (id ranges, ``ImportBatch.created_ids``; a registry
    import's two tables always named, 0 included) and the rows whose values were put back. Every key
    has a translated label on the audit page (移除: 居民: 5; 住户: 2), never a table's code name."""
    tables = [key for key in ROLLBACK_REMOVED_KEYS if key in created] or ["household", "resident"]
    removed = {
        ROLLBACK_REMOVED_KEYS[key]: sum(last - first + 1 for first, last in created.get(key, [])) for key in tables
    }
    # in PostgreSQL jsonb's key order (shorter first, then by bytes), so the entry reads the same on both databases
    return {"removed": dict(sorted(removed.items(), key=lambda item: (len(item[0]), item[0]))), "restored": restored}


class RollbackError(ValueError):
    """An import that cannot be rolled back (wrong status, a later import on top, rows in use)."""


ROLLBACK_BLOCKERS_SHOWN = 5


def _rollback_blockers(created: dict[str, list[list[int]]]) -> list[str]:
    """What keeps the households and residents of ``created`` (id ranges per table) from being deleted:
    ``["household 下西园社区 … 701 has 1 service request", …]`` (translated, at most
    ROLLBACK_BLOCKERS_SHOWN), from every foreign key to them (all PROTECT) whose row the rollback does
    not delete itself. One query per relation."""
    from lianfang.workforce.models import ResponsibilityAssignment, Worker  # noqa: PLC0415

    keys = {Household: "household", Resident: "resident", ResponsibilityAssignment: "assignment", Worker: "worker"}

    def within(model, prefix: str = "") -> Q:
        ranges = Q()
        for first, last in created.get(keys.get(model, ""), []):
            ranges |= Q(**{f"{prefix}pk__range": (first, last)})
        return ranges

    blockers: list[str] = []
    for model in (Household, Resident):
        if not created.get(keys[model]):
            continue
        for relation in model._meta.related_objects:
            if relation.many_to_many or _goes_with_household(relation):
                continue
            related, name = relation.related_model, relation.field.name
            rows = related._base_manager.filter(within(model, f"{name}__"))
            if created.get(keys.get(related, "")):
                rows = rows.exclude(within(related))
            for target_id, n in rows.values_list(name).annotate(n=Count("pk")).order_by(name)[:ROLLBACK_BLOCKERS_SHOWN]:
                meta = related._meta
                blockers.append(
                    _("%(kind)s %(object)s has %(n)d %(what)s")
                    % {
                        "kind": model._meta.verbose_name,
                        "object": model._base_manager.get(pk=target_id),
                        "n": n,
                        "what": meta.verbose_name if n == 1 else meta.verbose_name_plural,
                    }
                )
    return blockers[:ROLLBACK_BLOCKERS_SHOWN]


def _from_json(model, column: str, value):
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    return model._meta.get_field(column).to_python(value)


def import_batch_rollback(*, actor, batch: ImportBatch, reason: str = "") -> ImportBatch:
    """Undo a committed import as a unit: delete the rows it created, restore the values it changed.

    Audited (action ``import_rollback``): the free-text ``reason`` (``rollback`` when none is given),
    the rows removed and restored (:func:`rollback_detail`). Raises
    PermissionDenied without EDIT_REGISTRY on the batch's division, RollbackError when the batch is
    not ``committed``, when a later committed import of the same division exists (roll that back
    first), or when created rows are now referenced by other records. One transaction.
    """
    _check_target(actor, batch.division)
    code = batch.division.code
    overlapping = Q(division__code__startswith=code) | Q(division__code__in=batch.division.ancestor_codes())
    later = (
        ImportBatch.objects.filter(overlapping, status=ImportStatus.COMMITTED, created_at__gt=batch.created_at)
        .exclude(pk=batch.pk)
        .order_by("created_at")
        .first()
    )
    if later is not None:
        raise RollbackError(_("roll back the later import #%(id)d first") % {"id": later.pk})
    try:
        with transaction.atomic():
            if not ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.COMMITTED).update(
                status=ImportStatus.ROLLED_BACK,
                rolled_back_at=timezone.now(),
                rolled_back_by=actor if getattr(actor, "is_authenticated", False) else None,
            ):
                raise RollbackError(_("only an imported batch can be rolled back"))
            created = batch.created_ids or {}
            blockers = _rollback_blockers(created)
            if blockers:
                raise RollbackError(
                    _("rows created by this import are now used by other records: %s") % "; ".join(blockers)
                )
            _delete_created(created)
            for model, key in ((Household, "household"), (Resident, "resident")):
                restores = [
                    (
                        c.object_id,
                        {col: _db_value(model, col, _from_json(model, col, v)) for col, v in c.before.items()},
                    )
                    for c in batch.changes.filter(table=key)
                ]
                _update_rows(model, restores)
            audit.record(
                actor=actor,
                action="import_rollback",
                obj=batch,
                reason=reason or "rollback",
                detail=rollback_detail(created, batch.changes.count()),
            )
    except IntegrityError as exc:
        raise RollbackError(_("rows created by this import are now used by other records: %s") % exc) from exc
    batch.refresh_from_db()
    return batch


# ---------------------------------------------------------------------------------------------------
# Workers and their responsibility assignments (人员与包保), into the workforce app
# ---------------------------------------------------------------------------------------------------

CATEGORY_SYNONYMS = {
    "city_cadre": ("市级下沉干部", "市级干部", "市直单位干部", "市级驻守干部"),
    "district_cadre": ("区级下沉干部", "区级干部", "区直单位干部", "区级驻守干部", "下沉干部", "驻守干部"),
    "street_staff": ("街道干部", "街道工作人员", "乡镇干部", "镇干部"),
    "community_staff": ("社区工作人员", "社区干部", "村干部", "社区工作者"),
    "grid_worker": ("网格员",),
    "social_work_committee": ("社工委", "社工委成员"),
    "public_health_committee": ("公卫委", "公卫委成员"),
    "patriotic_health_committee": ("爱卫会", "爱卫会成员"),
    "party_member": ("党员",),
    "veteran": ("退役军人",),
    "volunteer": ("志愿者",),
    "medical_staff": ("医务人员", "采样人员", "医护人员"),
    "police": ("民警", "公安", "辅警"),
    "household_representative": ("联户代表",),
}
LEVEL_SYNONYMS = {"1": 1, "一级": 1, "l1": 1, "2": 2, "二级": 2, "l2": 2, "3": 3, "三级": 3, "l3": 3}
LEVEL_SYNONYMS.update({"4": 4, "四级": 4, "l4": 4})

WORKER_COLUMNS: tuple[Column, ...] = (
    Column("name", pgettext_lazy("person", "Name"), ("姓名", "名字", "name", "full name"), required=True),
    Column("id_number", gettext_lazy("ID number"), ("身份证号", "身份证号码", "公民身份号码", "证件号码"), text=True),
    Column("phone", gettext_lazy("Phone"), ("联系电话", "手机号", "手机号码", "电话", "phone", "mobile"), text=True),
    Column(
        "categories",
        gettext_lazy("Categories"),
        ("人员类别", "类别", "人员类型", "身份", "category", "categories"),
        required=True,
    ),
    Column("position", gettext_lazy("Position"), ("职务", "职位", "position")),
    Column("sending_organisation", gettext_lazy("Sending organisation"), ("派出单位", "工作单位", "单位")),
    Column(
        "base",
        gettext_lazy("Belongs to"),
        ("所属单位", "所在社区", "所属社区", "驻守社区", "所在小区", "base division", "belongs to"),
        required=True,
    ),
    Column("level", gettext_lazy("Responsibility level"), ("包保层级", "层级", "包保级别", "level")),
    Column(
        "unit",
        gettext_lazy("Responsible for"),
        ("包保对象", "包保单位", "包保小区", "包保户", "包保范围", "responsible for"),
    ),
    Column("starts_on", gettext_lazy("From"), ("开始日期", "包保开始日期", "起始日期", "from", "starts on")),
)
WORKER_REQUIRED = tuple(c.key for c in WORKER_COLUMNS if c.required)


@functools.cache
def _category_index() -> dict[str, str]:
    from lianfang.workforce.models import Category  # noqa: PLC0415

    index = _choice_index(Category, {})
    for value, names in CATEGORY_SYNONYMS.items():
        for name in names:
            index[name.lower()] = value
    return index


class WorkerPlan:
    """One worker row: the worker's fields, its match in the database, and the assignment asked for."""

    __slots__ = ("ref", "fields", "source_key", "existing_id", "level", "division", "households", "starts_on")

    def __init__(self, ref, fields, source_key):
        self.ref = ref
        self.fields = fields
        self.source_key = source_key
        self.existing_id = None
        self.level = None
        self.division = None
        self.households = None
        self.starts_on = None


def plan_workers(*, target: Division, data: bytes, file_name: str, today: dt.date | None = None) -> Plan:
    """Read and validate a workers roster for ``target`` (one row per worker, optionally one assignment).

    Checks names, categories (人员类别, Chinese or English, several separated by 、,;/), ID numbers
    (GB 11643-1999) and phones, the division each worker belongs to and, for an assignment, its level
    (1-4) and unit (a community/compound name for levels 1-3, household addresses separated by ; for
    level 4). The same person twice is a conflict. Workers already imported (same source key: ID hash,
    else name and phone) are matched, not duplicated. Returns a Plan whose ``residents`` list holds
    WorkerPlan rows. Raises ImportFileError when the file cannot be read.
    """
    from lianfang.core import idnumber  # noqa: PLC0415
    from lianfang.workforce.models import ResponsibilityAssignment, Worker  # noqa: PLC0415

    today = today or timezone.localdate()
    file_format = detect_format(file_name)
    sheets, encoding = read_sheets(data, file_format, Path(file_name).name)
    plan = Plan(target=target, file_format=file_format, encoding=encoding)
    places = Places(target)
    district_id = target.district_id or target.id
    existing = dict(
        Worker.objects.filter(district_id=district_id).exclude(source_key="").values_list("source_key", "id")
    )
    assigned = {
        (worker_id, level, household_id or division_id, starts_on)
        for worker_id, level, division_id, household_id, starts_on in ResponsibilityAssignment.objects.filter(
            district_id=district_id
        ).values_list("worker_id", "level", "division_id", "household_id", "starts_on")
    }
    addresses = {h.address: h for h in Household.objects.within(target.code)}
    seen: dict[str, tuple[str, int]] = {}
    for sheet in sheets:
        header = find_header(sheet.rows, WORKER_COLUMNS, WORKER_REQUIRED)
        if header is None:
            continue
        plan.sheets.append(sheet.name)
        plan.header_rows[sheet.name] = header.first_data_row
        labels = {key: bracketed(header.texts[col], _column_letter(col)) for col, key in header.keys.items()}
        for key in WORKER_REQUIRED:
            if key not in labels:
                label = str(next(c.label for c in WORKER_COLUMNS if c.key == key))
                plan.issues.append(
                    Issue(sheet.name, header.first_data_row, label, "", _("required column %s is missing") % label)
                )
        if any(i.severity == "error" for i in plan.issues):
            continue
        id_col = next((c for c, k in header.keys.items() if k == "id_number"), None)
        for index, raw in sheet.data_rows(header.first_data_row):
            text = {key: cell_text(raw[col]) if col < len(raw) else "" for col, key in header.keys.items()}
            if not any(text.values()):
                plan.skipped += 1
                continue
            plan.rows += 1
            row_no = index + 1
            errors: list[Issue] = []

            def issue(key, reason, text=text, row_no=row_no, sheet=sheet, labels=labels, errors=errors):
                errors.append(Issue(sheet.name, row_no, labels.get(key, ""), text.get(key, ""), str(reason)))

            name = " ".join(text.get("name", "").split())
            if not name:
                issue("name", _("name is required"))
            categories = []
            for part in re.split(r"[、,，;；/\s]+", text.get("categories", "")):
                if part:
                    value = _category_index().get(part.lower())
                    if value is None:
                        issue("categories", _("unknown category %s") % part)
                    elif value not in categories:
                        categories.append(value)
            if not categories and text.get("categories", "") == "":
                issue("categories", _("at least one category is required"))
            number = phone = ""
            raw_id = raw[id_col] if id_col is not None and id_col < len(raw) else ""
            if text.get("id_number"):
                try:
                    number = idnumber.parse(raw_id).number
                except idnumber.IdNumberError as exc:
                    issue("id_number", exc)
            if text.get("phone"):
                try:
                    phone = normalize_phone(text["phone"])
                except pii.PhoneError as exc:
                    issue("phone", exc)
            base = None
            base_text = text.get("base", "")
            if base_text:
                base = _find_division(places, base_text, target)
                if base is None:
                    issue(
                        "base",
                        _("unknown division %(name)s in %(target)s") % {"name": base_text, "target": target.short_name},
                    )
            elif target.level >= Level.STREET:
                base = target
            else:
                issue("base", _("the division the worker belongs to is required"))
            key = pii.lookup_hash("id", number) if number else pii.lookup_hash("worker", f"{name}|{phone}")
            source_key = f"roster:{key[:32]}"
            first = seen.get(source_key)
            if first is not None:
                issue(
                    "name",
                    _("the same person is already on sheet %(sheet)s row %(row)d")
                    % {"sheet": first[0], "row": first[1]},
                )
            seen.setdefault(source_key, (sheet.name, row_no))
            row = WorkerPlan((sheet.name, row_no), None, source_key)
            row.existing_id = existing.get(source_key)
            if text.get("level") or text.get("unit"):
                row.level = LEVEL_SYNONYMS.get(text.get("level", "").lower())
                if row.level is None:
                    issue("level", _("responsibility level must be 1, 2, 3 or 4"))
                elif not text.get("unit"):
                    issue("unit", _("the unit of responsibility is required with a level"))
                elif row.level == 4:
                    row.households = []
                    for address in re.split(r"[;；\n]+", text["unit"]):
                        address = " ".join(address.split())
                        if address and address not in addresses:
                            issue("unit", _("unknown household %s") % address)
                        elif address:
                            row.households.append(addresses[address])
                else:
                    row.division = _find_division(places, text["unit"], target)
                    if row.division is None:
                        issue(
                            "unit",
                            _("unknown division %(name)s in %(target)s")
                            % {"name": text["unit"], "target": target.short_name},
                        )
                try:
                    row.starts_on = parse_date(text.get("starts_on", "")) or today
                except ValueError:
                    issue("starts_on", _("not a date (use YYYY-MM-DD)"))
                if row.existing_id is not None and row.level and row.starts_on:  # already recorded?
                    if row.households is not None:
                        row.households = [
                            h for h in row.households if (row.existing_id, 4, h.id, row.starts_on) not in assigned
                        ]
                        if not row.households:
                            row.level = None
                    elif row.division and (row.existing_id, row.level, row.division.id, row.starts_on) in assigned:
                        row.level = None
            row.fields = {
                "name": name,
                "categories": categories,
                "base_division": base,
                "phone": phone,
                "id_number": number,
                "position": text.get("position", ""),
                "sending_organisation": text.get("sending_organisation", ""),
                "source_key": source_key,
            }
            plan.issues.extend(errors)
            if not errors:
                plan.residents.append(row)
    if not plan.sheets:
        plan.issues.append(Issue("", 0, "", "", _("no sheet has a header row with the required columns")))
    elif not plan.rows and not plan.errors:
        plan.issues.append(Issue("", 0, "", "", _("the file has no data rows under its header: nothing to import")))
    return plan


def _find_division(places: Places, text: str, target: Division) -> Division | None:
    """A community, compound or (for a district/street target) street named ``text`` under ``target``."""
    key = _place_key(text, Level.COMPOUND)
    if _place_key(target.short_name, Level.COMPOUND) == key or _place_key(target.name, Level.COMPOUND) == key:
        return target
    community = places.communities.get(_place_key(text, Level.COMMUNITY))
    if community is not None:
        return community
    for children in places.children.values():
        node = children.get(key)
        if node is not None and node.level == Level.COMPOUND:
            return node
    return None


def commit_workers(*, plan: Plan, batch: ImportBatch, actor) -> dict[str, int]:
    """Create the plan's new workers and assignments through lianfang.workforce.services (each audited),
    in the caller's transaction. A row the services refuse (rule set, overlapping responsibility) becomes
    an error of ``plan`` and the caller rolls everything back. Returns the counts."""
    from lianfang.workforce import services as workforce  # noqa: PLC0415
    from lianfang.workforce.models import Worker  # noqa: PLC0415

    created_workers, created_assignments = [], []
    for row in plan.residents:
        sheet, row_no = row.ref
        try:
            with transaction.atomic():
                if row.existing_id is None:
                    worker = workforce.worker_create(actor=actor, **row.fields)
                    created_workers.append(worker.pk)
                else:
                    worker = Worker.objects.get(pk=row.existing_id)
                if row.level:
                    assignments = workforce.assignment_create(
                        actor=actor,
                        level=row.level,
                        worker=worker,
                        starts_on=row.starts_on,
                        division=row.division,
                        households=row.households,
                    )
                    created_assignments.extend(a.pk for a in assignments)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                for message in messages:
                    plan.issues.append(Issue(sheet, row_no, "", row.fields["name"], _strip_value(message)))
    batch.created_ids = {"worker": _ranges(created_workers), "assignment": _ranges(created_assignments)}
    return {
        "rows": plan.rows,
        "blank_rows": plan.skipped,
        "workers_created": len(created_workers),
        "workers_unchanged": sum(1 for r in plan.residents if r.existing_id is not None),
        "assignments_created": len(created_assignments),
        "errors": len(plan.errors),
        "warnings": len(plan.warnings),
    }
