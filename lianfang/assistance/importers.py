"""A partner's list of needs (a supermarket, a pharmacy, a charity's hotline sheet) imported as intakes.

The whole file is read and validated first; any problem (naming row, column and value) means nothing
is written. Then every row is filed in one transaction through ``services.intake.service_request_create``
(channel ``partner``): a household's need that is already open links to its ticket, and a row whose
partner reference was imported before is recognised and not filed twice.

Columns (header row anywhere in the first rows; Chinese or English names):
``编号/ref`` (the partner's own reference, required), ``住户编号/household`` (Lianfang household id) or
``地址/address`` (the household's address exactly as Lianfang prints it), ``类别/category``,
``诉求内容/description``, optional ``紧急程度/urgency``, ``联系人/name``, ``电话/phone``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.assistance.models import Category, Channel, FiledBy, Priority
from lianfang.core import pii
from lianfang.core.forms import items_line
from lianfang.registry.models import Household

HEADERS = {
    "partner_ref": ("编号", "单号", "序号", "ref", "reference", "partner_ref"),
    "household": ("住户编号", "户编号", "household", "household_id"),
    "address": ("地址", "住址", "家庭住址", "address"),
    "category": ("类别", "诉求类别", "需求类别", "category"),
    "description": ("诉求内容", "需求内容", "内容", "描述", "description", "details"),
    "urgency": ("紧急程度", "urgency"),
    "reporter_name": ("联系人", "姓名", "name", "contact"),
    "phone": ("电话", "联系电话", "手机", "phone"),
}

CATEGORY_WORDS = {
    Category.EMERGENCY_MEDICAL: ("emergency_medical", "急救", "紧急医疗", "急症", "emergency"),
    Category.MEDICAL_TRIP: (
        "medical_trip",
        "就医",
        "发热",
        "发热门诊",
        "透析",
        "化疗",
        "产检",
        "打针",
        "medical trip",
        "medical visit",
        "fever",
    ),
    Category.MEDICINE: ("medicine", "药", "购药", "药品", "买药"),
    Category.GROCERIES: ("groceries", "生活物资", "买菜", "食品", "物资", "groceries"),
    Category.OTHER: ("other", "其他", "其它"),
}
URGENCY_WORDS = {
    Priority.EMERGENCY: ("emergency", "危急", "特急"),
    Priority.URGENT: ("urgent", "紧急", "加急", "急"),
    Priority.NORMAL: ("normal", "一般", "普通", "不急"),
}
MAX_ROWS = 5000


@dataclass(frozen=True)
class Issue:
    """A problem in the file: 1-based ``row`` as a spreadsheet shows it, the column, the value, the message."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, %(column)s “%(value)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class PartnerImportResult:
    """What an import did (or would do, ``dry_run``): rows read, tickets ``created``, intakes ``linked``
    to open tickets, rows ``replayed`` (imported before), ``issues`` (then nothing was written), and
    ``tickets``: ``[(row, ticket number, status label, linked)]``."""

    rows: int = 0
    created: int = 0
    linked: int = 0
    replayed: int = 0
    dry_run: bool = False
    issues: list[Issue] = field(default_factory=list)
    tickets: list[tuple[int, str, str, bool]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


class FileError(ValueError):
    """The file cannot be read (unknown type, not a spreadsheet, not text)."""


def _norm(value) -> str:
    """A cell as text: NFKC (full-width → ASCII), stripped; whole floats without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def read_rows(data: bytes, file_name: str) -> list[list]:
    """The first sheet of an .xlsx/.xls/.ods file (python-calamine) or the rows of a .csv file
    (UTF-8, or the encoding charset-normalizer finds among GB18030/Big5/UTF-16). Raises FileError."""
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix in ("csv", "txt"):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes  # noqa: PLC0415

            best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16"]).best()
            if best is None:
                raise FileError(_("the file is not text in UTF-8 or GBK/GB18030")) from None
            text = str(best)
        return list(csv.reader(io.StringIO(text, newline="")))
    if suffix not in ("xlsx", "xls", "ods"):
        raise FileError(_("unsupported file type “%(suffix)s”: use .xlsx, .xls, .ods or .csv") % {"suffix": suffix})
    import python_calamine  # noqa: PLC0415

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (python_calamine.CalamineError, ValueError, OSError, IndexError) as exc:
        # the library's own (English) words are not shown: the reader learns which format failed
        raise FileError(_("the file is not a readable %(format)s file") % {"format": suffix.upper()}) from exc


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "").replace("_", "")


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    wanted = {_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}
    for index, row in enumerate(rows[:10]):
        found = {}
        for col, cell in enumerate(row):
            name = wanted.get(_key(_norm(cell)))
            if name and name not in found:
                found[name] = col
        if "partner_ref" in found and "category" in found and ("household" in found or "address" in found):
            return index, found
    return None


def _word(value: str, table: dict) -> str | None:
    text = _key(value)
    for code, words in table.items():
        if text in {_key(w) for w in words}:
            return code
    for code, words in table.items():
        if any(_key(w) in text for w in words if len(w) > 1 or not w.isascii()):
            return code
    return None


@dataclass
class _Row:
    number: int
    partner_ref: str
    household: Household
    category: str
    description: str
    urgency: str
    reporter_name: str
    phone: str


def import_partner_list(*, actor, data: bytes, file_name: str, partner_name: str, dry_run: bool = False):
    """Read, validate and (unless ``dry_run``) file every row of a partner's list; see the module.

    Households must be in ``actor``'s scope. Returns a PartnerImportResult; raises nothing for bad rows
    (they are ``issues``), PermissionDenied when the actor may not handle requests at all.
    """
    from lianfang.accounts.roles import Capability  # noqa: PLC0415
    from lianfang.accounts.selectors import can  # noqa: PLC0415
    from lianfang.assistance.services.intake import service_request_create  # noqa: PLC0415

    if not can(actor, Capability.HANDLE_REQUESTS):
        raise PermissionDenied(_("You may not import service requests."))
    result = PartnerImportResult(dry_run=dry_run)
    partner_name = " ".join((partner_name or "").split())
    if not partner_name:
        result.issues.append(Issue(0, _("partner"), "", _("the partner's name is required")))
        return result
    try:
        rows = read_rows(data, file_name)
    except FileError as exc:
        result.issues.append(Issue(0, _("file"), file_name, str(exc)))
        return result
    header = _find_header(rows)
    if header is None:
        result.issues.append(
            Issue(1, _("header"), "", _("no header row with a reference, a category and a household or address column"))
        )
        return result
    header_index, columns = header
    titles = {name: _norm(rows[header_index][col]) for name, col in columns.items()}

    def title(name: str) -> str:
        """The column as the file names it (``住户编号``), or its English key when the file has none."""
        return titles.get(name, name)

    body = [(header_index + 2 + i, row) for i, row in enumerate(rows[header_index + 1 :])]
    body = [(n, row) for n, row in body if any(_norm(c) for c in row)]
    if len(body) > MAX_ROWS:
        result.issues.append(Issue(0, _("file"), str(len(body)), _("at most %d rows per file") % MAX_ROWS))
        return result
    result.rows = len(body)

    def cell(row, name):
        col = columns.get(name)
        return _norm(row[col]) if col is not None and col < len(row) else ""

    visible = Household.objects.visible_to(actor)
    ids = {int(cell(r, "household")) for _n, r in body if cell(r, "household").isdigit()}
    addresses = {cell(r, "address") for _n, r in body if cell(r, "address")}
    by_id = visible.in_bulk(ids) if ids else {}
    by_address: dict[str, list[Household]] = {}
    if addresses:
        for household in visible.filter(address__in=addresses):
            by_address.setdefault(household.address, []).append(household)
    parsed: list[_Row] = []
    seen_refs: dict[str, int] = {}
    for number, row in body:
        issues_before = len(result.issues)

        def bad(column, value, message, number=number):
            result.issues.append(Issue(number, column, value, message))

        ref = cell(row, "partner_ref")
        if not ref:
            bad(title("partner_ref"), ref, _("the partner's reference is required"))
        elif ref in seen_refs:
            bad(title("partner_ref"), ref, _("the same reference is on row %d") % seen_refs[ref])
        else:
            seen_refs[ref] = number
        household = None
        raw_id, address = cell(row, "household"), cell(row, "address")
        if raw_id:
            household = by_id.get(int(raw_id)) if raw_id.isdigit() else None
            if household is None:
                bad(title("household"), raw_id, _("no such household in your area"))
        elif address:
            matches = by_address.get(address, [])
            if len(matches) == 1:
                household = matches[0]
            elif not matches:
                bad(title("address"), address, _("no household in your area has this address"))
            else:
                bad(
                    title("address"),
                    address,
                    _("%d households have this address: give the household id") % len(matches),
                )
        else:
            bad(title("household"), "", _("a household id or an address is required"))
        raw_category = cell(row, "category")
        category = _word(raw_category, CATEGORY_WORDS) if raw_category else None
        if category is None:
            bad(title("category"), raw_category, _("unknown category"))
        raw_urgency = cell(row, "urgency")
        urgency = _word(raw_urgency, URGENCY_WORDS) if raw_urgency else ""
        if urgency is None:
            bad(title("urgency"), raw_urgency, _("unknown urgency"))
        description = cell(row, "description")
        if not description and category != Category.EMERGENCY_MEDICAL:
            bad(title("description"), "", _("please describe what is needed"))
        phone = cell(row, "phone")
        if phone:
            try:
                pii.normalize_phone(phone)
            except pii.PhoneError as exc:
                bad(title("phone"), phone, str(exc))
        if len(result.issues) == issues_before:
            parsed.append(
                _Row(
                    number, ref, household, category, description, urgency or "", cell(row, "reporter_name")[:60], phone
                )
            )
    if result.issues:
        return result
    try:
        with transaction.atomic():
            for row in parsed:
                try:
                    ticket = service_request_create(
                        actor=actor,
                        household=row.household,
                        category=row.category,
                        description=row.description,
                        channel=Channel.PARTNER,
                        filed_by=FiledBy.PARTNER,
                        resident_urgency=row.urgency,
                        reporter_name=row.reporter_name,
                        phone=row.phone,
                        partner_name=partner_name,
                        partner_ref=row.partner_ref,
                    )
                except ValidationError as exc:
                    for name, messages in exc.message_dict.items():
                        result.issues.append(Issue(row.number, name, "", items_line(messages)))
                    raise
                if ticket.replayed:
                    result.replayed += 1
                elif ticket.linked:
                    result.linked += 1
                else:
                    result.created += 1
                result.tickets.append((row.number, ticket.number, str(ticket.get_status_display()), ticket.linked))
            if dry_run:
                raise _DryRun
    except _DryRun:
        # nothing was kept: new tickets have no number yet; linked ones keep theirs
        result.tickets = [(n, number if linked else "", status, linked) for n, number, status, linked in result.tickets]
    except ValidationError:
        result.created = result.linked = result.replayed = 0
        result.tickets = []
    return result


class _DryRun(Exception):
    """Rolls a dry run back after every row was filed (so its counts are exact)."""
