"""What a sampling desk scans or picks, read into a :class:`Person` (domain.md §4 "desk"): ID
numbers (GB 11643; an unregistered person is kept "to verify"), a child via a guardian's ID, household
QR codes, tube barcodes (:func:`is_tube_barcode`, :func:`shown_barcode`) and the time a sample was
taken. Unreadable input raises :class:`~lianfang.screening.services.base.Malformed`, an unknown
household code :class:`~lianfang.screening.services.base.Refused` (``not_found``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import idnumber, pii
from lianfang.core.forms import moment_text
from lianfang.registry.models import DocumentType, Household, Resident
from lianfang.screening.models import TestingRound
from lianfang.screening.services.base import Malformed, Refused, _parse_time, echo

BARCODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{5,39}$")
HOUSEHOLD_QR_PREFIX = "LFH:"


@dataclass
class Person:
    """Who is being swabbed, as resolved from a scan or a pick."""

    resident: Resident | None
    name: str
    id_number: str = ""
    document_type: str = DocumentType.RESIDENT_ID
    guardian: Resident | None = None
    # the round member id when the caller already looked it up (desk fast path); None = not looked up
    member_id: int | None = None
    member_known: bool = False

    @property
    def key(self) -> str:
        if self.resident is not None:
            return f"r{self.resident.pk}"
        if self.id_number:
            return "i" + pii.lookup_hash("id", self.id_number)[:30]
        if self.guardian is not None:
            return f"g{self.guardian.pk}:{self.name}"[:40]
        return ""


def household_qr_payload(household: Household) -> str:
    """The text of a household's printed QR code: ``LFH:<id>:<16 hex of a keyed hash>``."""
    return f"{HOUSEHOLD_QR_PREFIX}{household.pk}:{pii.lookup_hash('household-qr', str(household.pk))[:16]}"


def household_from_qr(text: str) -> Household:
    """The household named by a QR payload; Refused(``not_found``) for a forged or unknown code."""
    try:
        _prefix, pk, sig = text.split(":")
        household = Household.objects.get(pk=int(pk))
    except (ValueError, Household.DoesNotExist):
        raise Refused("not_found", _("Unknown household QR code “%(value)s”") % {"value": echo(text)}) from None
    if household_qr_payload(household) != text:
        raise Refused("not_found", _("Unknown household QR code “%(value)s”") % {"value": echo(text)})
    return household


def resolve_id(raw: str, *, name: str = "") -> Person:
    """The person carrying ID number ``raw`` (GB 11643): the registered resident, or an unregistered
    person kept "to verify" (never dropped). Refused(``bad_input``) for an invalid number."""
    number = _parse_id(raw)
    resident = Resident.objects.filter(id_hash=pii.lookup_hash("id", number)).first()
    if resident is not None:
        return Person(resident=resident, name=resident.name, id_number=number)
    return _unregistered(number, name)


def _parse_id(raw: str) -> str:
    try:
        return idnumber.parse(raw).number
    except idnumber.IdNumberError as exc:
        raise Malformed(_("%(error)s: “%(value)s”") % {"error": exc, "value": echo(raw)}) from None


def _unregistered(number: str, name: str) -> Person:
    return Person(resident=None, name=" ".join(name.split()) or _("(unregistered)"), id_number=number)


def resolve_child(guardian_id: str, child_name: str) -> Person:
    """A child without an ID number, via a guardian's ID: the guardian's ward of that name (or the
    only ward without a document), else an unregistered child kept with the guardian. Raises
    :class:`Malformed` for an unreadable guardian ID, and (field ``name``) when a name is needed and
    none is given."""
    guardian = resolve_id(guardian_id)
    child_name = " ".join((child_name or "").split())
    if guardian.resident is None:
        if not child_name:
            raise Malformed(_("Give the child's name"), {"field": "name"})
        return Person(resident=None, name=child_name, document_type=DocumentType.NONE)
    wards = list(Resident.objects.filter(guardian=guardian.resident, is_deceased=False))
    match = [w for w in wards if w.name == child_name] if child_name else [w for w in wards if not w.id_hash]
    if len(match) == 1:
        return Person(resident=match[0], name=match[0].name, guardian=guardian.resident)
    if not child_name:
        raise Malformed(_("Give the child's name"), {"field": "name"})
    return Person(resident=None, name=child_name, document_type=DocumentType.NONE, guardian=guardian.resident)


def _looks_like_id(value: str) -> bool:
    text = unicodedata.normalize("NFKC", value).strip().upper()
    return bool(re.fullmatch(r"\d{17}[\dX]|\d{15}", text))


def _looks_like_barcode(value: str) -> bool:
    """Whether a scanned ``value`` is a tube barcode: ASCII as a scanner types it (full-width digits
    are someone typing an ID number), not a household QR code, not an ID number (:func:`is_tube_barcode`)."""
    text = value.strip().upper()
    if not text.isascii() or text.startswith(HOUSEHOLD_QR_PREFIX) or _looks_like_id(text):
        return False
    return is_tube_barcode(text)


def is_tube_barcode(text: str) -> bool:
    """Whether ``text`` (upper case) can be a tube barcode: 6-40 letters, digits or dashes
    (:data:`BARCODE_RE`) and not a bare number of :data:`ID_LIKE_DIGITS` digits or more, which is an
    ID number mistyped or misread (16 or 17 digits), never a barcode."""
    return bool(BARCODE_RE.match(text)) and not (text.isdigit() and len(text) >= ID_LIKE_DIGITS)


ID_LIKE_DIGITS = 15


def shown_barcode(barcode: str) -> str:
    """A tube barcode as desk messages show it: digit runs as long as an ID number masked."""
    return pii.mask_numbers_in(barcode, shortest=ID_LIKE_DIGITS)


def _scan_problem(value: str) -> Malformed | None:
    """Why a ``scan`` cannot be read, or None: an ID number that does not validate (GB 11643), or a
    value that is neither an ID number, a household QR code nor a tube barcode (quoted masked and
    cut, :func:`echo`)."""
    if _looks_like_id(value):
        try:
            _parse_id(value)
        except Malformed as exc:
            return Malformed(exc.messages[0], {"field": "value"})
        return None
    if value.upper().startswith(HOUSEHOLD_QR_PREFIX) or _looks_like_barcode(value):
        return None
    return Malformed(
        _("“%(value)s” is not an ID number, a household code or a tube barcode") % {"value": echo(value)},
        {"field": "value"},
    )


CLOCK_SKEW = dt.timedelta(minutes=5)


def _sample_time(text: str, rnd: TestingRound) -> dt.datetime:
    """The time ``at`` a desk says a sample was taken (ISO 8601; an offline queue sends it late).
    Nothing is clamped: a time more than :data:`CLOCK_SKEW` ahead of the server's clock, before the
    round opened, or unreadable raises Refused(``bad_input``) with ``{"field": "at", "value": text}``."""
    at = _parse_time(text)
    detail = {"field": "at", "value": text}
    if at is None:
        raise Refused("bad_input", _("Sample time “%(value)s” is not a date and time") % {"value": text}, detail)
    if at > timezone.now() + CLOCK_SKEW:
        raise Refused(
            "bad_input",
            _("Sample time “%(value)s” is in the future: check the device's clock") % {"value": text},
            detail,
        )
    if at < rnd.opened_at:
        raise Refused(
            "bad_input",
            _("Sample time “%(value)s” is before round %(name)s opened (%(opened)s)")
            % {"value": text, "name": rnd.name, "opened": moment_text(rnd.opened_at)},
            detail,
        )
    return at
