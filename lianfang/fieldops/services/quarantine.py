"""The status of screened people and the quarantine of contacts: the allowed transitions,
classification under the operation's rule set (:func:`contact_classify`), status changes by hand,
later exposures, test results (a positive one promoting linked secondary contacts) and moving
contacts on as their periods end (tick). Home statuses start and end home monitoring."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import audit
from lianfang.core.filters import future_day_error
from lianfang.fieldops import evidence as field_evidence
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.models import (
    CONTACT_CATEGORIES,
    HomeMonitoring,
    MonitoringStatus,
    PersonCategory,
    PersonStatus,
    QuarantineTest,
    ScreenedPerson,
    StatusChange,
    StatusReason,
    TestResult,
)
from lianfang.fieldops.services.base import SCREENING, StatusConflict, _now, _require, _set_status, _text, _user

TERMINAL_STATUSES = (PersonStatus.RELEASED, PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT)
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PersonStatus.PENDING: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_ISOLATION,
        PersonStatus.HOME_MONITORING,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
        PersonStatus.TRANSFERRED_OUT,
    ),
    PersonStatus.CENTRALIZED: (
        PersonStatus.HOME_ISOLATION,
        PersonStatus.HOME_MONITORING,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.HOME_ISOLATION: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_MONITORING,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.HOME_MONITORING: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_ISOLATION,
        PersonStatus.RELEASED,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.RELEASED: (
        PersonStatus.CENTRALIZED,
        PersonStatus.HOME_ISOLATION,
        PersonStatus.HOME_MONITORING,
        PersonStatus.IN_CARE,
    ),
    PersonStatus.IN_CARE: (PersonStatus.RELEASED,),
    PersonStatus.TRANSFERRED_OUT: (),
}
HOME_STATUSES = (PersonStatus.HOME_ISOLATION, PersonStatus.HOME_MONITORING)


def _current_rule_set(person: ScreenedPerson):
    from lianfang.zones.selectors import current_rule_set  # noqa: PLC0415

    if person.infection_id:
        return person.infection.operation.rule_set
    return current_rule_set(person.district.code if person.district_id else person.path[:6])


def _record_change(actor, person, old_status, new_status, old_category, reason, evidence, *, at, bulk=None, parts=None):
    StatusChange.objects.create(
        evidence_parts=parts or {},
        district_id=person.district_id,
        path=person.path,
        person=person,
        at=at,
        from_status=old_status,
        to_status=new_status,
        from_category=old_category,
        to_category=person.category,
        reason_code=reason,
        evidence=evidence,
        actor=_user(actor),
        bulk=bulk,
    )
    audit.record(
        actor=actor,
        action="fieldops.person_status",
        obj=person,
        reason=reason,
        detail={"from": old_status, "to": new_status, "category": person.category, "evidence": evidence[:300]},
    )


def _plan_tests(person: ScreenedPerson, plan: field_rules.QuarantinePlan) -> list[QuarantineTest]:
    return [
        QuarantineTest(
            district_id=person.district_id,
            path=person.path,
            person=person,
            phase=t.phase,
            day_number=t.day_number,
            ordinal=i,
            due_on=t.due_on,
        )
        for i, t in enumerate(plan.tests, start=1)
    ]


def contact_classify(
    *,
    actor,
    person: ScreenedPerson,
    today: dt.date | None = None,
    reason: str = StatusReason.CLASSIFIED,
    evidence: str = "",
    category: str | None = None,
    evidence_parts: dict | None = None,
) -> ScreenedPerson:
    """Classify a contact under the operation's rule set (zones.RuleSet.quarantine_for): compute its
    plan from the LAST exposure (rules.quarantine_plan), replace pending test tasks by the plan's
    (results already recorded are kept), and set the status the plan gives on ``today``
    (centralized, home isolation or monitoring, released). ``category`` changes the contact's
    category in the same step (a secondary contact becoming close).

    Refused (ValidationError) for a person whose location needs verification, who is not a
    contact, or whose rule set does not trace its kind; StatusConflict when the person is in care
    or transferred out. Records a StatusChange with ``reason`` and, as evidence, ``evidence`` (a
    person's words) or else the plan, kept as parts (fieldops.evidence) so pages word it in their
    reader's language; ``evidence_parts`` are the parts of a system-written ``evidence``.
    """
    today = today or timezone.localdate()
    if person.needs_verification:
        raise ValidationError({"status": _("the location is known to city level only: verify it first")})
    if category is not None:
        person.category = category
    if not person.is_contact:
        raise ValidationError({"category": _("only contacts are classified by the rule set")})
    rule_set = _current_rule_set(person)
    kind = "close" if person.category == PersonCategory.CLOSE_CONTACT else "secondary"
    plan = field_rules.quarantine_plan(rule_set, kind, person.last_exposure_on)
    new_status = plan.status_on(today)
    at = timezone.now()
    if not evidence:
        evidence_parts = field_evidence.classified(rule_set, person.category, person.last_exposure_on, plan)
        evidence = field_evidence.compose(evidence_parts)
    with transaction.atomic():
        locked = ScreenedPerson.objects.select_for_update().get(pk=person.pk)
        if locked.status in (PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT):
            raise StatusConflict(
                _("#%(pk)s is %(s)s") % {"pk": person.pk, "s": locked.get_status_display()}, code="status_conflict"
            )
        QuarantineTest.objects.filter(person=person, result=TestResult.PENDING).update(result=TestResult.CANCELLED)
        done = set(
            QuarantineTest.objects.filter(
                person=person, result__in=(TestResult.NEGATIVE, TestResult.POSITIVE)
            ).values_list("phase", "day_number", "due_on")
        )
        tests = [t for t in _plan_tests(person, plan) if (t.phase, t.day_number, t.due_on) not in done]
        QuarantineTest.objects.bulk_create(tests)
        ScreenedPerson.objects.filter(pk=person.pk).update(
            status=new_status,
            status_reason=reason,
            status_changed_at=at,
            rule_set=rule_set,
            centralized_until=plan.centralized_until,
            home_until=plan.home_until,
            category=person.category,
            last_exposure_on=person.last_exposure_on,
        )
        person.status, person.status_reason, person.status_changed_at = new_status, reason, at
        person.rule_set, person.centralized_until, person.home_until = rule_set, plan.centralized_until, plan.home_until
        _record_change(
            actor, person, locked.status, new_status, locked.category, reason, evidence, at=at, parts=evidence_parts
        )
        _sync_monitoring(actor, person, today)
    return person


def _sync_monitoring(actor, person: ScreenedPerson, today: dt.date) -> None:
    """Start home monitoring when a person enters a home phase at a known household; end it when
    they leave home phases."""
    active = HomeMonitoring.objects.filter(person=person, status=MonitoringStatus.ACTIVE)
    if person.status in HOME_STATUSES and person.household_id:
        ends_on = person.home_until or today
        if not active.exists() and ends_on >= today:
            HomeMonitoring.objects.create(
                district_id=person.district_id,
                path=person.path,
                household_id=person.household_id,
                resident_id=person.resident_id,
                person=person,
                name=person.name,
                starts_on=today,
                ends_on=ends_on,
                reason=person.get_status_display(),
                created_by=_user(actor),
            )
        else:
            active.update(ends_on=max(ends_on, today))
    elif person.status not in HOME_STATUSES:
        active.update(status=MonitoringStatus.ENDED, ends_on=today)


def _validate_status(person: ScreenedPerson, to_status: str, reason_code: str) -> None:
    errors = {}
    if to_status not in PersonStatus.values:
        errors["to_status"] = _("unknown status “%(v)s”") % {"v": to_status}
    elif to_status not in ALLOWED_TRANSITIONS.get(person.status, ()):
        errors["to_status"] = _("%(a)s cannot become %(b)s") % {
            "a": person.get_status_display(),
            "b": PersonStatus(to_status).label,
        }
    if reason_code not in StatusReason.values:
        errors["reason_code"] = _("unknown reason code “%(v)s”") % {"v": reason_code}
    if person.needs_verification and to_status != PersonStatus.TRANSFERRED_OUT:
        errors["to_status"] = _("the location is known to city level only: verify it before setting a status")
    if errors:
        raise ValidationError(errors)


def _apply_status(actor, person, to_status, reason_code, evidence, *, at, bulk=None, parts=None) -> ScreenedPerson:
    """Validated, capability already checked: conditional update, status change record (``parts``:
    a system-written ``evidence`` as fieldops.evidence parts), monitoring."""
    _validate_status(person, to_status, reason_code)
    old = person.status
    with transaction.atomic():
        _set_status(ScreenedPerson, person.pk, old, status=to_status, status_reason=reason_code, status_changed_at=at)
        person.status, person.status_reason, person.status_changed_at = to_status, reason_code, at
        if to_status in TERMINAL_STATUSES:
            QuarantineTest.objects.filter(person=person, result=TestResult.PENDING).update(result=TestResult.CANCELLED)
        _record_change(
            actor, person, old, to_status, person.category, reason_code, evidence, at=at, bulk=bulk, parts=parts
        )
        _sync_monitoring(actor, person, timezone.localdate(at))
    return person


def screened_person_set_status(
    *,
    actor,
    person: ScreenedPerson,
    to_status: str,
    reason_code: str,
    evidence: str,
    at: dt.datetime | None = None,
) -> ScreenedPerson:
    """Change one person's status by hand, with a reason code and written evidence (both required).

    Conditional update from the status read (StatusConflict if it moved on); transitions are those
    of ALLOWED_TRANSITIONS; a person whose location needs verification can only be transferred out
    (coarse location never sets a status). Home statuses start home monitoring at the household;
    leaving them ends it. Many people at once go through :func:`bulk_status_change_request` (two
    people). Raises ValidationError naming the field; PermissionDenied without EDIT_REGISTRY there.
    """
    at = _now(at)
    evidence = _text(evidence, "evidence", max_length=2000)
    _validate_status(person, to_status, reason_code)
    _require(actor, SCREENING, person.path)
    return _apply_status(actor, person, to_status, reason_code, evidence, at=at)


def contact_exposure_record(*, actor, person: ScreenedPerson, exposure_on: dt.date, evidence: str) -> ScreenedPerson:
    """Record another exposure of a contact: when later than the last one, the period is counted
    again from it (domain.md §3: from the LAST exposure) and the plan rebuilt; an earlier day
    changes nothing. Returns the person."""
    evidence = _text(evidence, "evidence", max_length=500)
    if not person.is_contact:
        raise ValidationError({"category": _("only contacts have exposures")})
    if error := future_day_error(exposure_on):
        raise ValidationError({"exposure_on": error})
    if person.last_exposure_on and exposure_on <= person.last_exposure_on:
        return person
    _require(actor, SCREENING, person.path)
    with transaction.atomic():
        ScreenedPerson.objects.filter(pk=person.pk).update(last_exposure_on=exposure_on)
        person.last_exposure_on = exposure_on
        audit.record(actor=actor, action="fieldops.exposure", obj=person, detail={"day": exposure_on.isoformat()})
        if not person.needs_verification and person.status not in (PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT):
            contact_classify(actor=actor, person=person, reason=StatusReason.EXPOSURE_CHANGED, evidence=evidence)
    return person


def quarantine_test_record(
    *,
    actor,
    test: QuarantineTest,
    result: str,
    result_on: dt.date | None = None,
    sample_ref: str = "",
) -> QuarantineTest:
    """Record a test result (pending → negative/positive).

    A positive result hands the person to medical care (status in_care, reason tested_positive);
    when the person is a close contact and this is their first or second test, every secondary
    contact linked to them becomes a close contact (domain.md §3), re-planned from their own last
    exposure with reason ``linked_positive`` and the test as evidence.
    """
    result_on = result_on or timezone.localdate()
    if result not in (TestResult.NEGATIVE, TestResult.POSITIVE):
        raise ValidationError({"result": _("negative or positive, got “%(v)s”") % {"v": result}})
    if result_on < test.due_on - dt.timedelta(days=1):
        raise ValidationError(
            {"result_on": _("“%(d)s” is before the test was due (%(due)s)") % {"d": result_on, "due": test.due_on}}
        )
    _require(actor, SCREENING, test.path)
    with transaction.atomic():
        if (
            QuarantineTest.objects.filter(pk=test.pk, result=TestResult.PENDING).update(
                result=result,
                result_on=result_on,
                sample_ref=_text(sample_ref, "sample_ref", required=False, max_length=60),
                recorded_by=_user(actor),
            )
            != 1
        ):
            raise StatusConflict(_("this test already has a result"), code="status_conflict")
        test.result, test.result_on = result, result_on
        audit.record(
            actor=actor, action="fieldops.test_result", obj=test, reason=result, detail={"person": test.person_id}
        )
        if result == TestResult.POSITIVE:
            person = ScreenedPerson.objects.get(pk=test.person_id)
            parts = field_evidence.tested_positive(test, result_on)
            evidence = field_evidence.compose(parts)
            if person.status != PersonStatus.IN_CARE and PersonStatus.IN_CARE in ALLOWED_TRANSITIONS.get(
                person.status, ()
            ):
                _apply_status(
                    actor,
                    person,
                    PersonStatus.IN_CARE,
                    StatusReason.TESTED_POSITIVE,
                    evidence,
                    at=timezone.now(),
                    parts=parts,
                )
            if person.category == PersonCategory.CLOSE_CONTACT and test.ordinal <= 2:
                _promote_secondaries(actor, person, parts)
    return test


def _promote_secondaries(actor, close_contact: ScreenedPerson, cause: dict) -> list[ScreenedPerson]:
    """Every secondary contact linked to ``close_contact`` becomes a close contact (domain.md §3),
    re-planned from its own last exposure; one whose location is unverified changes category only.
    ``cause``: the close contact's positive test as fieldops.evidence parts."""
    promoted = []
    parts = field_evidence.linked(close_contact.pk, cause)
    text = field_evidence.compose(parts)
    for person in ScreenedPerson.objects.filter(
        source_contact=close_contact, category=PersonCategory.SECONDARY_CONTACT
    ).exclude(status__in=(PersonStatus.IN_CARE, PersonStatus.TRANSFERRED_OUT)):
        if not person.needs_verification:
            contact_classify(
                actor=actor,
                person=person,
                reason=StatusReason.LINKED_POSITIVE,
                evidence=text,
                category=PersonCategory.CLOSE_CONTACT,
                evidence_parts=parts,
            )
        else:
            with transaction.atomic():
                ScreenedPerson.objects.filter(pk=person.pk).update(category=PersonCategory.CLOSE_CONTACT)
                old_category, person.category = person.category, PersonCategory.CLOSE_CONTACT
                _record_change(
                    actor,
                    person,
                    person.status,
                    person.status,
                    old_category,
                    StatusReason.LINKED_POSITIVE,
                    text,
                    at=timezone.now(),
                    parts=parts,
                )
        promoted.append(person)
    return promoted


def quarantine_progress(*, today: dt.date | None = None) -> dict[str, int]:
    """System work (tick): move classified contacts on as their periods end (centralized → home
    phase → released, reason phase_ended), only when every test due so far is negative; a person
    with a pending or missing result stays and is counted in ``held``. Idempotent."""
    today = today or timezone.localdate()
    counts = {"moved": 0, "held": 0}
    people = ScreenedPerson.objects.filter(
        category__in=CONTACT_CATEGORIES,
        needs_verification=False,
        rule_set__isnull=False,
        status__in=(PersonStatus.CENTRALIZED, PersonStatus.HOME_ISOLATION, PersonStatus.HOME_MONITORING),
    ).select_related("rule_set")
    for person in people:
        kind = "close" if person.category == PersonCategory.CLOSE_CONTACT else "secondary"
        plan = field_rules.quarantine_plan(person.rule_set, kind, person.last_exposure_on)
        target = plan.status_on(today)
        if target == person.status:
            continue
        open_tests = QuarantineTest.objects.filter(person=person, due_on__lt=today, result=TestResult.PENDING).exists()
        positive = QuarantineTest.objects.filter(person=person, result=TestResult.POSITIVE).exists()
        if open_tests or positive:
            counts["held"] += 1
            continue
        parts = field_evidence.phase_ended(person.rule_set, today - dt.timedelta(days=1), person.last_exposure_on)
        try:
            _apply_status(
                None,
                person,
                target,
                StatusReason.PHASE_ENDED,
                field_evidence.compose(parts),
                at=timezone.now(),
                parts=parts,
            )
        except (StatusConflict, ValidationError):
            counts["held"] += 1
            continue
        counts["moved"] += 1
    return counts
