"""Entry/exit registration at a gate (出入登记): a resident or a visitor, decided by the tier of the
gate's area and the field rule set."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import audit, fielderrors, idnumber, pii
from lianfang.fieldops import adapters, selectors
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.models import Gate, GateDecision, GateReason, PassageRecord, Purpose, SubjectKind
from lianfang.fieldops.services.base import FIELD, _now, _require, _text, _user


def passage_register(
    *,
    actor,
    gate: Gate,
    direction: str,
    purpose: str,
    resident=None,
    visitor_name: str = "",
    visitor_id: str = "",
    visitor_phone: str = "",
    pass_ref: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> PassageRecord:
    """Register a person at ``gate`` and decide (出入登记): a ``resident`` (found by the guard by ID
    number, household QR code or name) or a visitor by name (ID and phone optional, sealed).

    The tier of the gate's area at ``at`` and the field rule set's ``gate_rules`` decide
    (rules.gate_decide): in a sealed area only valid passes, deliveries and emergencies go through.
    A medical exit pass (assistance app) is checked: ``pass_ref`` when presented, else the
    resident's own valid pass. A closed gate lets only emergencies through. Refusals are recorded
    with their reason code. Raises ValidationError naming the field; PermissionDenied without
    FIELD_WORK at the gate.
    """
    at = _now(at)
    errors = {}
    if direction not in ("in", "out"):
        errors["direction"] = _("in or out, got “%(v)s”") % {"v": direction}
    if purpose not in Purpose.values:
        errors["purpose"] = _("unknown purpose “%(v)s”") % {"v": purpose}
    visitor_name = _text(visitor_name, "visitor_name", required=False, max_length=60)
    if resident is None and not visitor_name:
        errors["visitor_name"] = _("choose a resident or give the visitor's name")
    sealed_id = ""
    if visitor_id and resident is None:
        try:
            sealed_id = idnumber.parse(visitor_id).number
        except idnumber.IdNumberError as exc:
            errors["visitor_id"] = fielderrors.reason_with_value(exc, visitor_id)
    sealed_phone = ""
    if visitor_phone and resident is None:
        try:
            sealed_phone = pii.normalize_phone(visitor_phone)
        except pii.PhoneError as exc:
            errors["visitor_phone"] = fielderrors.reason_with_value(exc, visitor_phone)
    if errors:
        raise ValidationError(errors)
    _require(actor, FIELD, gate.path)
    rules = field_rules.in_force(timezone.localdate(at))
    tier_key = selectors.tier_key_of_path(gate.path, on=at)
    household = resident.household if resident is not None else None
    pass_valid, pass_found = adapters.valid_exit_pass(
        resident=resident,
        household=household,
        pass_ref=_text(pass_ref, "pass_ref", required=False, max_length=60),
        at=at,
    )
    if not gate.is_active and purpose != Purpose.EMERGENCY:
        decision = field_rules.Decision(False, GateReason.GATE_CLOSED)
    else:
        decision = field_rules.gate_decide(
            rules=rules, tier_key=tier_key, direction=direction, purpose=purpose, pass_valid=pass_valid
        )
    record = PassageRecord(
        district_id=gate.district_id,
        path=gate.path,
        gate=gate,
        at=at,
        direction=direction,
        subject_kind=SubjectKind.RESIDENT if resident is not None else SubjectKind.VISITOR,
        resident=resident,
        household=household,
        visitor_name="" if resident is not None else visitor_name,
        purpose=purpose,
        pass_ref=pass_found,
        pass_valid=pass_valid,
        tier_key=tier_key,
        decision=GateDecision.ALLOWED if decision.allowed else GateDecision.REFUSED,
        reason_code=decision.reason,
        note=_text(note, "note", required=False),
        recorded_by=_user(actor),
    )
    if sealed_id:
        record.set_id_number(sealed_id)
    if sealed_phone:
        record.set_phone(sealed_phone)
    with transaction.atomic():
        record.save()
        audit.record(
            actor=actor,
            action="fieldops.passage",
            obj=record,
            reason=decision.reason,
            detail={"decision": record.decision, "tier": tier_key, "purpose": purpose, "direction": direction},
        )
    return record
