"""Filing a need (intake): :func:`service_request_create` opens a ticket (first deadlines, routing,
the emergency alert) or joins the household's open ticket of the same need, and replays a repeated
idempotency key or partner reference without writing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lianfang.assistance import adapters, hooks, rules, texts
from lianfang.assistance.models import (
    LINKABLE_STATUSES,
    Category,
    Channel,
    EventKind,
    FiledBy,
    Intake,
    NotificationKind,
    Priority,
    ServiceRequest,
    Status,
    Step,
)
from lianfang.assistance.services.base import (
    MAX_TEXT,
    _emergency_alert,
    _event,
    _fresh,
    _notify,
    _now,
    _user,
)
from lianfang.core import audit, fielderrors, pii
from lianfang.registry.models import Household, Resident
from lianfang.registry.services import name_problem

auto_text = texts.auto_text
EMERGENCY_TEXT = gettext_noop("Emergency medical")
"""The text of an emergency filed without words (the category's name, in the reader's language)."""


def _validate_intake(
    *,
    household,
    category,
    description,
    channel,
    filed_by,
    resident,
    resident_urgency,
    reporter_name,
    phone,
    partner_name,
    partner_ref,
    idempotency_key,
    reporter,
) -> tuple[str, str, str]:
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = _("unknown request category “%s”") % (category,)
    if channel not in Channel.values:
        errors["channel"] = _("unknown channel “%s”") % (channel,)
    if filed_by not in FiledBy.values:
        errors["filed_by"] = _("unknown value “%s”") % (filed_by,)
    text = " ".join(str(description or "").split())
    if fielderrors.is_blank(text):  # white space or zero-width characters only: nothing was said
        text = ""
    if not text and category == Category.EMERGENCY_MEDICAL:
        text = str(Category(category).label)
    if not text:
        errors["description"] = _("please describe what is needed")
    elif len(text) > MAX_TEXT:
        errors["description"] = _("at most %(n)d characters, got %(got)d") % {"n": MAX_TEXT, "got": len(text)}
    if not errors.get("description") and (problem := fielderrors.control_character_problem(str(description or ""))):
        errors["description"] = problem
    for name, value in (("partner_name", partner_name), ("partner_ref", partner_ref)):
        if problem := fielderrors.control_character_problem(value, multiline=False):
            errors[name] = problem
    if resident_urgency not in ("", *Priority.values):
        errors["resident_urgency"] = _("unknown urgency “%s”") % (resident_urgency,)
    if resident is not None and (resident.household_id != household.pk or resident.is_deceased):
        errors["resident"] = _("%(name)s is not a member of household %(household)s") % {
            "name": resident,
            "household": household.pk,
        }
    if reporter_name and (problem := name_problem(reporter_name)):  # markup, control characters, > 60 characters
        errors["reporter_name"] = problem
    normalized_phone = ""
    if phone:
        try:
            normalized_phone = pii.normalize_phone(phone)
        except pii.PhoneError as exc:
            errors["phone"] = fielderrors.reason_with_value(exc, phone)
    if partner_ref and not partner_name:
        errors["partner_name"] = _("a partner reference needs the partner's name")
    if len(partner_ref) > 80 or len(partner_name) > 80:
        errors["partner_ref"] = _("at most %(n)d characters, got %(got)d") % {"n": 80, "got": len(partner_ref)}
    if idempotency_key and reporter is None:
        errors["idempotency_key"] = _("an idempotency key needs a signed-in reporter")
    if len(idempotency_key) > 80:
        errors["idempotency_key"] = _("at most %(n)d characters, got %(got)d") % {"n": 80, "got": len(idempotency_key)}
    if errors:
        raise ValidationError(errors)
    return text, normalized_phone, filed_by


def _replay(intake: Intake, household, category) -> ServiceRequest:
    ticket = intake.ticket
    if ticket.household_id != household.pk or ticket.category != category:
        raise ValidationError(
            {"idempotency_key": _("this key was already used for request %(number)s") % {"number": ticket.number}}
        )
    ticket.intake, ticket.linked, ticket.replayed = intake, intake.linked, True
    return ticket


def _default_filed_by(channel: str, reporter) -> str:
    return {
        Channel.QR: FiledBy.HOUSEHOLD,
        Channel.PARTNER: FiledBy.PARTNER,
        Channel.PROACTIVE: FiledBy.STAFF if reporter is not None else FiledBy.SYSTEM,
    }.get(channel, FiledBy.STAFF if reporter is not None else FiledBy.SYSTEM)


def service_request_create(
    *,
    actor,
    household: Household,
    category: str,
    description: str = "",
    channel: str = Channel.STAFF,
    filed_by: str | None = None,
    resident: Resident | None = None,
    resident_urgency: str = "",
    reporter_name: str = "",
    phone: str = "",
    partner_name: str = "",
    partner_ref: str = "",
    idempotency_key: str = "",
    at: dt.datetime | None = None,
    text: dict | None = None,
) -> ServiceRequest:
    """File a need of ``household`` through ``channel``; returns its ticket.

    ``actor``: the signed-in person filing (the household must be in their scope, else PermissionDenied),
    or None for the QR link (the view has checked the token) and for system work (proactive care, other
    apps' automatic requests). ``category`` is a Category value; ``description`` is required except for
    an emergency; ``resident`` (optional) is the member in need; ``resident_urgency`` a Priority value as
    the resident stated it (kept as given). ``filed_by`` (FiledBy) defaults from the channel; a relative
    or volunteer filing as a proxy passes ``FiledBy.RELATIVE``/``VOLUNTEER`` and ``reporter_name``;
    ``phone`` is the caller's number (stored sealed). ``reporter_name`` follows the rule for residents'
    names (registry.services.name_problem: no markup such as ``<b>x</b>``, no control characters, at
    most 60 characters); ``description`` may hold line breaks but no other control characters (BEL …),
    ``partner_name`` and ``partner_ref`` none (core.fielderrors.control_character_problem).
    ``text`` (``assistance.texts.auto_text(msgid, **values)``) is the text of an automatic ticket (a
    refill, a home-monitoring reading): the description is rendered from it in the default language and
    pages show it in the reader's; a description of white space or zero-width characters only is
    missing (core.fielderrors.is_blank).

    One ticket per need: when the household already has a ticket of the same category that is new,
    accepted or in progress, the intake joins it (a ``linked`` event; no clock changes) instead of
    opening another. Replays return the earlier answer without writing: the same ``idempotency_key``
    from the same reporter, or the same ``partner_name`` + ``partner_ref``.

    The returned ServiceRequest carries ``intake`` (the Intake row), ``linked`` (joined an open ticket)
    and ``replayed`` (nothing was written). A new emergency alerts the compound's gate duty post at once
    (hooks.register_emergency_listener) and is never gated by test status. Raises ValidationError naming
    each bad field, PermissionDenied, or rules.NoRuleSetError when no service rule set is in force.
    """
    now = _now(at)
    reporter = _user(actor)
    auto = text or None  # ``text`` is reused below for the checked description
    if not auto and category == Category.EMERGENCY_MEDICAL and fielderrors.is_blank(description):
        auto = auto_text(EMERGENCY_TEXT)  # an emergency needs no words; the reader sees it in their language
    if auto:
        description = texts.stored(auto)
    filed_by = filed_by or _default_filed_by(channel, reporter)
    reporter_name = (reporter_name or "").strip()
    text, normalized_phone, filed_by = _validate_intake(
        household=household,
        category=category,
        description=description,
        channel=channel,
        filed_by=filed_by,
        resident=resident,
        resident_urgency=resident_urgency,
        reporter_name=reporter_name,
        phone=phone,
        partner_name=partner_name,
        partner_ref=partner_ref,
        idempotency_key=idempotency_key,
        reporter=reporter,
    )
    if reporter is not None and not Household.objects.visible_to(reporter).filter(pk=household.pk).exists():
        raise PermissionDenied(_("Household %s is not in your area.") % household.pk)
    if idempotency_key:
        earlier = Intake.objects.filter(reporter=reporter, idempotency_key=idempotency_key).select_related("ticket")
        if earlier:
            return _replay(earlier[0], household, category)
    if partner_ref:
        earlier = Intake.objects.filter(partner_name=partner_name, partner_ref=partner_ref).select_related("ticket")
        if earlier:
            return _replay(earlier[0], household, category)
    intake = Intake(
        path=household.path,
        channel=channel,
        filed_by=filed_by,
        reporter=reporter,
        reporter_name=reporter_name or (str(reporter) if reporter else ""),
        description=text,
        resident_urgency=resident_urgency,
        partner_name=partner_name,
        partner_ref=partner_ref,
        idempotency_key=idempotency_key,
        received_at=now,
    )
    if normalized_phone:
        intake.set_phone(normalized_phone)
    with transaction.atomic():
        # Serialise intakes of one household (PostgreSQL row lock; SQLite transactions are IMMEDIATE).
        list(Household.objects.select_for_update().filter(pk=household.pk).values_list("pk"))
        open_ticket = (
            ServiceRequest.objects.select_for_update()
            .filter(household=household, category=category, status__in=LINKABLE_STATUSES)
            .first()
        )
        if open_ticket is not None:
            ticket = _link(open_ticket, intake, actor=actor, at=now, text=auto)
        else:
            ticket = _open(household, intake, category=category, resident=resident, actor=actor, at=now, text=auto)
    ticket.intake, ticket.replayed = intake, False
    return ticket


def _link(ticket: ServiceRequest, intake: Intake, *, actor, at, text: dict | None = None) -> ServiceRequest:
    intake.ticket, intake.linked = ticket, True
    intake.save()
    ServiceRequest.objects.filter(pk=ticket.pk).update(intake_count=F("intake_count") + 1, updated_at=at)
    ticket.intake_count += 1
    _event(
        ticket,
        EventKind.LINKED,
        actor=actor,
        at=at,
        public=True,
        detail={"channel": intake.channel, "filed_by": intake.filed_by, "intake": intake.pk, **_text_detail(text)},
        note=intake.description,
    )
    audit.record(actor=actor, action="link", obj=ticket, detail={"channel": intake.channel, "intake": intake.pk})
    if ticket.priority == Priority.EMERGENCY:
        hooks.emit_emergency(_fresh(ticket), reason="linked")
    ticket.linked = True
    return ticket


def _text_detail(text: dict | None) -> dict:
    """``{"text": text}`` for a timeline event's detail when the intake's text is automatic, else ``{}``."""
    return {"text": text} if text else {}


def _open(
    household: Household, intake: Intake, *, category, resident, actor, at, text: dict | None = None
) -> ServiceRequest:
    day = timezone.localdate(at)
    rule_set = rules.rule_set_in_force(household.district_id, day)
    priority = rules.initial_priority(category, intake.resident_urgency)
    limits = rules.limit_table(rule_set).limits(category, priority)
    due = rules.deadlines(at, limits)
    clock = rules.escalation(current_level=rules.TOP_LEVEL, due=due, reached={}, limits=limits, now=at)
    tier = adapters.tiers_of_households([household.pk], on=at).get(household.pk, adapters.NO_TIER)
    worker, routed_level = adapters.route(household, clock.level, day)
    ticket = ServiceRequest.objects.create(
        district_id=household.district_id,
        community_id=household.community_id,
        compound_id=household.compound_id,
        household=household,
        path=household.path,
        resident=resident,
        category=category,
        description=intake.description,
        text=text or {},
        resident_urgency=intake.resident_urgency,
        priority=priority,
        status=Status.NEW,
        status_reason=EventKind.RECEIVED,
        received_at=at,
        sla_rule_set=rule_set,
        accept_due_at=due[Step.ACCEPT],
        on_site_due_at=due[Step.ON_SITE],
        fulfil_due_at=due[Step.FULFIL],
        due_at=rules.next_due(due, {}),
        escalation_level=clock.level,
        next_escalation_at=clock.next_check,
        routed_worker=worker,
        routed_level=routed_level,
        tier_key=tier.key,
        tier_name=tier.name,
        created_by=intake.reporter,
    )
    ticket.number = f"{day:%Y%m%d}-{ticket.pk:07d}"
    ServiceRequest.objects.filter(pk=ticket.pk).update(number=ticket.number)
    intake.ticket = ticket
    intake.save()
    _event(
        ticket,
        EventKind.RECEIVED,
        actor=actor,
        at=at,
        to_status=Status.NEW,
        reason_code=EventKind.RECEIVED,
        public=True,
        level=routed_level,
        note=intake.description,
        detail={
            "channel": intake.channel,
            "filed_by": intake.filed_by,
            "priority": priority,
            "routed_worker": worker.pk if worker else None,
            "tier": tier.key,
            **_text_detail(text),
        },
    )
    audit.record(
        actor=actor,
        action="create",
        obj=ticket,
        reason=EventKind.RECEIVED,
        detail={"channel": intake.channel, "category": category, "priority": priority, "number": ticket.number},
    )
    if worker is not None:
        _notify(ticket, NotificationKind.NEW_REQUEST, at=at, worker=worker, level=routed_level)
    if priority == Priority.EMERGENCY:
        _emergency_alert(ticket, at=at, reason="intake", actor=actor)
    ticket.linked = False
    return ticket
