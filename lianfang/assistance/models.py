"""Service requests (诉求 / 上门服务) and supply distribution (物资配送) for locked-down households.

Terms: ../shared/docs/domain.md §1 ("service request", "supply distribution", "sealed area") and §7
("Requests for medicine or emergency care 'never recorded'; emergencies delayed by test-status checks
and by hand-offs that nobody accepted; the same request open on three channels").

- :class:`ServiceRequest` (诉求工单) — one ticket per need of a household. Every arrival of the need
  through a channel is an :class:`Intake` (受理记录); the same household and need arriving through
  several channels joins the open ticket instead of opening another (database constraint
  ``servicerequest_one_open_per_need``). Status: new → accepted (explicitly, by a named assignee) →
  in progress → fulfilled → confirmed by the household, or closed with an outcome and a reason.
  Nothing is deleted; the history is :class:`TicketEvent` (append-only).
- :class:`SlaRuleSet` / :class:`SlaLimit` (服务时限规则) — time limits per category and priority as
  versioned data; clocks always count from the ticket's first intake (``received_at``) and never reset.
- :class:`Notification` (提醒) — escalations, emergency alerts to the compound's gate duty post, hand-offs.
- :class:`HouseholdToken` (住户二维码) — the per-household, revocable token of the printed QR link.
- :class:`ExitPass` / :class:`ExitPassWindow` (就医出行证) — a medical exit pass with its time windows.
- :class:`CareMedicine` (慢病用药档案) and :class:`CheckInTask` (每日问候) — proactive care.
- :class:`SupplyPlan` / :class:`SupplyDelivery` (物资配送计划 / 配送清单).

Every model holding personal or operational data is scoped (core.scoping) through a ``path`` column
that repeats the household's (or the plan's) division code.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import SealedPhoneMixin
from lianfang.core.scoping import ScopedManager, ScopedQuerySet

# ------------------------------------------------------------------------------------------ vocabularies


class Category(models.TextChoices):
    """What the household needs (诉求类别), issue 7 §1."""

    EMERGENCY_MEDICAL = "emergency_medical", _("Emergency medical")
    # A medical visit (domain.md §1 "medical visit"): a fever found by home monitoring goes to the fever
    # clinic under this category (fieldops), as do dialysis, chemotherapy, pregnancy checks, injections.
    MEDICAL_TRIP = (
        "medical_trip",
        _("Medical visit (fever clinic, dialysis, chemotherapy, pregnancy check, injections)"),
    )
    MEDICINE = "medicine", _("Medicine")
    GROCERIES = "groceries", _("Groceries and daily necessities")
    OTHER = "other", _("Other help")


class Priority(models.TextChoices):
    """How fast (优先级). The resident's own urgency is kept; staff triage sets the priority the clocks use."""

    EMERGENCY = "emergency", _("Emergency")
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")


PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.URGENT: 1, Priority.NORMAL: 2}


class Channel(models.TextChoices):
    """How a need arrived (受理渠道)."""

    QR = "qr", _("Household QR link")
    STAFF = "staff", _("Staff on behalf of the household")
    HOTLINE = "hotline", _("Hotline")
    PARTNER = "partner", _("Partner list")
    PROACTIVE = "proactive", _("Proactive care")
    MONITORING = "monitoring", _("Home health monitoring")
    API = "api", _("API")


class FiledBy(models.TextChoices):
    """Who filed it (提交人身份): the household, a proxy, staff, or Lianfang itself."""

    HOUSEHOLD = "household", _("The household")
    RELATIVE = "relative", _("A relative (proxy)")
    VOLUNTEER = "volunteer", _("A volunteer or neighbour (proxy)")
    STAFF = "staff", _("Staff")
    PARTNER = "partner", _("Partner organisation")
    SYSTEM = "system", _("Lianfang (automatic)")


class Status(models.TextChoices):
    """new → accepted → in progress → fulfilled → confirmed; closed (with an outcome) from any open status."""

    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    FULFILLED = "fulfilled", _("Fulfilled")
    CONFIRMED = "confirmed", _("Confirmed by the household")
    CLOSED = "closed", _("Closed")


# A need arriving again while its ticket is in one of these statuses joins that ticket.
LINKABLE_STATUSES = (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS)
# Work not finished yet (dashboards, load): a fulfilled ticket only waits for the household.
OPEN_STATUSES = LINKABLE_STATUSES
FINAL_STATUSES = (Status.CONFIRMED, Status.CLOSED)


class Outcome(models.TextChoices):
    """Why a ticket was closed without the household's confirmation (结案原因)."""

    REFERRED = "referred", _("Referred to a hospital or the 120 ambulance")
    WITHDRAWN = "withdrawn", _("Withdrawn by the household")
    NOT_NEEDED = "not_needed", _("No longer needed")
    UNREACHABLE = "unreachable", _("Household could not be reached")
    UNCONFIRMED = "unconfirmed", _("Fulfilled; the household did not confirm")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")
    OTHER = "other", _("Other")


class Step(models.TextChoices):
    """A clocked step of a ticket (时限节点)."""

    ACCEPT = "accept", _("Accepted")
    ON_SITE = "on_site", _("Someone on site")
    FULFIL = "fulfil", _("Fulfilled")


class EventKind(models.TextChoices):
    """What happened to a ticket (the reason code of a status change is its kind, or the outcome)."""

    RECEIVED = "received", _("Received")
    LINKED = "linked", _("Same need received again (linked)")
    TRIAGED = "triaged", _("Priority set")
    ACCEPTED = "accepted", _("Accepted")
    HANDOFF_OFFERED = "handoff_offered", _("Hand-off offered")
    HANDOFF_ACCEPTED = "handoff_accepted", _("Hand-off accepted")
    STARTED = "started", _("Work started")
    ON_SITE = "on_site", _("Someone on site")
    FULFILLED = "fulfilled", _("Fulfilled")
    CONFIRMED = "confirmed", _("Confirmed by the household")
    CLOSED = "closed", _("Closed")
    ESCALATED = "escalated", _("Overdue: escalated")
    EMERGENCY_ALERT = "emergency_alert", _("Gate duty post alerted")
    NOTE = "note", _("Note")
    PASS_ISSUED = "pass_issued", _("Medical exit pass issued")


# ------------------------------------------------------------------------------------------ rule sets


class SlaRuleSet(models.Model):
    """A versioned set of service time limits and care rules (服务时限规则集).

    The set in force for a district on a day is the one with the latest ``effective_from`` on or before
    the day, a local variant (``district`` set) before a national one (:func:`lianfang.assistance.rules.
    rule_set_in_force`). A ticket keeps the set that was in force when it was received.

    Care rules: ``care_tiers`` — zone tier keys (zones.TierKey) whose households get daily check-ins and
    whose medical trips need an exit pass; ``check_in_flags`` — registry vulnerability flags that make a
    resident eligible for daily check-ins; ``refill_lead_days`` — a refill request opens this many days
    before a medicine runs out; ``pack_sizes`` — ``[{"max_people": 2, "label": "..."}, ..., {"max_people":
    null, "label": "..."}]`` in ascending order, the default pack table copied into a new supply plan.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    source = models.TextField(_("source"))
    effective_from = models.DateField(_("effective from"))
    district = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("district (local variant)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_builtin = models.BooleanField(_("shipped"), default=False)
    care_tiers = models.JSONField(_("zone tiers with door-to-door care"), default=list)
    check_in_flags = models.JSONField(_("vulnerability flags with daily check-ins"), default=list)
    refill_lead_days = models.PositiveSmallIntegerField(_("refill request opens days before running out"), default=3)
    pack_sizes = models.JSONField(_("supply pack sizes by headcount"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("service rule set")
        verbose_name_plural = _("service rule sets")
        ordering = ["-effective_from", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the active language: ``name_en`` in English when given, else ``name``."""
        return (self.name_en if (get_language() or "").startswith("en") else "") or self.name


class SlaLimit(models.Model):
    """One time limit: a ticket of ``category`` (blank: any) at ``priority`` must reach ``step`` within
    ``minutes`` of its first intake; when it has not, it escalates one level up the responsibility chain
    at once and one more level every ``escalate_every_minutes`` after that (never below level 1).

    A row for the ticket's own category wins over the ``any category`` row for the same priority and step.
    """

    rule_set = models.ForeignKey(
        SlaRuleSet, verbose_name=_("rule set"), on_delete=models.CASCADE, related_name="limits"
    )
    category = models.CharField(_("category (blank: any)"), max_length=20, choices=Category.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    step = models.CharField(_("step"), max_length=8, choices=Step.choices)
    minutes = models.PositiveIntegerField(_("within (minutes)"))
    escalate_every_minutes = models.PositiveIntegerField(_("then escalate every (minutes)"))
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["rule_set", "priority", "category", "step"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "category", "priority", "step"], name="slalimit_unique"),
            models.CheckConstraint(condition=Q(minutes__gt=0, escalate_every_minutes__gt=0), name="slalimit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'}/{self.priority}/{self.step}: {self.minutes} min"


# ------------------------------------------------------------------------------------------ tickets


class KeptQuerySet(ScopedQuerySet):
    """Scoped rows that are never deleted (tickets and their intakes: nothing is deleted, issue 7 §2)."""

    def delete(self):
        raise RuntimeError(f"{self.model.__name__} rows are never deleted: close the ticket instead")


class KeptMixin(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} rows are never deleted: close the ticket instead")


class ServiceRequest(KeptMixin, models.Model):
    """One ticket per need of a household (诉求工单).

    ``number`` is ``YYYYMMDD-NNNNNNN`` (the Asia/Shanghai day of receipt and the id). Timestamps
    (``received_at`` and the time each step was reached) are written once and never changed.
    ``*_due_at`` are the step deadlines (``received_at`` + the limit for the ticket's priority in
    ``sla_rule_set``; NULL: no clock), ``due_at`` the earliest deadline of a step not reached yet;
    ``escalation_level`` the responsibility level (4 = household representative … 1 = street/town
    leadership) the ticket has reached, which only ever goes up the chain; ``next_escalation_at`` when
    ``requests_tick`` must look at it again; ``routed_worker``/``routed_level`` the responsible person it
    is routed to (the nearest level at or above ``escalation_level`` with someone in place).
    ``tier_key``/``tier_name`` are the household's zone tier at intake (information; never a gate).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    number = models.CharField(_("number"), max_length=20, blank=True)
    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "divisions.Division", verbose_name=_("community/village"), on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("compound/village group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="service_requests"
    )
    path = models.CharField(_("division code"), max_length=20)
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("person in need"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"))
    # An automatic ticket's text as a message and its values (assistance.texts), shown in the reader's
    # language; empty for what people typed (``description`` is shown as stored).
    text = models.JSONField(_("automatic text (message and values)"), default=dict, blank=True)
    resident_urgency = models.CharField(
        _("urgency stated by the resident"), max_length=10, choices=Priority.choices, blank=True
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("triaged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    status_reason = models.CharField(_("reason code"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received at"), editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)
    on_site_at = models.DateTimeField(_("on site at"), null=True, blank=True, editable=False)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    close_note = models.TextField(_("reason for closing"), blank=True)
    seconds_to_accept = models.PositiveIntegerField(_("seconds to accept"), null=True, blank=True, editable=False)
    seconds_to_fulfil = models.PositiveIntegerField(_("seconds to fulfil"), null=True, blank=True, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_service_requests",
    )
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hand-off offered to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    offered_at = models.DateTimeField(_("hand-off offered at"), null=True, blank=True)
    sla_rule_set = models.ForeignKey(
        SlaRuleSet, verbose_name=_("service rule set"), on_delete=models.PROTECT, related_name="+"
    )
    accept_due_at = models.DateTimeField(_("accept by"), null=True, blank=True)
    on_site_due_at = models.DateTimeField(_("on site by"), null=True, blank=True)
    fulfil_due_at = models.DateTimeField(_("fulfil by"), null=True, blank=True)
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=4)
    escalated_at = models.DateTimeField(_("last escalated"), null=True, blank=True)
    next_escalation_at = models.DateTimeField(_("next escalation check"), null=True, blank=True)
    routed_worker = models.ForeignKey(
        "workforce.Worker",
        verbose_name=_("routed to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    routed_level = models.PositiveSmallIntegerField(_("routed to level"), null=True, blank=True)
    tier_key = models.CharField(_("zone tier at intake"), max_length=16, blank=True)
    tier_name = models.CharField(_("zone tier name"), max_length=40, blank=True)
    intake_count = models.PositiveIntegerField(_("intakes"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first filed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="servicerequest_unique_number"),
            models.UniqueConstraint(
                fields=["household", "category"],
                condition=Q(status__in=["new", "accepted", "in_progress"]),
                name="servicerequest_one_open_per_need",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__gte=1, escalation_level__lte=4), name="servicerequest_level_range"
            ),
            models.CheckConstraint(
                condition=Q(status="new") | Q(accepted_at__isnull=False) | Q(status="closed"),
                name="servicerequest_accepted_before_progress",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome=""), name="servicerequest_closed_has_outcome"
            ),
        ]
        indexes = [
            models.Index(fields=["path", "status"], name="sr_path_status_idx"),
            # Covers the board and the load per assignee (open tickets by community, category, assignee,
            # overdue): they read this index alone.
            models.Index(fields=["status", "path", "community", "category", "due_at", "assignee"], name="sr_board_idx"),
            # Covers the median times to accept and to fulfil over a period.
            models.Index(
                fields=["path", "received_at", "seconds_to_accept", "seconds_to_fulfil"], name="sr_durations_idx"
            ),
            models.Index(fields=["status", "due_at"], name="sr_status_due_idx"),
            models.Index(fields=["next_escalation_at"], name="sr_next_escalation_idx"),
            models.Index(fields=["assignee", "status"], name="sr_assignee_idx"),
            models.Index(fields=["household", "status"], name="sr_household_idx"),
            models.Index(fields=["received_at"], name="sr_received_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def audit_division_code(self) -> str:
        return self.path

    @property
    def reference(self) -> str:
        """The ticket number (for other apps' records and alerts)."""
        return self.number

    @property
    def summary(self) -> str:
        """The description cut to 200 characters (alerts, lists)."""
        return self.description[:200]

    @property
    def description_text(self) -> str:
        """The description in the reader's language: an automatic ticket's ``text`` rendered now
        (assistance.texts.render), else the description as stored."""
        from lianfang.assistance.texts import render  # noqa: PLC0415

        return render(self.text, self.description)

    @property
    def tier_label(self) -> str:
        """The zone tier at intake in the reader's language (from ``tier_key``; ``tier_name`` keeps the
        name in the language of the intake and is shown only for a key zones does not know)."""
        from lianfang.assistance.adapters import tier_label  # noqa: PLC0415

        return tier_label(self.tier_key, self.tier_name)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class Intake(KeptMixin, SealedPhoneMixin, models.Model):
    """One arrival of a need through one channel (受理记录); several may belong to one ticket.

    ``linked`` is True when it joined a ticket that was already open. ``reporter`` is the signed-in
    person who filed it (NULL through the QR link); ``reporter_name`` and the sealed ``phone`` are the
    caller as they gave them (hotline, proxy). ``partner_name``/``partner_ref`` identify a row of a
    partner's list (re-importing it links nothing twice); ``idempotency_key`` makes an API create safe to
    retry (unique per reporter).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "ticket__household"

    ticket = models.ForeignKey(
        ServiceRequest, verbose_name=_("service request"), on_delete=models.PROTECT, related_name="intakes"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    filed_by = models.CharField(_("filed by"), max_length=10, choices=FiledBy.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=60, blank=True)
    description = models.TextField(_("description"))
    resident_urgency = models.CharField(_("urgency stated"), max_length=10, choices=Priority.choices, blank=True)
    partner_name = models.CharField(_("partner"), max_length=80, blank=True)
    partner_ref = models.CharField(_("partner reference"), max_length=80, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, blank=True)
    linked = models.BooleanField(_("linked to an open ticket"), default=False)
    received_at = models.DateTimeField(_("received at"))

    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner_name", "partner_ref"], condition=~Q(partner_ref=""), name="intake_unique_partner_ref"
            ),
            models.UniqueConstraint(
                fields=["reporter", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="intake_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.channel} {self.received_at:%Y-%m-%d %H:%M}"


class TicketEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise RuntimeError("ticket events are append-only")

    def delete(self):
        raise RuntimeError("ticket events are append-only")


class TicketEvent(models.Model):
    """One entry of a ticket's timeline (append-only): who did what, when, and why.

    ``from_status``/``to_status`` are set on status changes; ``reason_code`` is the EventKind or, on
    closing, the Outcome. ``level`` is the responsibility level reached (escalations and routing);
    ``public`` events are shown to the household on its QR page.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "ticket__household"

    ticket = models.ForeignKey(
        ServiceRequest, verbose_name=_("service request"), on_delete=models.PROTECT, related_name="events"
    )
    path = models.CharField(_("division code"), max_length=20)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("by (name)"), max_length=80, blank=True)
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    public = models.BooleanField(_("shown to the household"), default=False)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket timeline")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("ticket events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("ticket events are append-only")

    @property
    def note_text(self) -> str:
        """The note in the reader's language: the automatic text of an intake (``detail["text"]``,
        assistance.texts.render), else the note as stored."""
        from lianfang.assistance.texts import render  # noqa: PLC0415

        return render((self.detail or {}).get("text"), self.note)


class NotificationKind(models.TextChoices):
    NEW_REQUEST = "new_request", _("New request from a household you are responsible for")
    ESCALATION = "escalation", _("Overdue request escalated to you")
    EMERGENCY_ALERT = "emergency_alert", _("Emergency in the compound: gate duty post alert")
    HANDOFF = "handoff", _("Request handed off to you")
    REFILL = "refill", _("Medicine refill request opened")


class Notification(models.Model):
    """A notification (提醒) about a ticket for a responsible person (``recipient_worker``, with their
    account in ``recipient_user`` when they have one) or, with no recipient, for everyone in scope of
    ``path`` (an emergency alert to a compound's gate duty post). ``read_at`` is set when read."""

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "ticket__household"

    ticket = models.ForeignKey(
        ServiceRequest, verbose_name=_("service request"), on_delete=models.PROTECT, related_name="notifications"
    )
    path = models.CharField(_("division code"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    recipient_worker = models.ForeignKey(
        "workforce.Worker",
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient_user", "read_at"], name="notification_user_idx"),
            models.Index(fields=["path", "kind"], name="notification_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ticket_id}"


# ------------------------------------------------------------------------------------------ QR tokens


class HouseholdToken(models.Model):
    """The token of a household's printed QR link (住户二维码): per household, revocable.

    Stored as a keyed hash (``token_hash``, for look-up) and encrypted (``token_enc``, to print it
    again); ``hint`` is its last 4 characters. At most one live (not revoked) token per household.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"
    # A token is only the household's printed link: rolling back the import that created the household
    # deletes its tokens with it instead of refusing (registry.importing.batches._delete_created).
    GOES_WITH_HOUSEHOLD = True

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="qr_tokens"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    token_hash = models.CharField(_("token look-up hash"), max_length=32, unique=True, editable=False)
    token_enc = models.BinaryField(_("token (encrypted)"), editable=False)
    hint = models.CharField(_("last characters"), max_length=4, editable=False)
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("household QR token")
        verbose_name_plural = _("household QR tokens")
        ordering = ["path", "household_id", "-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(revoked_at__isnull=True), name="householdtoken_one_live"
            ),
        ]

    def __str__(self) -> str:
        return f"…{self.hint}"

    @property
    def audit_division_code(self) -> str:
        return self.path

    def token_plain(self) -> str:
        from lianfang.core import pii  # noqa: PLC0415

        return pii.decrypt(self.token_enc)


# ------------------------------------------------------------------------------------------ exit passes


class PassStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")


class ExitPass(models.Model):
    """A medical exit pass (就医出行证) for one person to one facility, with its time windows.

    Created by one approval of a medical-trip ticket; ``windows`` (:class:`ExitPassWindow`) are the
    allowed times (a daily injection for six days is six windows). The printed pass carries a QR code
    of its verification link (``token_hash`` for look-up, ``token_enc`` to print it again).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    number = models.CharField(_("number"), max_length=24, blank=True)
    ticket = models.ForeignKey(
        ServiceRequest, verbose_name=_("service request"), on_delete=models.PROTECT, related_name="exit_passes"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "registry.Resident", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    destination = models.CharField(_("destination facility"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=120)
    vehicle = models.CharField(_("vehicle"), max_length=60)
    companion = models.CharField(_("companion"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=PassStatus.choices, default=PassStatus.ACTIVE)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    token_hash = models.CharField(_("token look-up hash"), max_length=32, unique=True, editable=False)
    token_enc = models.BinaryField(_("token (encrypted)"), editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("medical exit pass")
        verbose_name_plural = _("medical exit passes")
        ordering = ["-approved_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="exitpass_unique_number"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def audit_division_code(self) -> str:
        return self.path

    def token_plain(self) -> str:
        from lianfang.core import pii  # noqa: PLC0415

        return pii.decrypt(self.token_enc)

    @property
    def reference(self) -> str:
        """The printed pass number (gates record it)."""
        return self.number


class ExitPassWindow(models.Model):
    """One allowed time window of an exit pass: out no earlier than ``starts_at``, back by ``ends_at``."""

    exit_pass = models.ForeignKey(ExitPass, verbose_name=_("pass"), on_delete=models.CASCADE, related_name="windows")
    starts_at = models.DateTimeField(_("out from"))
    ends_at = models.DateTimeField(_("back by"))

    class Meta:
        verbose_name = _("pass window")
        verbose_name_plural = _("pass windows")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["exit_pass", "starts_at"], name="exitpasswindow_unique"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="exitpasswindow_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


# ------------------------------------------------------------------------------------------ proactive care


class CareMedicine(models.Model):
    """A medicine on file for a resident with a chronic illness (慢病用药档案).

    ``stock`` units were on hand at the start of ``stock_counted_on``; ``dose_per_day`` units are taken
    each day. :attr:`runs_out_on` is the first day without enough for a full day's dose.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    resident = models.ForeignKey(
        "registry.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="care_medicines"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    name = models.CharField(_("medicine"), max_length=80)
    unit = models.CharField(_("dose unit"), max_length=12, default="片")
    dose_per_day = models.DecimalField(_("dose per day"), max_digits=8, decimal_places=2)
    stock = models.DecimalField(_("stock on hand"), max_digits=10, decimal_places=2)
    stock_counted_on = models.DateField(_("stock counted on"))
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    refill_ticket = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("refill request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("medicine on file")
        verbose_name_plural = _("medicines on file")
        ordering = ["path", "resident_id", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(dose_per_day__gt=0), name="caremedicine_dose_positive"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="caremedicine_stock_not_negative"),
            models.UniqueConstraint(
                fields=["resident", "name"], condition=Q(active=True), name="caremedicine_one_active_per_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path

    @property
    def days_covered(self) -> int:
        """Whole days of full doses the counted stock covers."""
        return math.floor(Decimal(self.stock) / Decimal(self.dose_per_day))

    @property
    def runs_out_on(self) -> dt.date:
        """The first day without a full day's dose: ``stock_counted_on + floor(stock / dose_per_day)``."""
        return self.stock_counted_on + dt.timedelta(days=self.days_covered)


class CheckInResult(models.TextChoices):
    OK = "ok", _("All well")
    NEEDS_HELP = "needs_help", _("Needs help (a request was opened)")
    UNREACHABLE = "unreachable", _("Could not be reached")


class CheckInTask(models.Model):
    """A daily check-in (每日问候) with a vulnerable resident of a sealed area, for the household's
    representative (``worker``: the L4 person responsible on ``day``, NULL where there is a gap).

    One per resident and day (Asia/Shanghai). ``done_at`` NULL means not done yet.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "registry.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20)
    day = models.DateField(_("day"))
    reasons = models.JSONField(_("why"), default=list)
    worker = models.ForeignKey(
        "workforce.Worker",
        verbose_name=_("household representative"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.CharField(_("result"), max_length=12, choices=CheckInResult.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("service request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("check-in task")
        verbose_name_plural = _("check-in tasks")
        ordering = ["day", "path", "household_id", "resident_id"]
        constraints = [models.UniqueConstraint(fields=["resident", "day"], name="checkintask_one_per_day")]
        indexes = [models.Index(fields=["day", "path"], name="checkintask_day_path_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.resident_id}"

    @property
    def audit_division_code(self) -> str:
        return self.path


# ------------------------------------------------------------------------------------------ supplies


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Delivering")
    CLOSED = "closed", _("Closed")


class SupplyPlan(models.Model):
    """A supply distribution (物资配送) to every household of an area (``division``: a sealed compound,
    building or community) on ``day``. ``pack_sizes`` is the plan's pack table (copied from the rule
    set, editable per plan): ``[{"max_people": 2, "label": "..."}, ..., {"max_people": null, ...}]``."""

    SCOPE_PATH_FIELD = "path"

    name = models.CharField(_("name"), max_length=120)
    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    day = models.DateField(_("delivery day"))
    contents = models.TextField(_("contents"), blank=True)
    pack_sizes = models.JSONField(_("pack sizes by headcount"), default=list)
    status = models.CharField(_("status"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("supply plan")
        verbose_name_plural = _("supply plans")
        ordering = ["-day", "path", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("To deliver")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Could not deliver")


class SupplyDelivery(models.Model):
    """One household's line of a supply plan's checklist (配送清单).

    A registered household has ``household`` set; an unregistered tenant found at the door has
    ``household`` NULL, ``unregistered`` True, and its ``building``, ``room`` and ``headcount`` as told.
    ``pack`` is the label from the plan's pack table for ``headcount``. ``confirmed_at`` is set when
    the household confirms receipt (QR page, or a volunteer on its behalf).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    plan = models.ForeignKey(SupplyPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="deliveries")
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    building = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    address = models.CharField(_("address"), max_length=200)
    room = models.CharField(_("room"), max_length=20, blank=True)
    headcount = models.PositiveSmallIntegerField(_("people"))
    pack = models.CharField(_("pack"), max_length=40)
    unregistered = models.BooleanField(_("unregistered tenants"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    status_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed by the household"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["plan", "path", "room", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "household"],
                condition=Q(household__isnull=False),
                name="supplydelivery_one_per_household",
            ),
            models.CheckConstraint(
                condition=Q(household__isnull=False) | Q(unregistered=True), name="supplydelivery_household_or_tenant"
            ),
        ]
        indexes = [models.Index(fields=["plan", "status"], name="supplydelivery_plan_status_idx")]

    def __str__(self) -> str:
        return self.address

    @property
    def audit_division_code(self) -> str:
        return self.path
