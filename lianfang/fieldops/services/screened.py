"""Inflow screening (人员摸排): where a screened person stays (:func:`locate`), adding one
(:func:`screened_person_create`, and :func:`build_person`/:func:`save_person` for importers), active
duplicates, verifying a location known to city level only, and handing a transfer-out over."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import audit, fielderrors, idnumber, pii
from lianfang.core.filters import future_day_error
from lianfang.divisions.models import Division, Level
from lianfang.fieldops.models import (
    CONTACT_CATEGORIES,
    PersonCategory,
    PersonStatus,
    Precision,
    QuarantineTest,
    ScreenedPerson,
    StatusReason,
    TransferOut,
    TransferStatus,
)
from lianfang.fieldops.services.base import SCREENING, StatusConflict, _require, _set_status, _text, _user
from lianfang.fieldops.services.quarantine import contact_classify
from lianfang.registry.services import name_problem


@dataclass(frozen=True)
class Location:
    """Where a screened person stays: ``path``, ``household``/``resident`` when known, ``precision``."""

    path: str
    precision: str
    household: object = None
    resident: object = None

    @property
    def needs_verification(self) -> bool:
        return self.precision == Precision.CITY


def locate(
    *,
    district: Division,
    resident=None,
    household=None,
    division: Division | None = None,
    coarse_at: Division | None = None,
) -> Location:
    """The location of a screened person from the most precise thing known: a resident, a household,
    a division node (community or below), else only the city (coarse: path = ``coarse_at``, by default
    the district, needs verification; an import files such a person at the division it runs in, never
    wider). Raises ValidationError for a node outside ``district`` or above community level, or a
    ``coarse_at`` outside ``district``."""
    if coarse_at is not None and not coarse_at.code.startswith(district.code):
        raise ValidationError({"division": _("%(v)s is not inside %(d)s") % {"v": coarse_at, "d": district.short_name}})
    if resident is not None:
        return Location(resident.household.path, Precision.HOUSEHOLD, resident.household, resident)
    if household is not None:
        return Location(household.path, Precision.HOUSEHOLD, household)
    if division is not None:
        if not division.code.startswith(district.code) or division.level < Level.COMMUNITY:
            raise ValidationError(
                {
                    "division": _("a community or a place inside %(d)s is required, got %(v)s")
                    % {"d": district.short_name, "v": division}
                }
            )
        return Location(division.code, Precision.COMMUNITY)
    return Location((coarse_at or district).code, Precision.CITY)


def _seal_document(person, id_number: str, document_type: str, errors: dict, field_name: str = "id_number") -> None:
    if not id_number:
        return
    if document_type == "resident_id":
        try:
            person.set_id_number(idnumber.parse(id_number).number)
        except idnumber.IdNumberError as exc:
            errors[field_name] = fielderrors.reason_with_value(exc, id_number)
    else:
        person.set_id_number("".join(str(id_number).split()).upper(), document_type)


def _seal_phone(person, phone: str, errors: dict, field_name: str = "phone") -> None:
    if not phone:
        return
    try:
        person.set_phone(pii.normalize_phone(phone))
    except pii.PhoneError as exc:
        errors[field_name] = fielderrors.reason_with_value(exc, phone)


def _check_contact(category, infection, source_contact, last_exposure_on, today, errors) -> None:
    if category not in CONTACT_CATEGORIES:
        return
    if last_exposure_on is None:
        errors["last_exposure_on"] = _("the last exposure day is required for a contact")
    elif error := future_day_error(last_exposure_on, today=today):
        errors["last_exposure_on"] = error
    if category == PersonCategory.CLOSE_CONTACT and infection is None and source_contact is None:
        errors["infection"] = _("a close contact is linked to its index case")
    if category == PersonCategory.SECONDARY_CONTACT:
        if source_contact is None:
            errors["source_contact"] = _("a secondary contact is linked to the close contact it met")
        elif source_contact.category != PersonCategory.CLOSE_CONTACT:
            errors["source_contact"] = _("#%(pk)s is not a close contact") % {"pk": source_contact.pk}
    if infection is not None and last_exposure_on is not None and "last_exposure_on" not in errors:
        window = infection.window_starts_on
        if last_exposure_on < window:
            errors["last_exposure_on"] = _(
                "%(d)s is before the contact window of the index case, which starts on %(w)s"
            ) % {"d": last_exposure_on, "w": window}


def screened_person_create(
    *,
    actor,
    district: Division,
    category: str,
    name: str,
    id_number: str = "",
    document_type: str = "resident_id",
    phone: str = "",
    resident=None,
    household=None,
    division: Division | None = None,
    address: str = "",
    origin: str = "",
    arrived_on: dt.date | None = None,
    risk_area: str = "",
    infection=None,
    source_contact: ScreenedPerson | None = None,
    last_exposure_on: dt.date | None = None,
    today: dt.date | None = None,
) -> ScreenedPerson:
    """Add a person found by screening (人员摸排) and, for a contact whose location is known,
    classify them at once under the operation's rule set (:func:`contact_classify`).

    The location comes from :func:`locate`; a person known only to city level is marked "needs
    verification" and keeps status pending until :func:`screened_person_verify`. A contact needs
    ``last_exposure_on`` (not in the future, not before the index case's contact window) and its
    link: a close contact to its ``infection`` (index case), a secondary contact to the
    ``source_contact`` (a close contact; its infection is inherited). A person already listed in
    the district with the same document is refused (naming the record), and so is an
    ``arrived_on`` in the future. Raises ValidationError naming the field and value;
    PermissionDenied without EDIT_REGISTRY at the location.
    """
    person = build_person(
        district=district,
        category=category,
        name=name,
        id_number=id_number,
        document_type=document_type,
        phone=phone,
        resident=resident,
        household=household,
        division=division,
        address=address,
        origin=origin,
        arrived_on=arrived_on,
        risk_area=risk_area,
        infection=infection,
        source_contact=source_contact,
        last_exposure_on=last_exposure_on,
        created_by=_user(actor),
        today=today,
    )
    _require(actor, SCREENING, person.path)
    return save_person(actor=actor, person=person, today=today)


def build_person(
    *,
    district: Division,
    category: str,
    name: str,
    id_number: str = "",
    document_type: str = "resident_id",
    phone: str = "",
    resident=None,
    household=None,
    division: Division | None = None,
    address: str = "",
    origin: str = "",
    arrived_on: dt.date | None = None,
    risk_area: str = "",
    infection=None,
    source_contact: ScreenedPerson | None = None,
    last_exposure_on: dt.date | None = None,
    created_by=None,
    batch=None,
    check_duplicate: bool = True,
    coarse_at: Division | None = None,
    today: dt.date | None = None,
) -> ScreenedPerson:
    """The validated, unsaved ScreenedPerson of :func:`screened_person_create` (no capability check:
    the caller checks; importers pass ``check_duplicate=False`` after de-duplicating the whole file
    with one query; ``coarse_at`` is where a person known only to city level is filed, see
    :func:`locate`). Raises ValidationError naming every bad field (a name with markup or control
    characters is refused by registry's :func:`~lianfang.registry.services.name_problem`, as for residents)."""
    today = today or timezone.localdate()
    errors: dict[str, str | ValidationError] = {}
    try:
        name = _text(name, "name", max_length=60) if name or resident is None else resident.name
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        if problem := name_problem(name):
            errors["name"] = problem
    for field_name, value in (("address", address), ("origin", origin), ("risk_area", risk_area)):
        if problem := fielderrors.control_character_problem(str(value or "")):
            errors[field_name] = problem
    if category not in PersonCategory.values:
        errors["category"] = _("unknown category “%(v)s”") % {"v": category}
    if source_contact is not None and infection is None:
        infection = source_contact.infection
    _check_contact(category, infection, source_contact, last_exposure_on, today, errors)
    if error := future_day_error(arrived_on, today=today):
        errors["arrived_on"] = error
    location = locate(district=district, resident=resident, household=household, division=division, coarse_at=coarse_at)
    person = ScreenedPerson(
        district=district,
        path=location.path,
        household=location.household,
        resident=location.resident,
        name=name,
        category=category,
        origin=(origin or "")[:120],
        arrived_on=arrived_on,
        risk_area=(risk_area or "")[:200],
        address=(address or "")[:200],
        precision=location.precision,
        needs_verification=location.needs_verification,
        infection=infection,
        source_contact=source_contact,
        last_exposure_on=last_exposure_on,
        import_batch=batch,
        created_by=created_by,
    )
    if resident is not None:
        person.id_enc, person.id_hash, person.id_masked, person.id_last4 = (
            resident.id_enc,
            resident.id_hash,
            resident.id_masked,
            resident.id_last4,
        )
    else:
        _seal_document(person, id_number, document_type, errors)
    _seal_phone(person, phone, errors)
    if check_duplicate and person.id_hash and "id_number" not in errors:
        dup = active_duplicate(district=district, id_hash=person.id_hash, category=category)
        if dup is not None:
            errors["id_number"] = _("already listed as #%(pk)s (%(cat)s)") % {
                "pk": dup.pk,
                "cat": dup.get_category_display(),
            }
    if errors:
        raise ValidationError(errors)
    return person


def save_person(*, actor, person: ScreenedPerson, today: dt.date | None = None) -> ScreenedPerson:
    """Save a person from :func:`build_person`, audited, and classify a located contact."""
    with transaction.atomic():
        person.save()
        audit.record(
            actor=actor,
            action="fieldops.person_create",
            obj=person,
            detail={"category": person.category, "precision": person.precision},
        )
        if person.is_contact and not person.needs_verification:
            contact_classify(actor=actor, person=person, today=today)
    return person


def active_duplicate(*, district: Division, id_hash: str, category: str) -> ScreenedPerson | None:
    """A person already listed in ``district`` with the same document and category and not yet
    released or transferred (a close contact also counts as a duplicate of a secondary one)."""
    categories = list(CONTACT_CATEGORIES) if category in CONTACT_CATEGORIES else [category]
    return (
        ScreenedPerson.objects.filter(district=district, id_hash=id_hash, category__in=categories)
        .exclude(status__in=(PersonStatus.RELEASED, PersonStatus.TRANSFERRED_OUT))
        .order_by("id")
        .first()
    )


def screened_person_verify(
    *, actor, person: ScreenedPerson, evidence: str, resident=None, household=None, division: Division | None = None
) -> ScreenedPerson:
    """Pin the location of a person known only to city level (a resident, household or community
    in the district) and, for a contact, classify them. ``evidence`` (how it was verified) is
    required. Raises ValidationError; PermissionDenied without EDIT_REGISTRY at the new place."""
    evidence = _text(evidence, "evidence", max_length=500)
    if not person.needs_verification:
        raise ValidationError({"person": _("#%(pk)s does not need verification") % {"pk": person.pk}})
    location = locate(district=person.district, resident=resident, household=household, division=division)
    if location.needs_verification:
        raise ValidationError({"division": _("give the resident, household or community where the person stays")})
    _require(actor, SCREENING, location.path)
    with transaction.atomic():
        if (
            ScreenedPerson.objects.filter(pk=person.pk, needs_verification=True).update(
                path=location.path,
                household=location.household,
                resident=location.resident,
                precision=location.precision,
                needs_verification=False,
            )
            != 1
        ):
            raise StatusConflict(_("#%(pk)s was verified meanwhile") % {"pk": person.pk}, code="status_conflict")
        person.path, person.household, person.resident = location.path, location.household, location.resident
        person.precision, person.needs_verification = location.precision, False
        QuarantineTest.objects.filter(person=person).update(path=location.path)
        audit.record(
            actor=actor,
            action="fieldops.person_verify",
            obj=person,
            reason=StatusReason.VERIFIED,
            detail={"evidence": evidence},
        )
        if person.is_contact and person.status == PersonStatus.PENDING:
            contact_classify(actor=actor, person=person)
    return person


def transfer_out_hand_over(*, actor, transfer: TransferOut, note: str = "") -> TransferOut:
    """Mark a transfer-out row handed over to the place where the person is."""
    _require(actor, SCREENING, transfer.path)
    now = timezone.now()
    with transaction.atomic():
        _set_status(
            TransferOut,
            transfer.pk,
            TransferStatus.PENDING,
            status=TransferStatus.HANDED_OVER,
            handed_over_at=now,
            handed_over_by=_user(actor),
        )
        audit.record(actor=actor, action="fieldops.transfer_hand_over", obj=transfer, reason=note[:300])
    transfer.status, transfer.handed_over_at = TransferStatus.HANDED_OVER, now
    return transfer
