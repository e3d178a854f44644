"""Import columns and cell values: the template layout (:data:`TEMPLATE_COLUMNS`), header synonyms and
their matching, the accepted values of the choice columns, and the cell helpers every importer shares
(:func:`cell_text`, :func:`parse_date`, :func:`normalize_phone`, full-width folding, ID hashes).

Part of the registry import (lianfang.registry.importing; docs/import.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from lianfang.core import pii
from lianfang.core.forms import listing
from lianfang.registry import generator
from lianfang.registry.models import (
    VULNERABILITY_FLAGS,
    DocumentType,
    Household,
    Relation,
    ResidenceStatus,
    Resident,
    Sex,
)

RESIDENT_ID, NO_DOCUMENT = str(DocumentType.RESIDENT_ID.value), str(DocumentType.NONE.value)
OTHER_RELATION, HEAD = str(Relation.OTHER.value), str(Relation.HEAD.value)
REGISTERED = str(ResidenceStatus.REGISTERED.value)

MAX_CELL_CHARS = 1_000  # any cell: no column of the registry holds more


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


_CHOICE_TYPES = {"sex": Sex, "relation": Relation, "residence_status": ResidenceStatus, "document_type": DocumentType}
_CODES_SHOWN = ("sex",)  # choice columns whose codes are listed too (M, F: short and common in rosters)


def accepted_values(key: str) -> list[str]:
    """The values a reader is told choice column ``key`` accepts, in the active language: the choices'
    labels, then for sex the codes (``["男", "女", "M", "F"]`` in zh-Hans, ``["Male", "Female", "M",
    "F"]`` in English). Every one of them is in :func:`_value_indexes`; the synonyms are not listed."""
    choices = _CHOICE_TYPES[key]
    shown = [str(label) for _value, label in choices.choices]
    if key in _CODES_SHOWN:
        shown += [str(value) for value in choices.values]
    return shown


def flag_values() -> list[str]:
    """The values a reader is told a vulnerability-flag column accepts, in the active language: ``["是",
    "否", "留空"]`` in zh-Hans, ``["yes", "no", "blank"]`` in English (all in TRUE_VALUES/FALSE_VALUES)."""
    return [
        pgettext("a flag cell (accepted value)", "yes"),
        pgettext("a flag cell (accepted value)", "no"),
        pgettext("a flag cell (accepted value)", "blank"),
    ]


def not_accepted(column: object, value: str, accepted: list[str]) -> str:
    """The reason of a cell whose value is not one of ``accepted`` (translated): ``性别“X”不是可接受的取值
    （可用：男、女、M、F）``; English ``Sex “X” is not one of the accepted values (accepted: Male,
    Female, M, F)``. ``column`` is the column's label (its header as the file names it is in the issue's
    column)."""
    return _("%(column)s “%(value)s” is not one of the accepted values (accepted: %(values)s)") % {
        "column": column,
        "value": value,
        "values": listing(accepted),
    }


def not_a_date(value: str) -> str:
    """The reason of a date cell that is not a date, naming the value (translated):
    ``“2023-13-45”不是日期（请用 YYYY-MM-DD 格式）``; English ``“2023-13-45” is not a date (use YYYY-MM-DD)``."""
    return _("“%(value)s” is not a date (use YYYY-MM-DD)") % {"value": value}


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
