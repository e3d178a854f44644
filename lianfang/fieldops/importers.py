"""Importing screening lists (摸排名单 / 协查名单): inflow people, travellers from risk areas, close
and secondary contacts, as pushed to a district by the city or found by the communities.

Parse → validate the whole file → commit in one transaction (nothing half-written): a file with any
bad row is refused with every problem named (row, column, value). File reading (XLSX, XLS, ODS, CSV
in UTF-8 or GBK, full-width digits, merged cells) is the registry importer's
(``lianfang.registry.importing.reading``).

Per row:

- **Writing.** Contacts are saved one by one (each is classified: plan, test tasks, status change);
  everyone else in one bulk insert with one batch of audit entries.
- **De-duplication.** A row whose ID number (or, without one, name and phone) repeats an earlier
  row of the file, or matches someone already listed in the district (same category family, not
  released or transferred), is a duplicate: reported, not created. A duplicate contact with a later
  exposure day moves that person's last exposure (the period counts from the LAST exposure).
- **Location, inside the importer's scope only.** A place is resolved only inside the division the
  import runs in, as the importer sees it (``Division.objects.visible_to(actor).within(division)``):
  a registered resident there (matched by ID number) is placed at their household; otherwise the
  community/village or compound named in the 社区 column or the address. A row naming (by a name
  unique in the district) a community or compound of the district outside that division is an error
  naming the row, column and value (“上西园社区”不在您的辖区（下西园社区）内), as the API refuses
  the same write; a row naming another county-level division (区县 column, or a "…区/县" in the
  address) goes to the transfer-out list; a row that names nothing finer (or only the division's
  own community or street) is coarse: filed at the import's own division, "needs verification", no
  status set — never wider. Everyone an import creates is visible to its creator. A later exposure
  of a contact already listed outside the importer's scope is an error (it is recorded there).
- **Privacy.** Every problem (cell value and message) has its ID and phone numbers masked
  (core.pii.mask_numbers_in: ``1101**********0019``, ``138****5678``): the page and the error's
  messages never show them whole.
- **Names.** A name with markup or control characters is refused (registry.services.name_problem),
  as by the form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.selectors import can
from lianfang.core import audit, fielderrors, idnumber, pii
from lianfang.divisions.models import Division, Level
from lianfang.fieldops.models import (
    CONTACT_CATEGORIES,
    PersonCategory,
    PersonStatus,
    ScreenedPerson,
    ScreeningImport,
    TransferOut,
    TransferStatus,
)
from lianfang.fieldops.services.base import SCREENING, _require, _user
from lianfang.fieldops.services.quarantine import contact_exposure_record
from lianfang.fieldops.services.screened import build_person, save_person
from lianfang.registry.services import name_problem

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "证件号", "id_number", "id number"),
    "phone": ("手机号", "手机号码", "联系电话", "电话", "phone"),
    "category": ("类别", "人员类别", "category"),
    "origin": ("来源地", "来自", "出发地", "origin"),
    "arrived_on": ("抵达日期", "到达日期", "抵兰日期", "arrived_on", "arrival"),
    "risk_area": ("途经风险地区", "风险地区", "旅居地", "risk_area"),
    "last_exposure_on": ("末次暴露日期", "末次接触日期", "最后接触日期", "last_exposure_on", "last exposure"),
    "address": ("现住址", "住址", "居住地址", "现居住地", "address"),
    "district": ("所在区县", "区县", "district"),
    "community": ("所属社区", "社区", "社区/村", "村", "community"),
    "infection": ("关联病例", "关联病例编号", "index case", "infection"),
    "source_contact": ("关联密接", "关联密接编号", "linked close contact", "source_contact"),
}
CATEGORY_VALUES = {
    "流入": PersonCategory.INFLOW,
    "流入人员": PersonCategory.INFLOW,
    "外来人员": PersonCategory.INFLOW,
    "风险地区来返": PersonCategory.RISK_TRAVELLER,
    "中高风险地区旅居": PersonCategory.RISK_TRAVELLER,
    "风险地区旅居": PersonCategory.RISK_TRAVELLER,
    "密接": PersonCategory.CLOSE_CONTACT,
    "密切接触者": PersonCategory.CLOSE_CONTACT,
    "次密接": PersonCategory.SECONDARY_CONTACT,
    "密接的密接": PersonCategory.SECONDARY_CONTACT,
    **{c.value: c.value for c in PersonCategory},
}
# "…区" words that are not county-level divisions.
_NOT_COUNTY = (
    "小区",
    "社区",
    "园区",
    "景区",
    "校区",
    "城区",
    "片区",
    "街区",
    "矿区",
    "风险区",
    "封控区",
    "管控区",
    "防范区",
)
_COUNTY = re.compile(r"[\u4e00-\u9fa5]{1,6}?(?:自治县|新区|区|县|旗)")


class ScreeningImportError(ValidationError):
    """The file was refused: ``problems`` lists ``(row, column, value, message)``; nothing was written.
    Values and messages are kept with every ID and phone number masked (core.pii.mask_numbers_in:
    ``1101**********0019``, ``138****5678``), so no page, report or log built from them shows one whole."""

    def __init__(self, problems: list[tuple[int, str, str, str]]):
        problems = [(r, c, pii.mask_numbers_in(v), _mask_message(m, v)) for r, c, v, m in problems]
        self.problems = problems
        super().__init__(
            [
                _("row %(row)d, %(col)s = “%(value)s”: %(msg)s") % {"row": r, "col": c, "value": v, "msg": m}
                for r, c, v, m in problems[:200]
            ]
        )


def _mask_message(message: object, value: object) -> str:
    """``message`` with the cell ``value`` it may quote masked, and any other run of 10 or more digits
    (an ID or phone number) masked; a rule's number such as "GB 11643-1999" is kept."""
    text, value = str(message), str(value or "")
    if value and value in text:
        text = text.replace(value, pii.mask_numbers_in(value))
    return pii.mask_numbers_in(text, shortest=10)


@dataclass
class Row:
    """One validated data row."""

    number: int
    name: str
    category: str
    id_number: str = ""
    id_hash: str = ""
    phone: str = ""
    phone_hash: str = ""
    origin: str = ""
    arrived_on: dt.date | None = None
    risk_area: str = ""
    last_exposure_on: dt.date | None = None
    address: str = ""
    district_text: str = ""
    community_text: str = ""
    infection_id: int | None = None
    source_contact_id: int | None = None


@dataclass
class ImportReport:
    """The outcome: the batch row and the per-row outcomes (``created``, ``duplicates`` as
    ``(row, matched)``, ``transfers``, ``needs_verification``, ``exposure_updated``)."""

    batch: ScreeningImport
    created: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    transfers: list[int] = field(default_factory=list)
    needs_verification: list[int] = field(default_factory=list)
    exposure_updated: list[int] = field(default_factory=list)


def _norm(value: object) -> str:
    from lianfang.registry.importing.columns import cell_text  # noqa: PLC0415

    return cell_text(value)


def _header_map(header: list[object]) -> dict[str, int]:
    index = {}
    aliases = {a.lower(): key for key, names in COLUMNS.items() for a in names}
    for i, cell in enumerate(header):
        key = aliases.get(re.sub(r"\s+", "", _norm(cell)).lower()) or aliases.get(_norm(cell).lower())
        if key and key not in index:
            index[key] = i
    return index


def read_rows(data: bytes, file_name: str) -> tuple[list[list[object]], dict[str, int], int]:
    """The data rows of the first sheet with a ``姓名`` column in its first 10 rows: ``(rows, column
    index, header row number)``; merged cells filled (registry.importing.reading.read_sheets). Raises
    ScreeningImportError when no such header is found or the file cannot be read."""
    from lianfang.registry.importing import reading  # noqa: PLC0415

    try:
        sheets, _encoding = reading.read_sheets(data, reading.detect_format(file_name))
    except reading.ImportFileError as exc:
        raise ScreeningImportError([(0, "file", file_name, str(exc))]) from None
    for sheet in sheets:
        if hasattr(reading, "fill_merged"):  # older reader: merged cells filled by the caller
            reading.fill_merged(sheet)
        for i, row in enumerate(sheet.rows[:10]):
            columns = _header_map(row)
            if "name" in columns:
                if hasattr(sheet, "data_rows"):
                    return [r for _index, r in sheet.data_rows(i + 1)], columns, i + 1
                return sheet.rows[i + 1 :], columns, i + 1
    raise ScreeningImportError([(1, "姓名", "", _("no header row with a 姓名 (name) column in the first 10 rows"))])


def _date(value: object, column: str, number: int, problems: list) -> dt.date | None:
    from lianfang.registry.importing.columns import parse_date  # noqa: PLC0415

    try:
        day = parse_date(value)
    except ValueError:
        problems.append((number, column, _norm(value), _("not a date (2022-03-25, 2022/3/25, 2022年3月25日)")))
        return None
    if day is not None and day > timezone.localdate():
        problems.append((number, column, day.isoformat(), _("the date is in the future")))
    return day


def _int_ref(value: object, column: str, number: int, problems: list) -> int | None:
    text = _norm(value).lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        problems.append((number, column, text, _("a record number is expected")))
        return None
    return int(text)


def validate_rows(raw_rows, columns: dict[str, int], header_row: int, default_category: str) -> tuple[list[Row], list]:
    """Turn raw rows into :class:`Row` objects; returns ``(rows, problems)`` (blank rows skipped)."""
    from lianfang.registry.importing.columns import normalize_phone  # noqa: PLC0415

    rows, problems = [], []

    def cell(raw, key):
        i = columns.get(key)
        return raw[i] if i is not None and i < len(raw) else ""

    for offset, raw in enumerate(raw_rows, start=1):
        number = header_row + offset
        if not any(_norm(v) for v in raw):
            continue
        name = " ".join(_norm(cell(raw, "name")).split())
        if not name:
            problems.append((number, "姓名", "", _("the name is required")))
            continue
        if problem := name_problem(name):
            problems.append((number, "姓名", name, str(problem)))
            continue
        category_text = _norm(cell(raw, "category"))
        category = CATEGORY_VALUES.get(category_text, default_category if not category_text else None)
        if category is None:
            problems.append((number, "类别", category_text, _("unknown category")))
            continue
        row = Row(number=number, name=name, category=category)
        id_text = _norm(cell(raw, "id_number"))
        if id_text:
            try:
                row.id_number = idnumber.parse(id_text).number
                row.id_hash = pii.lookup_hash("id", row.id_number)
            except idnumber.IdNumberError as exc:
                problems.append((number, "证件号码", id_text, str(exc)))
        phone_text = _norm(cell(raw, "phone"))
        if phone_text:
            try:
                row.phone = normalize_phone(phone_text)
                row.phone_hash = pii.lookup_hash("phone", row.phone)
            except pii.PhoneError as exc:
                problems.append((number, "手机号", phone_text, str(exc)))
        row.origin = _norm(cell(raw, "origin"))[:120]
        row.arrived_on = _date(cell(raw, "arrived_on"), "抵达日期", number, problems)
        row.risk_area = _norm(cell(raw, "risk_area"))[:200]
        row.last_exposure_on = _date(cell(raw, "last_exposure_on"), "末次暴露日期", number, problems)
        row.address = _norm(cell(raw, "address"))[:200]
        for column, text in (("现住址", row.address), ("来源地", row.origin), ("途经风险地区", row.risk_area)):
            # the texts build_person checks too, here so every bad row is named in one pass
            if problem := fielderrors.control_character_problem(text):
                problems.append((number, column, text, str(problem)))
        row.district_text = _norm(cell(raw, "district"))
        row.community_text = _norm(cell(raw, "community"))
        row.infection_id = _int_ref(cell(raw, "infection"), "关联病例", number, problems)
        row.source_contact_id = _int_ref(cell(raw, "source_contact"), "关联密接", number, problems)
        if (
            category in CONTACT_CATEGORIES
            and row.last_exposure_on is None
            and not any(p[0] == number for p in problems)
        ):
            problems.append((number, "末次暴露日期", "", _("a contact needs the last exposure day")))
        if category == PersonCategory.CLOSE_CONTACT and row.infection_id is None:
            problems.append((number, "关联病例", "", _("a close contact is linked to its index case")))
        if category == PersonCategory.SECONDARY_CONTACT and row.source_contact_id is None:
            problems.append((number, "关联密接", "", _("a secondary contact is linked to its close contact")))
        rows.append(row)
    return rows, problems


_FIELD_COLUMNS = {
    "name": ("姓名", "name"),
    "category": ("类别", "category"),
    "id_number": ("证件号码", "id_number"),
    "phone": ("手机号", "phone"),
    "arrived_on": ("抵达日期", "arrived_on"),
    "last_exposure_on": ("末次暴露日期", "last_exposure_on"),
    "infection": ("关联病例", "infection_id"),
    "source_contact": ("关联密接", "source_contact_id"),
    "division": ("所属社区", "community_text"),
    "address": ("现住址", "address"),
    "origin": ("来源地", "origin"),
    "risk_area": ("途经风险地区", "risk_area"),
}


def _row_problems(row: Row, exc: ValidationError) -> list[tuple[int, str, str, str]]:
    """The ``(row, column, value, message)`` problems of a ValidationError raised for ``row`` by
    build_person/save_person (each field named by its column; a non-field error under 姓名)."""
    found = []
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"name": exc.messages}
    for key, messages in errors.items():
        column, attribute = _FIELD_COLUMNS.get(key, ("姓名", "name"))
        value = getattr(row, attribute, "")
        found.extend((row.number, column, "" if value is None else str(value), str(m)) for m in messages)
    return found


class Places:
    """Names of the district's communities/villages and compounds, for finding a row's place inside
    ``division`` (the import's division) as ``actor`` sees it, and noticing a place named outside it."""

    def __init__(self, district: Division, division: Division | None = None, actor=None):
        self.district = district
        self.scope = division or district
        self.district_names = {district.name, district.short_name}
        levels = (Level.COMMUNITY, Level.COMPOUND)
        nodes = Division.objects.within(district.code).filter(level__in=levels)
        allowed = Division.objects.within(self.scope.code).filter(level__in=levels)
        if actor is not None:
            allowed = allowed.visible_to(actor)
        self.allowed = set(allowed.values_list("code", flat=True))
        by_name: dict[str, set[str]] = {}
        for code, name, short in nodes.values_list("code", "name", "short_name"):
            for text in {name, short}:
                if len(text) >= 2:
                    by_name.setdefault(text, set()).add(code)
        # a name shared by two places (two 幸福小区) is ambiguous: it places nothing, unless exactly one
        # of them is inside the scope (then it is that one)
        self.by_name: dict[str, str] = {}
        for name, codes in by_name.items():
            inside = codes & self.allowed
            if len(inside) == 1:
                self.by_name[name] = inside.pop()
            elif not inside and len(codes) == 1:
                self.by_name[name] = next(iter(codes))
        self._names = sorted(self.by_name, key=len, reverse=True)
        self._divisions: dict[str, Division] = {}

    def division(self, code: str) -> Division:
        """The Division of a place code found by :meth:`find` (cached: one query per distinct place)."""
        if code not in self._divisions:
            self._divisions[code] = Division.objects.get(code=code)
        return self._divisions[code]

    def find(self, *texts: str) -> str | None:
        """The code of the most specific place named in ``texts`` (longest name first), or None."""
        best = None
        for text in texts:
            if not text:
                continue
            for name in self._names:
                if name in text:
                    code = self.by_name[name]
                    if best is None or len(code) > len(best):
                        best = code
                    break
        return best

    def resolve(self, row: Row) -> tuple[str | None, tuple[str, str, str] | None]:
        """Where ``row`` is, inside the scope only: ``(code, None)`` for the most specific place of the
        scope named in its 社区 column or address; ``(None, None)`` when it names none (or only the
        scope's own community, street or district: the row is coarse, filed at the scope); ``(None,
        (column, cell value, place name))`` when it names a place of the district outside the scope."""
        best = None
        for column, text in (("所属社区", row.community_text), ("现住址", row.address)):
            rest = text
            for name in self._names:
                if not rest or name not in rest:
                    continue
                rest = rest.replace(name, "\x00")  # longest names first: a shorter one inside it is not read again
                code = self.by_name[name]
                if code in self.allowed:
                    if best is None or len(code) > len(best):
                        best = code
                elif not self.scope.code.startswith(code):  # the scope's own community or street is no place
                    return None, (column, text, name)
        return best, None

    def elsewhere(self, row: Row) -> str:
        """The county-level division named by ``row`` when it is not this district, else ``""``."""
        if row.district_text:
            return "" if row.district_text in self.district_names else row.district_text
        for match in _COUNTY.finditer(row.address):
            word = match.group(0)
            if word.endswith(_NOT_COUNTY):
                continue
            if any(word.endswith(n) or n.endswith(word) for n in self.district_names):
                return ""
            return word
        return ""


def screening_import(
    *, actor, division: Division, file_name: str, data: bytes, category: str = PersonCategory.INFLOW
) -> ImportReport:
    """Import a screening list into ``division`` (the district, a street or a community); see the
    module docstring. ``category`` applies to rows without a 类别 column. Raises
    ScreeningImportError (every bad row named, nothing written) or PermissionDenied without
    EDIT_REGISTRY at ``division``. Returns the :class:`ImportReport`."""
    from lianfang.registry.models import Resident  # noqa: PLC0415
    from lianfang.zones.models import Infection  # noqa: PLC0415

    _require(actor, SCREENING, division.code)
    if category not in PersonCategory.values:
        raise ScreeningImportError([(0, "category", category, _("unknown category"))])
    district = division.district or division
    raw, columns, header_row = read_rows(data, file_name)
    rows, problems = validate_rows(raw, columns, header_row, category)

    # load every key once
    infections = Infection.objects.in_bulk({r.infection_id for r in rows if r.infection_id})
    sources = ScreenedPerson.objects.in_bulk({r.source_contact_id for r in rows if r.source_contact_id})
    for r in rows:
        if r.infection_id and (
            r.infection_id not in infections or not infections[r.infection_id].path.startswith(district.code)
        ):
            problems.append((r.number, "关联病例", str(r.infection_id), _("no such index case in this district")))
        if r.source_contact_id:
            source = sources.get(r.source_contact_id)
            if source is None or source.district_id != district.pk or source.category != PersonCategory.CLOSE_CONTACT:
                problems.append(
                    (r.number, "关联密接", str(r.source_contact_id), _("no such close contact in this district"))
                )

    hashes = {r.id_hash for r in rows if r.id_hash}
    residents = {  # only residents the importer sees inside the import's division: never a place outside it
        res.id_hash: res
        for res in Resident.objects.visible_to(actor)
        .within(division.code)
        .filter(id_hash__in=hashes)
        .select_related("household")
    }
    listed: dict[tuple[str, str], ScreenedPerson] = {}
    existing = ScreenedPerson.objects.filter(district=district).exclude(
        status__in=(PersonStatus.RELEASED, PersonStatus.TRANSFERRED_OUT)
    )
    phone_hashes = {r.phone_hash for r in rows if r.phone_hash and not r.id_hash}
    for person in existing.filter(id_hash__in=hashes) | existing.filter(phone_hash__in=phone_hashes, id_hash=""):
        family = "contact" if person.category in CONTACT_CATEGORIES else person.category
        key = person.id_hash or f"{person.name}|{person.phone_hash}"
        listed.setdefault((family, key), person)
    transfers_listed = set(
        TransferOut.objects.filter(district=district, status=TransferStatus.PENDING, id_hash__in=hashes).values_list(
            "id_hash", flat=True
        )
    )
    places = Places(district, division, actor)
    scope_name = division.short_name or division.name
    place_of: dict[int, str | None] = {}  # row number → the place of the scope it names (None: coarse)
    for r in rows:
        if (r.id_hash and r.id_hash in residents) or places.elsewhere(r):
            continue
        place_of[r.number], outside = places.resolve(r)
        if outside is not None:
            column, value, place = outside
            problems.append(
                (
                    r.number,
                    column,
                    value,
                    _("“%(place)s” is not inside your area (%(scope)s)") % {"place": place, "scope": scope_name},
                )
            )
    if problems:
        raise ScreeningImportError(sorted(problems))
    batch = ScreeningImport(
        district=district,
        path=division.code,
        division=division,
        file_name=file_name[:200],
        file_sha256=hashlib.sha256(data).hexdigest(),
        category=category,
        actor=_user(actor),
    )
    report = ImportReport(batch=batch)
    seen: dict[str, int] = {}
    created: list[ScreenedPerson] = []
    plain: list[ScreenedPerson] = []  # people without a plan: one bulk insert
    today = timezone.localdate()
    with transaction.atomic():
        batch.save()
        for r in rows:
            key = r.id_hash or f"{r.name}|{r.phone_hash}"
            family = "contact" if r.category in CONTACT_CATEGORIES else r.category
            if (family, key) in seen:
                report.duplicates.append((r.number, _("row %(n)d") % {"n": seen[(family, key)]}))
                continue
            seen[(family, key)] = r.number
            match = listed.get((family, key))
            if match is not None:
                report.duplicates.append((r.number, f"#{match.pk}"))
                if (
                    match.is_contact
                    and r.last_exposure_on
                    and match.last_exposure_on
                    and r.last_exposure_on > match.last_exposure_on
                ):
                    if not can(actor, SCREENING, match.path):  # listed outside the importer's scope: not theirs to move
                        problems.append(
                            (
                                r.number,
                                "末次暴露日期",
                                r.last_exposure_on.isoformat(),
                                _("already listed as #%(pk)s outside your area (%(scope)s): record it there")
                                % {"pk": match.pk, "scope": scope_name},
                            )
                        )
                        continue
                    contact_exposure_record(
                        actor=actor,
                        person=match,
                        exposure_on=r.last_exposure_on,
                        evidence=_("screening list %(f)s, row %(n)d") % {"f": file_name, "n": r.number},
                    )
                    report.exposure_updated.append(match.pk)
                continue
            resident = residents.get(r.id_hash) if r.id_hash else None
            elsewhere = "" if resident is not None else places.elsewhere(r)
            if elsewhere:
                if r.id_hash and r.id_hash in transfers_listed:
                    report.duplicates.append((r.number, _("transfer-out list")))
                    continue
                transfer = TransferOut(
                    district=district,
                    path=division.code,
                    batch=batch,
                    row=r.number,
                    name=r.name,
                    category=r.category,
                    destination=(r.address if elsewhere in r.address else f"{elsewhere} {r.address}".strip())[:200],
                    last_exposure_on=r.last_exposure_on,
                    arrived_on=r.arrived_on,
                )
                if r.id_number:
                    transfer.set_id_number(r.id_number)
                if r.phone:
                    transfer.set_phone(r.phone)
                transfer.save()
                report.transfers.append(transfer.pk)
                continue
            place_code = None if resident is not None else place_of.get(r.number)
            try:
                person = build_person(
                    district=district,
                    category=r.category,
                    name=r.name,
                    id_number=r.id_number,
                    phone=r.phone,
                    resident=resident,
                    division=places.division(place_code) if place_code else None,
                    address=r.address,
                    origin=r.origin,
                    arrived_on=r.arrived_on,
                    risk_area=r.risk_area,
                    infection=infections.get(r.infection_id) if r.infection_id else None,
                    source_contact=sources.get(r.source_contact_id) if r.source_contact_id else None,
                    last_exposure_on=r.last_exposure_on,
                    batch=batch,
                    created_by=_user(actor),
                    check_duplicate=False,
                    coarse_at=division,  # a row naming no place is filed at the import's division, never wider
                    today=today,
                )
                if person.is_contact:  # classified at once: saved one by one
                    save_person(actor=actor, person=person, today=today)
                else:
                    plain.append(person)
            except ValidationError as exc:
                problems.extend(_row_problems(r, exc))
                continue
            created.append(person)
        if problems:  # raised inside the transaction: nothing of the file is written
            raise ScreeningImportError(sorted(problems))
        ScreenedPerson.objects.bulk_create(plain, batch_size=500)
        audit.record_many(actor=actor, action="fieldops.person_create", objects=plain, detail={"batch": batch.pk})
        report.created = [p.pk for p in created]
        report.needs_verification = [p.pk for p in created if p.needs_verification]
        batch.counts = {
            "rows": len(rows),
            "created": len(report.created),
            "duplicates": len(report.duplicates),
            "transferred_out": len(report.transfers),
            "needs_verification": len(report.needs_verification),
            "exposure_updated": len(report.exposure_updated),
        }
        batch.duplicates = [{"row": n, "matched": m} for n, m in report.duplicates]
        batch.save(update_fields=["counts", "duplicates"])
        audit.record(actor=actor, action="fieldops.screening_import", obj=batch, detail=batch.counts)
    return report
