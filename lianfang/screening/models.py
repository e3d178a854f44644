"""Testing rounds with pooled sampling (全员/区域核酸检测轮次, 混采), domain.md §4.

- :class:`ScreeningRuleSet` — follow-up deadlines, the pending-result alert, the missed-rounds window
  and the pool sizes the advisor compares, as data (pooling modes per tier come from the zones rule set).
- :class:`TestingRound` (轮次) over division nodes (:class:`RoundNode`), with the expected population
  snapshotted from the registry when it opens (:class:`RoundMember`, one row per resident).
- :class:`SamplingSite` (采样点) and :class:`SamplingDesk` (采样台) with capacity;
  :class:`SamplingTask` (上门采样任务): door-to-door sampling per building in sealed areas, per resident
  for bedridden or disabled people, re-sampling after an invalid tube, individual retests.
- :class:`Tube` (采样管, a pooled or single tube) and :class:`Sample` (采样记录, one person swabbed into a
  tube). A sample belongs to the round of its desk or task, never to a round guessed from its date.
- :class:`LabResult` (one per tube), :class:`ResultImport` (an uploaded file) and
  :class:`ResultException` (lines held, never applied: unknown tube, duplicate, several tubes,
  contradiction).
- :class:`PoolFollowUp` (混管阳性复核) with :class:`FollowUpMember`, :class:`FollowUpStep` (deadlines,
  escalation up the 包保 chain) and :class:`Notice` (who was told what).
- :class:`SubmissionKey` — the client-generated idempotency keys of desk submissions and API creates.

Every write goes through ``lianfang.screening.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import SealedIdMixin
from lianfang.core.scoping import ScopedManager, ScopedQuerySet, scope_for, subtree_q
from lianfang.divisions.models import CODE_LENGTHS


class PoolingMode(models.TextChoices):
    """How samples are tubed (domain.md §4); the same values as the zones rule set's ``pooling_modes``."""

    SINGLE = "single", _("Single-person tube")
    HOUSEHOLD = "household", _("One tube per household")
    POOL_5 = "pool_5", _("5-in-1 pool")
    POOL_10 = "pool_10", _("10-in-1 pool")
    POOL_20 = "pool_20", _("20-in-1 pool")


# People per tube by mode (the definition of the mode, not a rule): None = the household's members.
TUBE_CAPACITY = {"single": 1, "household": None, "pool_5": 5, "pool_10": 10, "pool_20": 20}
# Modes that mean door-to-door sampling (sealed areas: "nobody leaves home, services come to the door").
DOOR_TO_DOOR_MODES = frozenset({"single", "household"})


class ScreeningRuleSet(models.Model):
    """Timings and thresholds of testing rounds as data (筛查规则), versioned like the zones rule sets.

    Hours are wall-clock hours from the event: ``isolate_within_hours`` (every member of a positive
    pool isolated in place), ``retest_within_hours`` (each member individually re-swabbed),
    ``escalate_every_hours`` (an overdue step climbs one level of the 包保 chain each time),
    ``result_overdue_hours`` (a closed tube without a result is flagged; 24 h). ``missed_rounds_window``
    is the N of "missed in one or more of the last N rounds"; ``positivity_window_days`` the period
    of the advisor's recent positivity; ``advisor_pool_sizes`` the k compared (5, 10, 20);
    ``fallback_pooling_mode`` is used only where no zones rule set applies. The rule in force is the
    default one (``is_default``). Source: domain.md §4 (regional testing guide, 3rd ed., March 2022).
    """

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    source = models.TextField(_("source"))
    effective_from = models.DateField(_("effective from"))
    is_default = models.BooleanField(_("default"), default=False)
    isolate_within_hours = models.PositiveSmallIntegerField(_("isolate pool members within (hours)"))
    retest_within_hours = models.PositiveSmallIntegerField(_("retest pool members within (hours)"))
    escalate_every_hours = models.PositiveSmallIntegerField(_("escalate overdue steps every (hours)"))
    result_overdue_hours = models.PositiveSmallIntegerField(_("flag results pending longer than (hours)"))
    missed_rounds_window = models.PositiveSmallIntegerField(_("missed in the last N rounds"), default=3)
    positivity_window_days = models.PositiveSmallIntegerField(_("recent positivity over (days)"), default=7)
    advisor_pool_sizes = models.JSONField(_("pool sizes compared"), default=list)
    fallback_pooling_mode = models.CharField(
        _("pooling mode where no zone rule applies"), max_length=12, choices=PoolingMode.choices
    )

    class Meta:
        verbose_name = _("screening rule set")
        verbose_name_plural = _("screening rule sets")
        ordering = ["-effective_from", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="screeningrules_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


# ----------------------------------------------------------------------------------------------- rounds


def _ancestor_codes(code: str) -> list[str]:
    return [code[:n] for n in sorted(CODE_LENGTHS.values()) if n < len(code)]


class RoundQuerySet(ScopedQuerySet):
    """Rounds visible to a user: those inside their subtrees and those covering them (a district-wide
    round is visible to a community's staff); a household representative sees the rounds of their
    households. Deny by default."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.everything:
            return self
        if scope.is_empty:
            return self.none()
        q = Q()
        for code in scope.codes:
            q |= subtree_q("path", code) | Q(path__in=_ancestor_codes(code))
        for qs in scope.household_querysets:
            q |= Exists(RoundMember.objects.filter(round=OuterRef("pk"), household__in=qs))
        return self.filter(q)


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ReasonCode(models.TextChoices):
    """Why a status changed (every status change carries one)."""

    OPENED = "opened", _("Opened")
    DEADLINE = "deadline", _("Deadline passed")
    CLOSED_BY_COMMANDER = "closed_by_commander", _("Closed by a commander")
    BARCODE_SCANNED = "barcode_scanned", _("Tube barcode scanned")
    RESULT = "result", _("Lab result")
    RETEST_RESULT = "retest_result", _("Individual retest result")
    INVALID_SAMPLE = "invalid_sample", _("Invalid sample: re-sampling")
    SAMPLED = "sampled", _("Sampled")
    CANCELLED = "cancelled", _("Cancelled")
    ALL_RETESTED = "all_retested", _("Every member has an individual result")
    RESOLVED = "resolved", _("Resolved")
    OVERDUE = "overdue", _("Overdue: escalated")


class TestingRound(models.Model):
    """One screening of the population of some division nodes with a deadline (全员/区域核酸检测轮次).

    ``path`` is the deepest division containing every node (scoping); ``district`` is the level-3
    division. ``rule_set_key`` records the zones rule set that chose the pooling modes;
    ``control_area_ref`` the zones control area the round was opened for (when it was).
    ``expected_people`` counts the active :class:`RoundMember` rows (kept in step by the services).
    Times are aware UTC; the deadline defaults to the rule set's regional round deadline (24 h,
    domain.md §4).
    """

    __test__ = False  # not a pytest class despite its name

    SCOPE_PATH_FIELD = "path"

    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=RoundStatus.choices, default="open", db_index=True)
    status_reason = models.CharField(_("reason code"), max_length=32, choices=ReasonCode.choices, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    deadline = models.DateTimeField(_("deadline"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rule_set_key = models.CharField(_("zone rule set"), max_length=60, blank=True)
    control_area_ref = models.BigIntegerField(_("control area"), null=True, blank=True)
    expected_people = models.PositiveIntegerField(_("expected people"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("testing round")
        verbose_name_plural = _("testing rounds")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gt=models.F("opened_at")), name="round_deadline_after_open")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path


class RoundNode(models.Model):
    """One division node of a round's scope; ``code`` repeats the node's code for range look-ups."""

    SCOPE_PATH_FIELD = "code"

    round = models.ForeignKey(TestingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="nodes")
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("division code"), max_length=20)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("place of a round")
        verbose_name_plural = _("places of rounds")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["round", "division"], name="roundnode_unique")]

    def __str__(self) -> str:
        return self.code


class Exemption(models.TextChoices):
    """Why a person of the round's population is not expected to be sampled (免检)."""

    HOSPITALISED = "hospitalised", _("Hospitalised")
    AWAY_WITH_PROOF = "away_with_proof", _("Away, with proof")
    ISOLATED_ELSEWHERE = "isolated_elsewhere", _("In centralized isolation")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other (see note)")


class MemberResult(models.TextChoices):
    """Where one expected person stands in a round (denormalised for coverage)."""

    NOT_SAMPLED = "", _("Not sampled")
    PENDING = "pending", _("Sampled, result pending")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("In a positive pool")
    INVALID = "invalid", _("Invalid sample: re-sampling")


class RoundMember(models.Model):
    """A person of a round's expected population, snapshotted from the registry when the round opened.

    ``mode`` is the pooling mode of their area (zones rule set tier); ``home_visit`` means they are
    sampled at home (sealed area, bedridden or disabled) and ``awaiting_home_visit`` that such a task
    is open, so they are not "missed" meanwhile. ``result`` is the latest screening state; ``sample``
    the person's first screening sample. ``added_late`` marks people added after the round opened and
    ``removed`` people who left the registry since (registry changes adjust the current round only).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    round = models.ForeignKey(
        TestingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="members", db_index=False
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    path = models.CharField(_("division code"), max_length=20)
    mode = models.CharField(_("pooling mode"), max_length=12, choices=PoolingMode.choices)
    home_visit = models.BooleanField(_("sampled at home"), default=False)
    awaiting_home_visit = models.BooleanField(_("home visit open"), default=False)
    exemption = models.CharField(_("exemption"), max_length=20, choices=Exemption.choices, blank=True)
    exemption_note = models.CharField(_("exemption note"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=MemberResult.choices, blank=True)
    sample = models.ForeignKey(
        "Sample",
        verbose_name=_("sample"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    added_late = models.BooleanField(_("added after opening"), default=False)
    removed = models.BooleanField(_("left the registry"), default=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("expected person")
        verbose_name_plural = _("expected population")
        ordering = ["path", "household_id", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "resident"], name="roundmember_unique")]
        indexes = [models.Index(fields=["round", "path"], name="roundmember_round_path_idx")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.resident_id}"

    @property
    def audit_division_code(self) -> str:
        return self.path


# ----------------------------------------------------------------------------------------------- places

# Bounds of the numbers a commander types for a site and a desk (forms, API and services check them):
# a site serves a few thousand people (domain.md §4: one per 2,000-3,000), a desk samples a few
# hundred an hour; the upper bounds leave wide room while refusing a typo that would overflow the
# database's integer (new-user trial 15: 99999999999999999999 was a 500).
MAX_PLANNED_PEOPLE = 1_000_000
MIN_CAPACITY_PER_HOUR, MAX_CAPACITY_PER_HOUR = 1, 2000


class SamplingSite(models.Model):
    """A sampling site (采样点) of a round at division ``division``; ``planned_people`` it should serve
    (sizing: one site per 2,000-3,000 people, domain.md §4)."""

    SCOPE_PATH_FIELD = "path"

    round = models.ForeignKey(TestingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=120)
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    planned_people = models.PositiveIntegerField(_("planned people"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("sampling site")
        verbose_name_plural = _("sampling sites")
        ordering = ["path", "name"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="site_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path


class SamplingDesk(models.Model):
    """A sampling desk (采样台) of a site: its pooling ``mode`` and ``capacity_per_hour`` (people; one
    desk per 600-800 people, domain.md §4). ``round`` and ``path`` repeat the site's."""

    SCOPE_PATH_FIELD = "path"

    site = models.ForeignKey(SamplingSite, verbose_name=_("site"), on_delete=models.CASCADE, related_name="desks")
    round = models.ForeignKey(TestingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="desks")
    name = models.CharField(_("name"), max_length=60)
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    mode = models.CharField(_("pooling mode"), max_length=12, choices=PoolingMode.choices)
    capacity_per_hour = models.PositiveIntegerField(_("capacity (people per hour)"), default=60)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("sampling desk")
        verbose_name_plural = _("sampling desks")
        ordering = ["path", "site_id", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="desk_unique_name")]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.name}"

    @property
    def audit_division_code(self) -> str:
        return self.path


class TaskKind(models.TextChoices):
    SEALED_BUILDING = "sealed_building", _("Door to door: building in a sealed area")
    HOME_VISIT = "home_visit", _("Home visit: bedridden or disabled resident")
    RESAMPLE = "resample", _("Re-sampling after an invalid sample")
    RETEST = "retest", _("Individual retest after a positive pool")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class SamplingTask(models.Model):
    """A door-to-door sampling task (上门采样任务) of a round, assigned to a ``team`` (workforce).

    ``division`` is the building (sealed area) or the household's node; ``household``/``resident``
    narrow it to one household or person (home visit, re-sampling, retest). ``mode`` is the tube mode
    used. ``follow_up`` links a retest to its positive-pool follow-up. ``due_at`` is aware UTC.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    round = models.ForeignKey(TestingRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=16, choices=TaskKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default="open", db_index=True)
    status_reason = models.CharField(_("reason code"), max_length=32, choices=ReasonCode.choices, blank=True)
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
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
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    mode = models.CharField(_("pooling mode"), max_length=12, choices=PoolingMode.choices)
    team = models.ForeignKey(
        "workforce.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    follow_up = models.ForeignKey(
        "PoolFollowUp",
        verbose_name=_("follow-up"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    people = models.PositiveIntegerField(_("people"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("sampling task")
        verbose_name_plural = _("sampling tasks")
        ordering = ["due_at", "path", "id"]
        indexes = [models.Index(fields=["round", "status", "path"], name="task_round_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.path}"

    @property
    def audit_division_code(self) -> str:
        return self.path


# ----------------------------------------------------------------------------------------------- tubes


class TubeStatus(models.TextChoices):
    OPEN = "open", _("Open (filling)")
    CLOSED = "closed", _("Closed, awaiting result")
    RESULTED = "resulted", _("Result recorded")


class ResultValue(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INVALID = "invalid", _("Invalid")


class Tube(models.Model):
    """A tube (采样管): single, one household, or a k-in-1 pool, filled at a desk or on a task.

    The tube exists from the first person registered into it (``client_key`` is the desk page's
    identifier of the open tube) and closes when its ``barcode`` is scanned. ``capacity`` is fixed by
    ``mode`` (None = the household's members). ``status`` goes open → closed → resulted; ``result``,
    ``lab`` and ``result_at`` are set once by a :class:`LabResult`. ``lab`` may be set earlier at the
    hand-over. ``pending_flagged_at`` is set when the result is overdue.
    """

    SCOPE_PATH_FIELD = "path"

    round = models.ForeignKey(TestingRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="tubes")
    desk = models.ForeignKey(
        SamplingDesk, verbose_name=_("desk"), null=True, blank=True, on_delete=models.PROTECT, related_name="tubes"
    )
    task = models.ForeignKey(
        SamplingTask, verbose_name=_("task"), null=True, blank=True, on_delete=models.PROTECT, related_name="tubes"
    )
    client_key = models.CharField(_("client key"), max_length=64)
    barcode = models.CharField(_("barcode"), max_length=40, blank=True)
    mode = models.CharField(_("pooling mode"), max_length=12, choices=PoolingMode.choices)
    capacity = models.PositiveSmallIntegerField(_("capacity"), null=True, blank=True)
    people = models.PositiveSmallIntegerField(_("people"), default=0)
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(_("division code"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=TubeStatus.choices, default="open")
    status_reason = models.CharField(_("reason code"), max_length=32, choices=ReasonCode.choices, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    lab = models.CharField(_("lab"), max_length=80, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=ResultValue.choices, blank=True)
    result_at = models.DateTimeField(_("result time"), null=True, blank=True)
    pending_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    retest_of = models.ForeignKey(
        "self", verbose_name=_("retest of"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("tube")
        verbose_name_plural = _("tubes")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["barcode"], condition=~Q(barcode=""), name="tube_unique_barcode"),
            models.UniqueConstraint(fields=["round", "client_key"], name="tube_unique_client_key"),
            models.CheckConstraint(
                condition=Q(desk__isnull=False) | Q(task__isnull=False), name="tube_from_desk_or_task"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(people__lte=models.F("capacity")), name="tube_not_over_capacity"
            ),
            models.CheckConstraint(condition=Q(status="open") | ~Q(barcode=""), name="tube_closed_has_barcode"),
        ]
        # A plain B-tree on path (codes are looked up by range, core.scoping.subtree_q, never by
        # LIKE) and none on status: tubes are found by id, desk, round or closing time, and with no
        # index on the columns a result sets, recording it is a heap-only (HOT) update.
        indexes = [models.Index(fields=["path"], name="tube_path_idx")]

    def __str__(self) -> str:
        return self.barcode or f"#{self.pk}"

    @property
    def audit_division_code(self) -> str:
        return self.path


class SamplePurpose(models.TextChoices):
    SCREENING = "screening", _("Screening")
    RESAMPLE = "resample", _("Re-sampling")
    RETEST = "retest", _("Individual retest")


class Sample(SealedIdMixin, models.Model):
    """One person swabbed into a tube (采样记录). The round is the tube's (its desk's or task's).

    A registered person has ``resident`` and ``member`` (when in the round's population); someone not
    in the registry is kept with ``unregistered=True`` (to verify), their ``name`` and sealed ID
    number; a child without an ID number is registered via ``guardian``. ``person_key`` identifies the
    person within the round (``r<resident id>`` or ``i<ID hash>``): a second screening sample of the
    same person in a round is refused by the database (exactly one wins), and the attempt is flagged
    to the desk. ``idempotency_key`` is the client-generated key of the submission.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    # No database foreign-key constraints on round and tube: checking them costs one row lock per
    # sample at commit (a third of a city-scale ingest); samples are written only by the services
    # (tube and round loaded in the same transaction) and bulkload (joined to the round's tubes),
    # and rounds and tubes are never deleted (PROTECT).
    round = models.ForeignKey(
        TestingRound,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="samples",
        db_constraint=False,
    )
    tube = models.ForeignKey(
        Tube, verbose_name=_("tube"), on_delete=models.PROTECT, related_name="samples", db_constraint=False
    )
    member = models.ForeignKey(
        RoundMember,
        verbose_name=_("expected person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    guardian = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("guardian"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    path = models.CharField(_("division code"), max_length=20)
    person_key = models.CharField(_("person key"), max_length=40)
    purpose = models.CharField(_("purpose"), max_length=10, choices=SamplePurpose.choices, default="screening")
    name = models.CharField(_("name"), max_length=60)
    unregistered = models.BooleanField(_("unregistered, to verify"), default=False)
    taken_at = models.DateTimeField(_("taken at"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    # The sealed ID of an unregistered person (SealedIdMixin) without the mixin's two indexes each:
    # samples are never searched by last 4 digits, and only unregistered ones carry an ID hash.
    id_hash = models.CharField(_("ID look-up hash"), max_length=32, blank=True, editable=False)
    id_last4 = models.CharField(_("ID last 4"), max_length=4, blank=True, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "person_key"],
                condition=Q(purpose="screening") & ~Q(person_key=""),
                name="sample_one_screening_per_person",
            ),
            models.UniqueConstraint(fields=["idempotency_key"], name="sample_idempotency_key"),
        ]
        # Every index is paid for by each of a city's 4.36 M samples (bulkload.samples_ingest):
        # plain B-trees only (codes are looked up by range, never by LIKE), the ID hash only where set.
        indexes = [
            models.Index(fields=["path"], name="sample_path_idx"),
            models.Index(fields=["id_hash"], condition=~Q(id_hash=""), name="sample_unregistered_id_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.tube_id}"

    @property
    def audit_division_code(self) -> str:
        return self.path


# ----------------------------------------------------------------------------------------------- results


class ResultImport(models.Model):
    """One lab-result upload (CSV or XLSX) or API batch: who, which file, what it did.

    ``counts``: ``lines``, ``applied``, ``unchanged``, ``held``. ``path`` is the importer's division.
    """

    SCOPE_PATH_FIELD = "path"

    path = models.CharField(_("division code"), max_length=20, db_index=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    lab = models.CharField(_("lab"), max_length=80, blank=True)
    counts = models.JSONField(_("counts"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("result import")
        verbose_name_plural = _("result imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name or f"#{self.pk}"


class LabResult(models.Model):
    """The one result of a tube (检测结果): ``value``, ``lab``, ``reported_at`` (aware UTC)."""

    SCOPE_PATH_FIELD = "tube__path"

    # One result per tube is the unique index on tube; no database foreign-key constraints on tube and
    # batch (checked row by row at commit: a quarter of a city's results ingest), as for Sample:
    # results are written by the services and bulkload from the tubes they hold, and tubes and
    # imports are never deleted (PROTECT).
    tube = models.OneToOneField(
        Tube, verbose_name=_("tube"), on_delete=models.PROTECT, related_name="lab_result", db_constraint=False
    )
    value = models.CharField(_("result"), max_length=10, choices=ResultValue.choices)
    lab = models.CharField(_("lab"), max_length=80)
    reported_at = models.DateTimeField(_("reported at"))
    batch = models.ForeignKey(
        ResultImport,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="results",
        db_constraint=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["-reported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.tube_id}: {self.value}"


class ExceptionReason(models.TextChoices):
    UNKNOWN_TUBE = "unknown_tube", _("Unknown tube")
    DUPLICATE = "duplicate", _("Duplicate line")
    SEVERAL_TUBES = "several_tubes", _("Line names several tubes")
    CONTRADICTS = "contradicts", _("Contradicts the recorded result")
    TUBE_OPEN = "tube_open", _("Tube not closed at the desk")
    BAD_VALUE = "bad_value", _("Unreadable result or time")
    NO_LAB = "no_lab", _("No lab named")
    NO_BARCODE = "no_barcode", _("No tube barcode")
    FUTURE_TIME = "future_time", _("Report time is in the future")
    BEFORE_CLOSED = "before_closed", _("Reported before the tube was closed")


class ExceptionStatus(models.TextChoices):
    HELD = "held", _("Held")
    RESOLVED = "resolved", _("Resolved")


class ResultException(models.Model):
    """A result line held and never applied (异常结果): what it said and why it was held.

    ``tube`` is set when the barcode named one known tube; ``path`` is the tube's, else the
    importer's division. Resolving records a note; it never changes the tube's result.
    """

    SCOPE_PATH_FIELD = "path"

    batch = models.ForeignKey(
        ResultImport,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    line = models.PositiveIntegerField(_("line"), default=0)
    barcode_text = models.CharField(_("barcode as given"), max_length=200)
    value_text = models.CharField(_("result as given"), max_length=40)
    lab = models.CharField(_("lab"), max_length=80, blank=True)
    reported_text = models.CharField(_("time as given"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=ExceptionReason.choices)
    tube = models.ForeignKey(
        Tube, verbose_name=_("tube"), null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=ExceptionStatus.choices, default="held")
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("held result line")
        verbose_name_plural = _("held result lines")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.barcode_text}: {self.reason}"


# ----------------------------------------------------------------------------------------------- follow-ups


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class PoolFollowUp(models.Model):
    """The follow-up of a positive pool (混管阳性复核), domain.md §4: every member isolated in place and
    re-swabbed individually; households and the responsibility chain notified; a control-area
    proposal raised. Closes when every member has an individual result. ``control_area_ref`` is the
    zones ControlArea proposed (None when no operation was open)."""

    SCOPE_PATH_FIELD = "path"

    tube = models.OneToOneField(Tube, verbose_name=_("tube"), on_delete=models.PROTECT, related_name="follow_up")
    round = models.ForeignKey(
        TestingRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=FollowUpStatus.choices, default="open", db_index=True)
    status_reason = models.CharField(_("reason code"), max_length=32, choices=ReasonCode.choices, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    control_area_ref = models.BigIntegerField(_("control area proposed"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("positive pool follow-up")
        verbose_name_plural = _("positive pool follow-ups")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"{self.tube}"

    @property
    def audit_division_code(self) -> str:
        return self.path


class FollowUpMemberStatus(models.TextChoices):
    ISOLATING = "isolating", _("Isolate in place, awaiting retest")
    NEGATIVE = "negative", _("Retest negative")
    POSITIVE = "positive", _("Retest positive")


class FollowUpMember(models.Model):
    """One person of a positive pool: isolated in place until their individual retest has a result."""

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    follow_up = models.ForeignKey(
        PoolFollowUp, verbose_name=_("follow-up"), on_delete=models.CASCADE, related_name="members"
    )
    sample = models.OneToOneField(Sample, verbose_name=_("pooled sample"), on_delete=models.PROTECT, related_name="+")
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
    name = models.CharField(_("name"), max_length=60)
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=FollowUpMemberStatus.choices, default="isolating")
    retest_task = models.ForeignKey(
        SamplingTask, verbose_name=_("retest task"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retest_tube = models.ForeignKey(
        Tube, verbose_name=_("retest tube"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_at = models.DateTimeField(_("retest result at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pool member under follow-up")
        verbose_name_plural = _("pool members under follow-up")
        ordering = ["follow_up", "path", "id"]

    def __str__(self) -> str:
        return self.name


class StepKind(models.TextChoices):
    ISOLATE = "isolate", _("Isolate every member in place")
    NOTIFY = "notify", _("Notify households and the responsibility chain")
    RETEST = "retest", _("Retest every member individually")
    AREA_PROPOSAL = "area_proposal", _("Propose a control area")


class PoolFollowUpStep(models.Model):
    """One step of a follow-up with its deadline. Overdue steps escalate one level up the 包保 chain
    every ``escalate_every_hours``: ``escalated_level`` is the highest level told (4 … 1)."""

    SCOPE_PATH_FIELD = "path"

    follow_up = models.ForeignKey(
        PoolFollowUp, verbose_name=_("follow-up"), on_delete=models.CASCADE, related_name="steps"
    )
    kind = models.CharField(_("step"), max_length=16, choices=StepKind.choices)
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    escalated_level = models.PositiveSmallIntegerField(_("escalated to level"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("follow-up step")
        verbose_name_plural = _("follow-up steps")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["follow_up", "kind"], name="followupstep_unique_kind")]

    def __str__(self) -> str:
        return self.get_kind_display()


class Notice(models.Model):
    """A message recorded for a household or a responsible person (通知), shown in the app; no outside
    service is called. ``level`` is the 包保 level of ``worker`` (None for a household)."""

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    follow_up = models.ForeignKey(
        PoolFollowUp, verbose_name=_("follow-up"), on_delete=models.CASCADE, related_name="notices"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    worker = models.ForeignKey(
        "workforce.Worker",
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    message = models.CharField(_("message"), max_length=300)
    escalation = models.BooleanField(_("escalation"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message


class SubmissionKey(models.Model):
    """A client-generated idempotency key (幂等键) and the response it produced, so a retry replays the
    response instead of writing twice. Unique; ``scope`` names the endpoint; ``body_hash`` is the
    hash of the request it answered (services.body_hash), so a key reused for another request is
    refused (409 ``key_reused``) instead of replayed."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    scope = models.CharField(_("endpoint"), max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"), default=dict)
    # SHA-256 (hex) of the canonical request body: the same key with another body is refused
    body_hash = models.CharField(_("request hash"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("submission key")
        verbose_name_plural = _("submission keys")

    def __str__(self) -> str:
        return self.key
