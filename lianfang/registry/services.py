"""Every write to the registry goes through these functions (atomic, validated, audited)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from lianfang.core import audit, fielderrors, idnumber, pii
from lianfang.divisions.models import Division, Level
from lianfang.registry.models import DocumentType, Household, Resident, Sex


@functools.lru_cache(maxsize=200_000)
def pinyin_initials(name: str) -> str:
    """Lower-case pinyin initials of a Chinese name (张三 → ``zs``); Latin letters are kept. Cached."""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(letters).lower()[:30]


@dataclass(frozen=True)
class Placement:
    """Where a household is: the community and the optional compound, building and unit nodes."""

    community: Division
    compound: Division | None = None
    building: Division | None = None
    unit: Division | None = None

    @property
    def node(self) -> Division:
        return self.unit or self.building or self.compound or self.community

    @classmethod
    def of(cls, node: Division, nodes_by_code: dict[str, Division] | None = None) -> Placement:
        """Placement for ``node`` at level 5-8, looking ancestors up in ``nodes_by_code`` or the database.

        Raises ValidationError when ``node`` is above community level.
        """
        if node.level < Level.COMMUNITY:
            raise ValidationError(_("a household must be in a community/village or below, not %s") % node)
        codes = {
            Level.COMMUNITY: node.code[:12],
            Level.COMPOUND: node.code[:15],
            Level.BUILDING: node.code[:18],
            Level.UNIT: node.code[:20],
        }
        wanted = [c for lvl, c in codes.items() if lvl <= node.level]
        if nodes_by_code is None:
            nodes_by_code = {d.code: d for d in Division.objects.filter(code__in=wanted)}
        get = nodes_by_code.get
        return cls(
            community=get(codes[Level.COMMUNITY]),
            compound=get(codes[Level.COMPOUND]) if node.level >= Level.COMPOUND else None,
            building=get(codes[Level.BUILDING]) if node.level >= Level.BUILDING else None,
            unit=get(codes[Level.UNIT]) if node.level >= Level.UNIT else None,
        )


def household_address(placement: Placement, room: str) -> str:
    """Human address: 西园街道 下西园社区 阳光小区 3号楼 2单元 501 (names of the nodes, then the room)."""
    parts = [n.short_name for n in (placement.compound, placement.building, placement.unit) if n]
    return " ".join([placement.community.short_name, *parts, room]).strip()


def household_create(*, actor, node: Division, room: str = "", contact_name: str = "", phone: str = "") -> Household:
    """Create a household at ``node`` (community ... unit) with an optional contact phone.

    Raises ValidationError (phone invalid, contact name not a plausible name (:func:`name_problem`),
    room holding a control or invisible character (:func:`text_problem`),
    node above community level) and IntegrityError when the same room already exists at that node.
    """
    if contact_name and (problem := name_problem(contact_name)):
        raise ValidationError({"contact_name": problem})
    if problem := text_problem(room):
        raise ValidationError({"room": problem})
    placement = Placement.of(node)
    household = Household(
        district_id=node.district_id,
        community=placement.community,
        compound=placement.compound,
        building=placement.building,
        unit=placement.unit,
        path=node.code,
        room=room,
        address=household_address(placement, room),
        contact_name=contact_name,
    )
    if phone:
        try:
            household.set_phone(pii.normalize_phone(phone))
        except pii.PhoneError as exc:
            raise ValidationError({"phone": fielderrors.reason_with_value(exc, phone)}) from exc
    with transaction.atomic():
        household.save()
        audit.record(actor=actor, action="create", obj=household)
    return household


# Django rebuilds ``Choices.values`` on every access (~10 µs); imports call validate_resident per row.
DOCUMENT_TYPES = frozenset(DocumentType.values)
SEXES = frozenset(Sex.values)


@dataclass(frozen=True)
class ResidentData:
    """Validated fields for a Resident, produced by :func:`validate_resident` (no database access)."""

    name: str
    document_type: str
    document_number: str
    sex: str
    birth_date: dt.date
    phone: str
    warnings: tuple[str, ...] = ()


NAME_MAX_LENGTH = Resident._meta.get_field("name").max_length
_NOT_IN_NAMES = re.compile(r"[<>\x00-\x1f\x7f-\x9f]")  # angle brackets and C0/C1 control characters


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a plausible person's name (translated), or None when it is.

    A name holds no angle brackets (markup such as ``<img …>``) and no control characters, and fits
    the model (at most NAME_MAX_LENGTH characters). Invisible characters (Unicode format characters,
    category Cf: the zero-width space U+200B, the right-to-left override U+202E, …; new-user trial 14)
    are refused by core.fielderrors.control_character_problem, whose message names the character's
    code: "must not contain control characters (U+202E).". Used for residents and household contacts
    (and by the screening, field-work and assistance apps for the names they store).
    """
    if len(name) > NAME_MAX_LENGTH:
        return _("too long: %(n)d characters, at most %(max)d") % {"n": len(name), "max": NAME_MAX_LENGTH}
    if _NOT_IN_NAMES.search(name):
        return _("not a plausible name: angle brackets and control characters are not allowed")
    return text_problem(name)


def text_problem(text: str) -> str | None:
    """Why a one-line text stored as typed (a name, a room number, a household-registration address,
    a worker's position) cannot be stored (translated), or None: it holds a control character or an
    invisible format character (Unicode category Cf: U+200B, U+202E, U+FEFF, …; new-user trial 14),
    as core.fielderrors.control_character_problem (one line) finds them, named by its code:
    "must not contain control characters (U+202E)." / "不能包含控制字符（U+202E）。". Raises nothing."""
    return fielderrors.control_character_problem(text or "", multiline=False)


def validate_resident(
    *,
    name: str,
    document_type: str = DocumentType.RESIDENT_ID,
    document_number: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    phone: str = "",
    today: dt.date | None = None,
) -> ResidentData:
    """Check one resident's fields and derive sex and birth date from a resident ID.

    For a resident identity card the number is parsed per GB 11643-1999 (core.idnumber); a given
    ``sex`` or ``birth_date`` that disagrees with the number is an error. Raises ValidationError with
    a dict naming each bad field and its value.
    """
    errors: dict[str, str] = {}
    warnings: list[str] = []
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("name is required")
    elif problem := name_problem(name):
        errors["name"] = problem
    number = ""
    if document_type == DocumentType.RESIDENT_ID:
        try:
            parsed = idnumber.parse(document_number, today=today)
        except idnumber.IdNumberError as exc:
            errors["document_number"] = fielderrors.reason_with_value(exc, document_number)
        else:
            number = parsed.number
            if parsed.converted_from_15:
                warnings.append(_("15-digit number converted to 18 digits"))
            if sex and sex != parsed.sex:
                labels = dict(Sex.choices)
                errors["sex"] = _("sex %(given)s disagrees with the ID number (%(derived)s)") % {
                    "given": labels.get(sex, sex),
                    "derived": labels[parsed.sex],
                }
            if birth_date and birth_date != parsed.birth_date:
                # no dates in the message: the ID's birth date is 8 of its digits, and import problems
                # are read by people who see the number masked
                errors["birth_date"] = _("birth date disagrees with the ID number")
            sex, birth_date = parsed.sex, parsed.birth_date
    elif document_type == DocumentType.NONE:
        if document_number:
            errors["document_number"] = _("no number expected for a person without a document")
    else:
        number = "".join(str(document_number or "").split()).upper()
        if not number:
            errors["document_number"] = _("document number is required")
    if document_type not in DOCUMENT_TYPES:
        errors["document_type"] = _("unknown document type “%(value)s”") % {"value": document_type}
    if sex not in SEXES:
        errors.setdefault("sex", _("sex is required (M or F), got “%(value)s”") % {"value": sex or ""})
    if birth_date is None:
        errors.setdefault("birth_date", _("birth date is required"))
    normalized_phone = ""
    if phone:
        try:
            normalized_phone = pii.normalize_phone(phone)
        except pii.PhoneError as exc:
            errors["phone"] = fielderrors.reason_with_value(exc, phone)
    if errors:
        raise ValidationError(errors)
    return ResidentData(name, document_type, number, sex, birth_date, normalized_phone, tuple(warnings))


FLAG_FIELDS = (
    "elderly_alone",
    "no_smartphone",
    "chronic_illness",
    "dialysis",
    "pregnant",
    "bedridden",
    "disabled",
    "infant",
)


def build_resident(household: Household, data: ResidentData, **extra) -> Resident:
    """An unsaved Resident for ``household`` from validated ``data``; ``extra`` sets other fields."""
    resident = Resident(
        household=household,
        path=household.path,
        name=data.name,
        name_initials=pinyin_initials(data.name),
        document_type=data.document_type,
        sex=data.sex,
        birth_date=data.birth_date,
        **extra,
    )
    if data.document_number:
        resident.set_id_number(data.document_number, data.document_type)
    if data.phone:
        resident.set_phone(data.phone)
    return resident


def resident_create(*, actor, household: Household, data: ResidentData, **extra) -> Resident:
    """Add a validated resident to ``household``; audited.

    Raises ValidationError when the same document already belongs to a resident (in any household):
    that is a conflict to resolve, never a silent merge.
    """
    resident = build_resident(household, data, **extra)
    with transaction.atomic():
        if resident.id_hash:
            other = Resident.objects.filter(id_hash=resident.id_hash).select_related("household").first()
            if other is not None:
                raise ValidationError(
                    {
                        "document_number": _("this person is already registered in household %(h)s")
                        % {"h": other.household_id}
                    }
                )
        resident.save()
        audit.record(actor=actor, action="create", obj=resident)
    return resident


def reveal(*, actor, obj, field: str, reason: str = "") -> str:
    """Return the plain ID number (``field="id"``) or phone (``"phone"``) of ``obj`` and audit the view.

    The caller must already have checked the actor's REVEAL_PII capability for the object's division.
    Raises ValueError for another field name.
    """
    if field == "id":
        value = obj.id_number_plain()
    elif field == "phone":
        value = obj.phone_plain()
    else:
        raise ValueError(f"cannot reveal {field!r}")
    audit.record(
        actor=actor,
        action="view_pii",
        obj=obj,
        reason=reason,
        detail={"field": field, "at": timezone.now().isoformat()},
    )
    return value


RESIDENT_SEARCH_PARAMS = ("q", "search", "id_number", "phone")
"""Query parameters of the resident list (page and API) that look people up: a request with any of
them is a search, audited once by :func:`record_search`."""


def mask_query(text: str) -> str:
    """``text`` as an audit entry may keep it: full-width characters folded (NFKC), then every run of
    7 or more digits masked whatever stands around it by core.pii.mask_numbers_in (spaces,
    dashes, dots and brackets inside ignored, a final x/X and a ``+86``/``0086`` prefix included) — an
    ID number of 15, 17 or 18 characters (``1101**********002X``), a mobile (``138****5678``,
    ``+86138****5678``), a fixed line (its last 4 digits kept) — and cut to
    core.pii.QUERY_LOG_LIMIT (100) characters. Names, initials, the last 4 digits a search by
    "ID/phone last 4" uses and household numbers (``123456``) are kept as typed. Raises nothing."""
    return pii.mask_numbers_in(unicodedata.normalize("NFKC", text or "").strip(), limit=pii.QUERY_LOG_LIMIT)


def record_search(*, actor, params, results: int, where: str):
    """Audit one look-up of people (action ``registry.search``) when ``params`` (a mapping such as
    ``request.GET``) has a non-empty :data:`RESIDENT_SEARCH_PARAMS` value; returns the AuditEntry, or
    None when the request searched nothing. ``detail``: ``query`` (parameter → :func:`mask_query`
    value, never a whole ID or phone number), ``results`` (rows found) and ``where`` (the page or
    API answering, e.g. ``"page:registry.search"``); ``division_code`` is the searcher's widest
    assignment (accounts.selectors.primary_assignment), so the entry shows on the audit page of the
    command centre above them. Call it once per request, after the search."""
    query = {
        name: mask_query(params.get(name) or "") for name in RESIDENT_SEARCH_PARAMS if (params.get(name) or "").strip()
    }
    if not query:
        return None
    from lianfang.accounts.selectors import primary_assignment  # noqa: PLC0415 (accounts reads the registry)

    assignment = primary_assignment(actor)  # the entry belongs where the searcher works (the audit page's scope)
    return audit.record(
        actor=actor,
        action="registry.search",
        division_code=assignment.division.code if assignment else "",
        detail={"query": query, "results": results, "where": where},
    )
