"""Field operations (一线工作): gate duty, patrols, entry/exit, screening and contacts, home
monitoring, disinfection, notices, and the alerts they raise.

Terms: ../shared/docs/domain.md §1 (gate duty 值守, patrol 巡查, entry/exit registration 出入登记,
personnel screening 人员摸排, home health monitoring 居家健康监测, environmental disinfection 环境消杀,
publicity 宣传引导), §2 (tiers), §3 (contacts and quarantine). The operational parameters of this
app (shift patterns, gate rules per tier, fever threshold, disinfection intervals) are rows of
:class:`FieldRuleSet`; quarantine lengths and test days come from the operation's zone rule set
(``zones.RuleSet.quarantine_for``). Nothing here is a code constant.

Every model holding personal or operational data is scoped (core.scoping): ``SCOPE_PATH_FIELD`` is
the division code the row belongs to (``path``), ``SCOPE_HOUSEHOLD_FIELD`` where rows belong to a
household. ``district`` is kept on every row so data can shard by district. Times are aware UTC;
"a day" is a date in Asia/Shanghai (settings.TIME_ZONE).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import bracketed
from lianfang.core.models import SealedIdMixin, SealedPhoneMixin
from lianfang.core.scoping import ScopedManager


def new_token() -> str:
    """A random URL-safe token (16 bytes of entropy) for printed QR codes and public links."""
    return secrets.token_urlsafe(16)


def hours_label(start: dt.datetime, end: dt.datetime) -> str:
    """``"HH:MM–HH:MM"`` in local time; an end at the next midnight reads 24:00."""
    from django.utils import timezone  # noqa: PLC0415

    a, b = timezone.localtime(start), timezone.localtime(end)
    end_text = "24:00" if b.time() == dt.time(0) and b.date() > a.date() else b.strftime("%H:%M")
    return f"{a:%H:%M}–{end_text}"


class DistrictPathMixin(models.Model):
    """Abstract: ``district`` (level-3 division, for sharding) and ``path`` (scoping code)."""

    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(_("division code"), max_length=20, db_index=True)

    class Meta:
        abstract = True

    @property
    def audit_division_code(self) -> str:
        return self.path


# --------------------------------------------------------------------------------------------- rule set


class FieldRuleSet(models.Model):
    """The operational rules of field work as data (一线工作规则), versioned by ``effective_from``.

    - ``shift_patterns``: ``{key: {"name": str, "name_en": str, "shifts": [["08:00", 8], ...]}}``;
      each pattern's shifts (local start time, hours) tile the 24 hours of a day exactly.
    - ``default_shift_pattern``: the key used when a gate names none.
    - ``duty_tiers``: zone tier keys whose gates need 24-hour duty (sealed and controlled areas).
    - ``check_in_grace_minutes``: a guard not checked in this long after the shift start is missed;
      ``early_check_in_minutes``: how early a check-in is accepted.
    - ``gate_rules``: ``{tier_key: {"in": {"free": [purpose], "pass": [purpose]}, "out": {...}}}``;
      a purpose in ``free`` passes, one in ``pass`` passes with a valid medical exit pass, anything
      else is refused. A tier absent from the map (precaution, low, outside every area) lets every
      purpose through (registration only).
    - ``patrol_round_minutes``: a patrol round still open after this long is closed as incomplete;
      ``patrol_min_scan_seconds``: the shortest plausible time between two consecutive checkpoint
      scans of a round (walking from one checkpoint to the next): a scan sooner than that after the
      round's previous scan is refused (default 30 s; 0 switches the check off).
    - ``fever_threshold``: a temperature at or above it (°C) is abnormal; ``abnormal_symptoms``:
      symptom codes that make a check-in abnormal; ``check_in_deadline_hour``: local hour by which
      the day's health check-in is due (after it, today's missing check-ins are flagged).
    - ``disinfection``: ``{tier_key: {"interval_hours": int, "places": [str]}}`` for the public areas
      of compounds in those tiers.

    The set in force on a day is the one with the latest ``effective_from`` on or before it.
    ``source`` cites where the values come from.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    source = models.TextField(_("source"))
    effective_from = models.DateField(_("effective from"))
    shift_patterns = models.JSONField(_("shift patterns"), default=dict)
    default_shift_pattern = models.CharField(_("default shift pattern"), max_length=40)
    duty_tiers = models.JSONField(_("tiers with 24-hour gate duty"), default=list)
    check_in_grace_minutes = models.PositiveSmallIntegerField(_("check-in grace (minutes)"), default=15)
    early_check_in_minutes = models.PositiveSmallIntegerField(_("earliest check-in before start (minutes)"), default=30)
    gate_rules = models.JSONField(_("gate rules per tier"), default=dict)
    patrol_round_minutes = models.PositiveSmallIntegerField(_("longest patrol round (minutes)"), default=120)
    patrol_min_scan_seconds = models.PositiveSmallIntegerField(
        _("shortest time between two checkpoint scans (seconds)"), default=30
    )
    fever_threshold = models.DecimalField(_("fever threshold (°C)"), max_digits=3, decimal_places=1, default=37.3)
    abnormal_symptoms = models.JSONField(_("abnormal symptoms"), default=list)
    check_in_deadline_hour = models.PositiveSmallIntegerField(_("daily health check-in due by (hour)"), default=20)
    disinfection = models.JSONField(_("disinfection per tier"), default=dict)

    class Meta:
        verbose_name = _("field rule set")
        verbose_name_plural = _("field rule sets")
        ordering = ["-effective_from", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(check_in_deadline_hour__lte=24), name="fieldruleset_deadline_hour"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """Validate the JSON rules (rules.validate_field_rule_set): ValidationError naming the field."""
        from lianfang.fieldops.rules import validate_field_rule_set  # noqa: PLC0415

        validate_field_rule_set(self)


# --------------------------------------------------------------------------------------------- gate duty


class GateKind(models.TextChoices):
    """What passes through a gate."""

    PEDESTRIAN = "pedestrian", _("Pedestrian gate")
    VEHICLE = "vehicle", _("Vehicle gate")
    MIXED = "mixed", _("Pedestrian and vehicle gate")


class Gate(DistrictPathMixin):
    """An entrance of a compound or village (出入口 / 卡口); villages have many entrances.

    ``division`` is the compound, village group, community or village it guards; ``path`` its code.
    ``shift_pattern`` names a pattern of the field rule set (blank: its default);
    ``guards_per_shift`` how many guards each shift needs. A closed gate (``is_active`` False) needs no duty.
    """

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("compound or village"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=GateKind.choices, default=GateKind.MIXED)
    shift_pattern = models.CharField(_("shift pattern"), max_length=40, blank=True)
    guards_per_shift = models.PositiveSmallIntegerField(
        _("guards per shift"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    is_active = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["path", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="gate_unique_name"),
            models.CheckConstraint(condition=Q(guards_per_shift__gte=1, guards_per_shift__lte=20), name="gate_guards"),
        ]

    def __str__(self) -> str:
        return self.name


class DutyStatus(models.TextChoices):
    """planned → on_duty → completed; planned → missed (no check-in) → on_duty (late); → cancelled."""

    PLANNED = "planned", _("Planned")
    ON_DUTY = "on_duty", _("On duty")
    COMPLETED = "completed", _("Completed")
    MISSED = "missed", _("Missed check-in")
    CANCELLED = "cancelled", _("Cancelled")


class DutyShift(DistrictPathMixin):
    """One guard slot of a gate for one shift (值守班次): ``starts_at``–``ends_at`` (aware, UTC).

    ``slot`` numbers the guards of the shift (1..guards_per_shift); ``worker`` is NULL while the slot
    is unfilled (an uncovered slot). ``day`` is the local day the shift starts on. Check-in and
    check-out times come from the guard's phone; ``status_reason`` is the reason code of the last
    status change.
    """

    SCOPE_PATH_FIELD = "path"

    gate = models.ForeignKey(Gate, verbose_name=_("gate"), on_delete=models.PROTECT, related_name="shifts")
    day = models.DateField(_("day"), db_index=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    slot = models.PositiveSmallIntegerField(_("guard"), default=1)
    worker = models.ForeignKey(
        "workforce.Worker",
        verbose_name=_("guard"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duty_shifts",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DutyStatus.choices, default=DutyStatus.PLANNED, db_index=True
    )
    status_reason = models.CharField(_("reason code"), max_length=32, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at", "gate_id", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "starts_at", "slot"], name="dutyshift_unique_slot"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="dutyshift_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="dutyshift_status_idx"),
            models.Index(fields=["worker", "starts_at"], name="dutyshift_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.starts_at:%Y-%m-%d %H:%M} #{self.slot}"

    @property
    def hours_label(self) -> str:
        """Local ``"16:00–24:00"`` (an end at midnight is 24:00)."""
        return hours_label(self.starts_at, self.ends_at)


# --------------------------------------------------------------------------------------------- patrols


class Checkpoint(DistrictPathMixin):
    """A patrol checkpoint (巡查点) with a printed QR code; scanning it opens :func:`views.patrol_scan`.

    ``token`` is the secret in the QR code (never a database id); ``position`` orders the route.
    """

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("compound or village"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position on the route"), default=1)
    token = models.CharField(_("QR token"), max_length=40, unique=True, default=new_token, editable=False)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["path", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["division", "name"], name="checkpoint_unique_name")]

    def __str__(self) -> str:
        return self.name


class PatrolStatus(models.TextChoices):
    """in_progress → complete, or incomplete (checkpoints missed)."""

    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETE = "complete", _("Complete")
    INCOMPLETE = "incomplete", _("Checkpoints missed")


class PatrolRound(DistrictPathMixin):
    """One patrol round (巡查) of a compound or village: the checkpoints expected (active when the
    round started, ``expected`` as a list of ids) and the scans made. Finishing with checkpoints
    unscanned marks it incomplete and flags the missed ones (``missed``, ids)."""

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("compound or village"), on_delete=models.PROTECT, related_name="+"
    )
    worker = models.ForeignKey(
        "workforce.Worker", verbose_name=_("patrol"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PatrolStatus.choices, default=PatrolStatus.IN_PROGRESS, db_index=True
    )
    status_reason = models.CharField(_("reason code"), max_length=32, blank=True)
    expected = models.JSONField(_("checkpoints expected"), default=list)
    missed = models.JSONField(_("checkpoints missed"), default=list, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("patrol round")
        verbose_name_plural = _("patrol rounds")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.path} {self.started_at:%Y-%m-%d %H:%M}"


class PatrolScan(DistrictPathMixin):
    """A checkpoint scanned during a round, at ``scanned_at`` (first scan of each checkpoint counts)."""

    SCOPE_PATH_FIELD = "path"

    round = models.ForeignKey(
        PatrolRound, verbose_name=_("patrol round"), on_delete=models.CASCADE, related_name="scans"
    )
    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.PROTECT, related_name="scans"
    )
    scanned_at = models.DateTimeField(_("scanned"))

    objects = ScopedManager()

    class Meta:
        verbose_name = _("checkpoint scan")
        verbose_name_plural = _("checkpoint scans")
        ordering = ["scanned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "checkpoint"], name="patrolscan_once_per_round")]

    def __str__(self) -> str:
        return f"{self.checkpoint_id} {self.scanned_at:%H:%M}"


# --------------------------------------------------------------------------------------------- entry/exit


class Direction(models.TextChoices):
    """Entering or leaving through a gate."""

    IN = "in", pgettext_lazy("gate direction", "In")
    OUT = "out", pgettext_lazy("gate direction", "Out")


class Purpose(models.TextChoices):
    """Why a person passes a gate (出入事由); the field rule set's gate rules refer to these codes."""

    RETURN_HOME = "return_home", _("Returning home")
    EMERGENCY = "emergency", _("Emergency (ambulance, fire, police)")
    MEDICAL = "medical", _("Medical visit (hospital, dialysis, maternity)")
    DELIVERY = "delivery", _("Delivery of supplies")
    DUTY = "duty", _("On duty (worker, volunteer)")
    WORK = "work", _("Going to work")
    SHOPPING = "shopping", _("Shopping")
    VISIT = "visit", _("Visit")
    OTHER = "other", _("Other")


class SubjectKind(models.TextChoices):
    """A registered resident or a visitor."""

    RESIDENT = "resident", _("Resident")
    VISITOR = "visitor", _("Visitor")


class GateDecision(models.TextChoices):
    """What the gate decided."""

    ALLOWED = "allowed", _("Allowed")
    REFUSED = "refused", _("Refused")


class GateReason(models.TextChoices):
    """Reason code of a gate decision."""

    OPEN_AREA = "open_area", _("No restriction in this area: registration only")
    PURPOSE_ALLOWED = "purpose_allowed", _("Purpose allowed in this area")
    VALID_PASS = "valid_pass", _("Valid medical exit pass")
    PASS_REQUIRED = "pass_required", _("A valid medical exit pass is required")
    PURPOSE_NOT_ALLOWED = "purpose_not_allowed", _("Purpose not allowed in this area")
    GATE_CLOSED = "gate_closed", _("Gate closed")


class PassageRecord(SealedIdMixin, SealedPhoneMixin, DistrictPathMixin):
    """One person at a gate (出入登记): who (a resident, or a visitor by name with an optional ID and
    phone, sealed), direction, purpose, the pass checked, the area's tier at that moment, and the
    decision with its reason code. Refusals are recorded too. Nothing needs a smartphone: the guard
    finds residents by ID number, the household's printed QR code or name.
    """

    SCOPE_PATH_FIELD = "path"

    gate = models.ForeignKey(Gate, verbose_name=_("gate"), on_delete=models.PROTECT, related_name="passages")
    at = models.DateTimeField(_("time"), db_index=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    subject_kind = models.CharField(_("person"), max_length=10, choices=SubjectKind.choices)
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visitor_name = models.CharField(_("visitor name"), max_length=60, blank=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    pass_ref = models.CharField(_("exit pass"), max_length=60, blank=True)
    pass_valid = models.BooleanField(_("pass valid"), null=True, blank=True)
    tier_key = models.CharField(_("area tier"), max_length=16, blank=True)
    decision = models.CharField(_("decision"), max_length=8, choices=GateDecision.choices, db_index=True)
    reason_code = models.CharField(_("reason code"), max_length=24, choices=GateReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("entry/exit record")
        verbose_name_plural = _("entry/exit records")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject_kind="visitor") | Q(resident__isnull=False), name="passage_resident_has_row"
            ),
            models.CheckConstraint(
                condition=Q(subject_kind="resident") | ~Q(visitor_name=""), name="passage_visitor_has_name"
            ),
        ]
        indexes = [models.Index(fields=["gate", "at"], name="passage_gate_idx")]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.at:%Y-%m-%d %H:%M} {self.direction} {self.decision}"

    @property
    def subject_name(self) -> str:
        """The resident's or visitor's name."""
        return self.resident.name if self.resident_id else self.visitor_name


# --------------------------------------------------------------------------------------------- screening


class PersonCategory(models.TextChoices):
    """What personnel screening (人员摸排) found the person to be."""

    INFLOW = "inflow", _("Inflow person")
    RISK_TRAVELLER = "risk_traveller", _("Traveller from a risk area")
    CLOSE_CONTACT = "close_contact", _("Close contact")
    SECONDARY_CONTACT = "secondary_contact", _("Secondary contact")


CONTACT_CATEGORIES = (PersonCategory.CLOSE_CONTACT, PersonCategory.SECONDARY_CONTACT)


class Precision(models.TextChoices):
    """How precisely the person's location in the district is known."""

    HOUSEHOLD = "household", _("Household")
    COMMUNITY = "community", _("Community or village")
    CITY = "city", _("City only (needs verification)")


class PersonStatus(models.TextChoices):
    """pending → centralized / home isolation / home monitoring → released; transferred out; in care."""

    PENDING = "pending", _("To be classified")
    CENTRALIZED = "centralized", _("Centralized isolation")
    HOME_ISOLATION = "home_isolation", _("Home isolation")
    HOME_MONITORING = "home_monitoring", _("Home health monitoring")
    RELEASED = "released", _("Released")
    IN_CARE = "in_care", _("Positive: handed to medical care")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the district")


class StatusReason(models.TextChoices):
    """Reason code carried by every status change of a screened person."""

    CLASSIFIED = "classified", _("Classified by the rule set")
    PHASE_ENDED = "phase_ended", _("Period ended (counted from the last exposure)")
    LINKED_POSITIVE = "linked_positive", _("Linked close contact tested positive")
    TESTED_POSITIVE = "tested_positive", _("Tested positive")
    EXPOSURE_CHANGED = "exposure_changed", _("Later exposure found")
    VERIFIED = "verified", _("Location verified")
    TRANSFER_OUT = "transfer_out", _("Lives outside the district")
    CORRECTION = "correction", _("Correction of an error")
    OTHER = "other", _("Other (see evidence)")


class ScreenedPerson(SealedIdMixin, SealedPhoneMixin, DistrictPathMixin):
    """A person found by personnel screening (人员摸排): an inflow person, a traveller from a risk
    area, a close contact (密接) or a secondary contact (密接的密接).

    ``path`` is where the person stays in the district (a household's path, a community, or the
    district itself while the location is only known to city level: ``needs_verification``, and such
    a person's status is never set until the location is verified). Contacts link to their index
    case (``infection``, zones) and a secondary contact to the close contact it met
    (``source_contact``): secondary → close → index case (domain.md §3).

    Quarantine (domain.md §3): counted from ``last_exposure_on`` (day 1 is the day after it) under
    ``rule_set``; ``centralized_until`` and ``home_until`` are the last days (inclusive) of the two
    phases; test days are :class:`QuarantineTest` rows. Status changes go through services (reason
    code and evidence, :class:`StatusChange`).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=20, choices=PersonCategory.choices, db_index=True)
    origin = models.CharField(_("coming from"), max_length=120, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    risk_area = models.CharField(_("risk area travelled through"), max_length=200, blank=True)
    address = models.CharField(_("address given"), max_length=200, blank=True)
    precision = models.CharField(_("location known to"), max_length=10, choices=Precision.choices)
    needs_verification = models.BooleanField(_("needs verification"), default=False, db_index=True)
    infection = models.ForeignKey(
        "zones.Infection",
        verbose_name=_("index case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_contact = models.ForeignKey(
        "self",
        verbose_name=_("linked close contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secondary_contacts",
    )
    last_exposure_on = models.DateField(_("last exposure"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PersonStatus.choices, default=PersonStatus.PENDING, db_index=True
    )
    status_reason = models.CharField(_("reason code"), max_length=20, choices=StatusReason.choices, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    rule_set = models.ForeignKey(
        "zones.RuleSet", verbose_name=_("rule set"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    centralized_until = models.DateField(_("centralized isolation until"), null=True, blank=True)
    home_until = models.DateField(_("home phase until"), null=True, blank=True)
    import_batch = models.ForeignKey(
        "ScreeningImport", verbose_name=_("import"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("screened person")
        verbose_name_plural = _("screened people")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category="secondary_contact") | Q(source_contact__isnull=False),
                name="screened_secondary_has_source",
            ),
            models.CheckConstraint(
                condition=~Q(category__in=["close_contact", "secondary_contact"]) | Q(last_exposure_on__isnull=False),
                name="screened_contact_has_exposure",
            ),
            models.CheckConstraint(
                condition=Q(needs_verification=False) | Q(status__in=["pending", "transferred_out"]),
                name="screened_unverified_no_status",
            ),
        ]
        indexes = [
            models.Index(fields=["category", "status"], name="screened_category_status_idx"),
            models.Index(fields=["infection", "category"], name="screened_infection_idx"),
        ]

    def __str__(self) -> str:
        return bracketed(self.name, self.get_category_display())

    @property
    def is_contact(self) -> bool:
        """True for close and secondary contacts."""
        return self.category in CONTACT_CATEGORIES


class TestPhase(models.TextChoices):
    """The phase of a quarantine plan a test belongs to."""

    CENTRALIZED = "centralized", _("Centralized isolation")
    HOME = "home", _("Home phase")


class TestResult(models.TextChoices):
    """pending → negative or positive; cancelled when the plan changed."""

    PENDING = "pending", _("Pending")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    CANCELLED = "cancelled", _("Cancelled (plan changed)")


class QuarantineTest(DistrictPathMixin):
    """One test day of a screened person's quarantine plan, as a task (检测任务).

    ``day_number`` is the 1-based day of its ``phase`` (domain.md §3: "tests d1, d4, d7, d14");
    ``due_on`` the local date; ``ordinal`` the position among all the person's tests of the current
    plan (1 = first test), used for the secondary-to-close rule ("either of the first two tests").
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "person__household"

    person = models.ForeignKey(ScreenedPerson, verbose_name=_("person"), on_delete=models.CASCADE, related_name="tests")
    phase = models.CharField(_("phase"), max_length=12, choices=TestPhase.choices)
    day_number = models.PositiveSmallIntegerField(_("day"))
    ordinal = models.PositiveSmallIntegerField(_("test number"))
    due_on = models.DateField(_("due on"), db_index=True)
    result = models.CharField(
        _("result"), max_length=10, choices=TestResult.choices, default=TestResult.PENDING, db_index=True
    )
    result_on = models.DateField(_("result on"), null=True, blank=True)
    sample_ref = models.CharField(_("sample or tube"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("quarantine test")
        verbose_name_plural = _("quarantine tests")
        ordering = ["due_on", "person_id", "ordinal"]
        indexes = [models.Index(fields=["person", "result"], name="qtest_person_result_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.phase} d{self.day_number} {self.due_on}"


class StatusChange(DistrictPathMixin):
    """One status change of a screened person (append-only): from, to, reason code, evidence, who,
    and the approved bulk change it belongs to, if any."""

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "person__household"

    person = models.ForeignKey(
        ScreenedPerson, verbose_name=_("person"), on_delete=models.CASCADE, related_name="status_changes"
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(_("from"), max_length=16, choices=PersonStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=PersonStatus.choices)
    from_category = models.CharField(_("category before"), max_length=20, choices=PersonCategory.choices)
    to_category = models.CharField(_("category after"), max_length=20, choices=PersonCategory.choices)
    reason_code = models.CharField(_("reason code"), max_length=20, choices=StatusReason.choices)
    evidence = models.TextField(_("evidence"))
    # System-written evidence as parts (fieldops.evidence), worded in the reader's language; {} when a
    # person wrote the evidence.
    evidence_parts = models.JSONField(_("evidence (parts)"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bulk = models.ForeignKey(
        "BulkStatusChange", verbose_name=_("bulk change"), null=True, blank=True, on_delete=models.PROTECT
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.from_status}→{self.to_status}"

    @property
    def display_evidence(self) -> str:
        """The evidence people read: system-written evidence worded in the active language from its
        parts (fieldops.evidence.compose), a person's own words as written."""
        from lianfang.fieldops import evidence  # noqa: PLC0415

        return (evidence.compose(self.evidence_parts) if self.evidence_parts else "") or self.evidence


class ApprovalStatus(models.TextChoices):
    """pending → applied (approved by a second person) or rejected."""

    PENDING = "pending", _("Awaiting approval")
    APPLIED = "applied", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")


class BulkStatusChange(DistrictPathMixin):
    """A status change for many people at once, requested by one person and applied only when a
    second person approves it (two-person rule). ``people`` are the screened people; ``path`` the
    deepest division containing them all; ``results`` records, per person id, ``"changed"`` or why
    not (status moved on meanwhile)."""

    SCOPE_PATH_FIELD = "path"

    people = models.ManyToManyField(ScreenedPerson, verbose_name=_("people"), related_name="+")
    to_status = models.CharField(_("new status"), max_length=16, choices=PersonStatus.choices)
    reason_code = models.CharField(_("reason code"), max_length=20, choices=StatusReason.choices)
    evidence = models.TextField(_("evidence"))
    status = models.CharField(
        _("status"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("bulk status change")
        verbose_name_plural = _("bulk status changes")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="bulkchange_two_people",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.to_status}"


class ScreeningImport(DistrictPathMixin):
    """One screening list imported (摸排名单导入): file, who, when, and the counts (``rows``,
    ``created``, ``duplicates``, ``transferred_out``, ``needs_verification``); ``duplicates`` lists
    the rows that matched someone already listed (row number and the id matched)."""

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("imported into"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True)
    category = models.CharField(_("default category"), max_length=20, choices=PersonCategory.choices)
    counts = models.JSONField(_("counts"), default=dict)
    duplicates = models.JSONField(_("duplicate rows"), default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("screening import")
        verbose_name_plural = _("screening imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class TransferStatus(models.TextChoices):
    """pending → handed over."""

    PENDING = "pending", _("To hand over")
    HANDED_OVER = "handed_over", _("Handed over")


class TransferOut(SealedIdMixin, SealedPhoneMixin, DistrictPathMixin):
    """A screened person who lives outside the district (转出): listed for hand-over to the place
    named in ``destination``, never put under this district's measures. ``row`` is the source row."""

    SCOPE_PATH_FIELD = "path"

    batch = models.ForeignKey(
        ScreeningImport,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=20, choices=PersonCategory.choices)
    destination = models.CharField(_("where the person is"), max_length=200)
    last_exposure_on = models.DateField(_("last exposure"), null=True, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TransferStatus.choices, default=TransferStatus.PENDING, db_index=True
    )
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("transfer out")
        verbose_name_plural = _("transfers out")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} → {self.destination}"


# --------------------------------------------------------------------------------------------- home monitoring


class MonitoringStatus(models.TextChoices):
    """active → ended."""

    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class HomeMonitoring(DistrictPathMixin):
    """Home health monitoring (居家健康监测) of one resident or one screened person living in
    ``household`` from ``starts_on`` to ``ends_on`` (inclusive local days): one check-in a day."""

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        ScreenedPerson,
        verbose_name=_("screened person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitorings",
    )
    name = models.CharField(_("name"), max_length=60)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=8, choices=MonitoringStatus.choices, default=MonitoringStatus.ACTIVE, db_index=True
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("home health monitoring")
        verbose_name_plural = _("home health monitoring")
        ordering = ["path", "household_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="monitoring_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.starts_on}–{self.ends_on}"

    def covers(self, day: dt.date) -> bool:
        """True when local ``day`` is within the monitoring period."""
        return self.starts_on <= day <= self.ends_on


class Symptom(models.TextChoices):
    """Symptoms reported at a health check-in (9th-edition protocol list) [verify]."""

    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    SORE_THROAT = "sore_throat", _("Sore throat")
    FATIGUE = "fatigue", _("Fatigue")
    LOSS_OF_SMELL = "loss_of_smell", _("Loss of smell or taste")
    BREATHING = "breathing", _("Difficulty breathing")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")
    MUSCLE_PAIN = "muscle_pain", _("Muscle pain")


class CheckInSource(models.TextChoices):
    """Who reported a health check-in."""

    RESIDENT = "resident", _("By the resident (household QR code)")
    WORKER = "worker", _("By a worker on their behalf")


class HealthCheckIn(DistrictPathMixin):
    """One day's health check-in (健康打卡) of a monitored person: temperature (°C) and symptoms.

    ``abnormal`` is decided by the field rule set (fever threshold, abnormal symptoms);
    ``service_request_ref`` names the medical request raised for an abnormal reading.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    monitoring = models.ForeignKey(
        HomeMonitoring, verbose_name=_("monitoring"), on_delete=models.CASCADE, related_name="check_ins"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("time"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    abnormal = models.BooleanField(_("abnormal"), default=False, db_index=True)
    source = models.CharField(_("reported"), max_length=10, choices=CheckInSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    service_request_ref = models.CharField(_("medical request"), max_length=60, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("health check-in")
        verbose_name_plural = _("health check-ins")
        ordering = ["-day", "-at"]
        constraints = [
            models.UniqueConstraint(fields=["monitoring", "day"], name="checkin_once_a_day"),
            models.CheckConstraint(
                condition=Q(temperature__gte=30) & Q(temperature__lte=45), name="checkin_temperature_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitoring_id} {self.day} {self.temperature}"


# --------------------------------------------------------------------------------------------- disinfection


class DisinfectionSchedule(DistrictPathMixin):
    """Disinfection of one public area (``place``: entrances, lifts and stairwells, waste points...)
    of a compound or village every ``interval_hours`` (环境消杀计划). ``tier_key`` records the tier
    it was generated for (blank: entered by hand)."""

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("compound or village"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("public area"), max_length=80)
    interval_hours = models.PositiveSmallIntegerField(
        _("every (hours)"), validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    tier_key = models.CharField(_("generated for tier"), max_length=16, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("disinfection schedule")
        verbose_name_plural = _("disinfection schedules")
        ordering = ["path", "place"]
        constraints = [
            models.UniqueConstraint(fields=["division", "place"], name="disinfection_unique_place"),
            models.CheckConstraint(condition=Q(interval_hours__gte=1), name="disinfection_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.place} /{self.interval_hours}h"


class DisinfectionLog(DistrictPathMixin):
    """One disinfection done (消杀记录): who, where, when, agent and concentration (mg/L)."""

    SCOPE_PATH_FIELD = "path"

    schedule = models.ForeignKey(
        DisinfectionSchedule, verbose_name=_("schedule"), on_delete=models.PROTECT, related_name="logs"
    )
    done_at = models.DateTimeField(_("done at"), db_index=True)
    performed_by = models.CharField(_("done by"), max_length=60)
    agent = models.CharField(_("agent"), max_length=80)
    concentration_mg_l = models.DecimalField(_("concentration (mg/L)"), max_digits=7, decimal_places=1)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("disinfection log")
        verbose_name_plural = _("disinfection logs")
        ordering = ["-done_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(concentration_mg_l__gt=0), name="disinfection_concentration_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.done_at:%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------------------------- notices


class NoticeStatus(models.TextChoices):
    """draft → published → withdrawn."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


NOTICE_BODY_MAX = 5_000
"""Characters in a notice's text at most: it is read on phones and sent to WeCom/DingTalk group robots."""


class Notice(DistrictPathMixin):
    """A notice to residents (宣传引导 / 公告) of a control area, a community or a compound.

    ``division`` is the community or compound (or the node holding the control area); ``token``
    gives the public page that the printed poster's QR code opens. Notices never name people
    (services refuse a text containing a resident's name, an ID number or a phone number).
    """

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("community or compound"), on_delete=models.PROTECT, related_name="+"
    )
    control_area = models.ForeignKey(
        "zones.ControlArea",
        verbose_name=_("control area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT, db_index=True
    )
    token = models.CharField(_("public token"), max_length=40, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ChannelKind(models.TextChoices):
    """Group-robot webhook kinds (fieldops.notify backends)."""

    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class NotificationChannel(DistrictPathMixin):
    """A group-robot webhook (企业微信 / 钉钉 群机器人) that receives the notices published for
    ``division`` and the divisions below it. The webhook URL (it holds the robot's key) and the
    DingTalk signing secret are encrypted at rest. Off until ``is_enabled``, and webhooks as a whole
    are off unless LIANFANG_WEBHOOKS is set (fieldops.notify)."""

    SCOPE_PATH_FIELD = "path"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    url_enc = models.BinaryField(_("webhook URL (encrypted)"), editable=False)
    url_masked = models.CharField(_("webhook URL"), max_length=120, editable=False)
    secret_enc = models.BinaryField(_("signing secret (encrypted)"), blank=True, default=b"", editable=False)
    is_enabled = models.BooleanField(_("enabled"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["path", "name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    """pending → sent or failed (retried up to 3 times); skipped when webhooks are off."""

    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (webhooks off)")


class NoticeDelivery(DistrictPathMixin):
    """One notice posted (or tried) to one channel: status, attempts, the robot's answer."""

    SCOPE_PATH_FIELD = "path"

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(
        NotificationChannel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response = models.CharField(_("answer"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("notice delivery")
        verbose_name_plural = _("notice deliveries")
        ordering = ["notice_id", "channel_id"]
        constraints = [models.UniqueConstraint(fields=["notice", "channel"], name="delivery_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.notice_id}→{self.channel_id} {self.status}"


# --------------------------------------------------------------------------------------------- alerts


class AlertKind(models.TextChoices):
    """What an alert is about."""

    MISSED_CHECK_IN = "missed_check_in", _("Guard did not check in")
    UNCOVERED_DUTY = "uncovered_duty", _("Gate duty not covered")
    MISSED_CHECKPOINT = "missed_checkpoint", _("Patrol checkpoints missed")
    MONITORING_MISSED = "monitoring_missed", _("Health check-in missing")
    ABNORMAL_READING = "abnormal_reading", _("Abnormal health reading")
    DISINFECTION_OVERDUE = "disinfection_overdue", _("Disinfection overdue")
    EMERGENCY = "emergency", _("Emergency: let the crew through")


class AlertStatus(models.TextChoices):
    """open → acknowledged."""

    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class Alert(DistrictPathMixin):
    """A flag raised by field work for a named person to act on (提醒): a missed guard check-in (to
    the compound's L3 person), missed checkpoints, a missing health check-in (to the household
    representative), an overdue disinfection, an emergency crew expected at a gate.

    ``recipient`` is the responsible worker (NULL when nobody is assigned: a gap shown to the
    community); ``detail`` holds the facts shown (ids, times, counts; never names in public);
    ``dedupe_key`` makes raising idempotent (the tick command may run any number of times).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    kind = models.CharField(_("kind"), max_length=24, choices=AlertKind.choices, db_index=True)
    dedupe_key = models.CharField(_("key"), max_length=120, unique=True)
    recipient = models.ForeignKey(
        "workforce.Worker",
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    gate = models.ForeignKey(Gate, verbose_name=_("gate"), null=True, blank=True, on_delete=models.PROTECT)
    message = models.CharField(_("message"), max_length=300)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.raised_at:%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------------------------- idempotency


class IdempotencyKey(models.Model):
    """A create request already answered (API ``Idempotency-Key`` header, page forms' hidden key):
    the same user sending the same key to the same endpoint gets the stored answer instead of a
    second row. ``request_hash`` detects a reused key with a different body (HTTP 422)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=80)
    endpoint = models.CharField(_("endpoint"), max_length=80)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("answer"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.endpoint}:{self.key}"
