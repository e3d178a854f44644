"""Workforce (工作力量) and the four-level responsibility grid (四级包保).

- :class:`Worker` (工作人员): a person working in the operation, with one or more :class:`Category`
  rows (:class:`WorkerCategory`), a base division and, optionally, a sign-in account.
- :class:`Deployment` (下沉/驻守): a worker placed in a community/village or compound from a date to a
  date; the daily workforce sheet counts the deployments active on its date.
- :class:`Team` (队伍): a named group (a village's 55-member "blue vest" volunteer team) with a leader.
- :class:`ResponsibilityAssignment` (包保责任): a named person answerable for a unit at one of four
  levels (domain.md §1 "responsibility assignment"):
  L1 street/town leadership member → community/village; L2 cadre → community/village or compound;
  L3 community/village staff → compound/village group; L4 household representative → households.
- :class:`GridRuleSet` (包保规则): the rules of the grid as data (who may hold which level, when a
  representative is overloaded).

Periods are whole days in the district's time zone: ``starts_on`` and ``ends_on`` are inclusive and
``ends_on`` NULL means open-ended. The database refuses two overlapping periods for the same unit and
level (migration 0002: an exclusion constraint on PostgreSQL, triggers on SQLite), so "who was
responsible for household H on day D" has exactly one answer.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import SealedIdMixin, SealedPhoneMixin
from lianfang.core.scoping import ScopedQuerySet, scope_for, subtree_q


class Category(models.TextChoices):
    """Workforce categories (人员类别); a worker may hold several. Terms: domain.md §1 and §6."""

    CITY_CADRE = "city_cadre", _("City-level stationed cadre")
    DISTRICT_CADRE = "district_cadre", _("District-level stationed cadre")
    STREET_STAFF = "street_staff", _("Street/town staff")
    COMMUNITY_STAFF = "community_staff", _("Community (residents' committee) staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    SOCIAL_WORK_COMMITTEE = "social_work_committee", _("Social work committee member")
    PUBLIC_HEALTH_COMMITTEE = "public_health_committee", _("Public health committee member")
    PATRIOTIC_HEALTH_COMMITTEE = "patriotic_health_committee", _("Patriotic health committee member")
    PARTY_MEMBER = "party_member", _("Party member")
    VETERAN = "veteran", _("Veteran")
    VOLUNTEER = "volunteer", _("Volunteer")
    MEDICAL_STAFF = "medical_staff", _("Medical / sampling staff")
    POLICE = "police", _("Police / security")
    HOUSEHOLD_REPRESENTATIVE = "household_representative", _("Household representative")


STATIONED_CADRE_CATEGORIES = frozenset({Category.CITY_CADRE, Category.DISTRICT_CADRE})


class ResponsibilityLevel(models.IntegerChoices):
    """The four levels of the responsibility grid (四级包保)."""

    L1 = 1, _("L1 street/town leadership → community/village")
    L2 = 2, _("L2 cadre → community/village or compound")
    L3 = 3, _("L3 community staff → compound/village group")
    L4 = 4, _("L4 household representative → households")


class EndReason(models.TextChoices):
    """Why a deployment or an assignment ended (reason code of the status change)."""

    HANDED_OVER = "handed_over", _("Handed over to another person")
    COMPLETED = "completed", _("Period completed")
    WITHDRAWN = "withdrawn", _("Withdrawn (worker left or was reassigned)")
    CORRECTED = "corrected", _("Entered in error")


def active_on_q(day: dt.date, prefix: str = "") -> Q:
    """Q for rows whose inclusive period ``[starts_on, ends_on]`` contains ``day`` (NULL end: open)."""
    return Q(**{f"{prefix}starts_on__lte": day}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day})
    )


class PeriodQuerySet(ScopedQuerySet):
    """Scoped rows with a day period; ``active_on(day)`` keeps those whose period contains ``day``."""

    def active_on(self, day: dt.date) -> PeriodQuerySet:
        return self.filter(active_on_q(day))


class GridRuleSet(models.Model):
    """The grid's rules as data (包保规则): which categories may hold each level and the load limits.

    ``level_categories`` maps a level ("1".."4") to the list of Category values allowed to hold it.
    ``overload_threshold``: a household representative with more active households than this is
    overloaded (coverage report). ``target_households``: the load the gap-fill proposal and the demo
    grid aim for. The rule set in force on a day is the one with the latest ``effective_from`` on or
    before it (:meth:`in_force`; the shipped sets of lianfang.workforce.rulesets are installed when the
    table is empty). Shipped: ``qilihe-2022`` (Qilihe operation, March 2022: one household
    representative for about 10-30 households, domain.md §1). ``name`` is the Chinese name, ``name_en``
    the English one (blank: pages in English show ``name``, :attr:`display_name`).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    effective_from = models.DateField(_("effective from"))
    level_categories = models.JSONField(_("categories allowed per level"), default=dict)
    target_households = models.PositiveSmallIntegerField(_("target households per representative"), default=20)
    overload_threshold = models.PositiveSmallIntegerField(_("overload threshold (households)"), default=30)

    class Meta:
        verbose_name = _("grid rule set")
        verbose_name_plural = _("grid rule sets")
        ordering = ["-effective_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overload_threshold__gte=F("target_households")), name="gridruleset_threshold_above_target"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the active language: ``name_en`` in English when given, else ``name`` (as
        assistance's SlaRuleSet.display_name; new-user trial 14: /workforce/grid/ in English showed
        四级包保（七里河 2022）)."""
        return (self.name_en if (get_language() or "").startswith("en") else "") or self.name

    @classmethod
    def in_force(cls, day: dt.date) -> GridRuleSet:
        """The rule set in force on ``day``; raises GridRuleSet.DoesNotExist when none has started."""
        found = cls.objects.filter(effective_from__lte=day).order_by("-effective_from", "code").first()
        if found is None and not cls.objects.exists():
            from lianfang.workforce.rulesets import install_shipped_rule_sets  # noqa: PLC0415

            install_shipped_rule_sets()
            found = cls.objects.filter(effective_from__lte=day).order_by("-effective_from", "code").first()
        if found is None:
            raise cls.DoesNotExist(f"no grid rule set in force on {day}")
        return found

    def categories_for(self, level: int) -> frozenset[str]:
        """Category values allowed to hold ``level`` (empty when the rule set does not name it)."""
        return frozenset(self.level_categories.get(str(int(level)), ()))


class WorkerQuerySet(ScopedQuerySet):
    """Workers are visible through their base division or through a deployment or assignment in scope."""

    def visible_to(self, user) -> WorkerQuerySet:
        """Workers whose base division is in the user's subtrees, or who are deployed or responsible
        there; a household representative sees the workers responsible for their households."""
        scope = scope_for(user)
        if scope.everything:
            return self
        if scope.is_empty:
            return self.none()
        q = Q()
        for code in scope.codes:
            q |= subtree_q("path", code)
            q |= Exists(Deployment.objects.filter(subtree_q("path", code), worker=OuterRef("pk")))
            q |= Exists(ResponsibilityAssignment.objects.filter(subtree_q("path", code), worker=OuterRef("pk")))
        for qs in scope.household_querysets:
            q |= Exists(ResponsibilityAssignment.objects.filter(household__in=qs, worker=OuterRef("pk")))
        return self.filter(q)


class Worker(SealedIdMixin, SealedPhoneMixin, models.Model):
    """A person of the workforce (工作人员). Accounts are optional: many volunteers have none.

    ``base_division`` is where the worker belongs (the street of a street staff member, the community
    of its staff, the building where a household representative lives); ``path`` repeats its code
    for scoping. ``sending_organisation`` (派出单位) is required for stationed cadres. Phone and ID
    number are sealed (core.pii). ``source_key`` identifies rows made by the demo generator or an
    import (unique per district when set) so re-running them creates nothing new.
    """

    SCOPE_PATH_FIELD = "path"

    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    base_division = models.ForeignKey(
        "divisions.Division", verbose_name=_("base division"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    name = models.CharField(_("name"), max_length=60, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=30, blank=True, db_index=True)
    position = models.CharField(_("position (职务)"), max_length=60, blank=True)
    sending_organisation = models.CharField(_("sending organisation (派出单位)"), max_length=120, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="worker",
    )
    source_key = models.CharField(_("source key"), max_length=80, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["path", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "source_key"], condition=~Q(source_key=""), name="worker_unique_source_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path

    @property
    def category_values(self) -> list[str]:
        """Category values, in Category order (uses the prefetched ``categories`` when present)."""
        held = {c.category for c in self.categories.all()}
        return [value for value in Category.values if value in held]

    @property
    def category_labels(self) -> list[str]:
        return [str(Category(value).label) for value in self.category_values]


class WorkerCategory(models.Model):
    """One category held by a worker (a worker may be a community staff member and a party member)."""

    worker = models.ForeignKey(Worker, verbose_name=_("worker"), on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, db_index=True)

    class Meta:
        verbose_name = _("worker category")
        verbose_name_plural = _("worker categories")
        constraints = [models.UniqueConstraint(fields=["worker", "category"], name="workercategory_unique")]

    def __str__(self) -> str:
        return f"{self.worker_id}:{self.category}"


class Deployment(models.Model):
    """Worker ``worker`` is deployed to ``division`` (a community/village or a compound/village group)
    from ``starts_on`` to ``ends_on`` (inclusive; NULL: open-ended). ``community`` is the level-5
    division (denormalised for grouping); ``path`` the division's code. A worker has at most one
    deployment on any day (services.deployment_create)."""

    SCOPE_PATH_FIELD = "path"

    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(Worker, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="deployments")
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("deployed to"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "divisions.Division", verbose_name=_("community/village"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    duty = models.CharField(_("duty"), max_length=120, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=16, choices=EndReason.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["path", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="deployment_dates_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["path", "starts_on"], name="deployment_path_idx"),
            models.Index(fields=["worker", "starts_on"], name="deployment_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} → {self.path} {self.starts_on}–{self.ends_on or ''}"

    @property
    def audit_division_code(self) -> str:
        return self.path


class Team(models.Model):
    """A named team (队伍) based in a division, with a leader, members and duties, e.g. a village's
    55-member "blue vest" volunteer team."""

    SCOPE_PATH_FIELD = "path"

    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    base_division = models.ForeignKey(
        "divisions.Division", verbose_name=_("base division"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    name = models.CharField(_("name"), max_length=80)
    leader = models.ForeignKey(
        Worker, verbose_name=_("leader"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField(Worker, verbose_name=_("members"), related_name="teams", blank=True)
    duties = models.CharField(_("duties"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["path", "name"]
        constraints = [models.UniqueConstraint(fields=["base_division", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path


class ResponsibilityAssignment(models.Model):
    """A named person answerable for a unit at one level (包保), from ``starts_on`` to ``ends_on``.

    - L1-L3: ``division`` is the unit (community/village for L1; community/village or compound for L2;
      compound/village group for L3); ``household`` is NULL.
    - L4: ``household`` is the unit; ``division`` is the household's own node (unit, building,
      compound or community) so loads can be grouped by building.

    ``path`` is the unit's division code (the household's path for L4); ``community`` and ``compound``
    are denormalised for grouping. ``previous`` links a hand-over to the assignment it took over from.
    Database invariants: dates ordered; household set iff L4; at most one open-ended assignment per
    unit and level; and no two overlapping periods for the same unit and level (migration 0002).
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), choices=ResponsibilityLevel.choices)
    worker = models.ForeignKey(
        Worker, verbose_name=_("responsible person"), on_delete=models.PROTECT, related_name="assignments"
    )
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("unit of responsibility"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibility_assignments",
    )
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
    path = models.CharField(_("division code"), max_length=20)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=16, choices=EndReason.choices, blank=True)
    previous = models.ForeignKey(
        "self", verbose_name=_("took over from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsibility assignment")
        verbose_name_plural = _("responsibility assignments")
        ordering = ["path", "level", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="assignment_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="assignment_level_range"),
            models.CheckConstraint(
                condition=Q(level=4, household__isnull=False) | (Q(level__lt=4) & Q(household__isnull=True)),
                name="assignment_household_iff_l4",
            ),
            models.UniqueConstraint(
                fields=["household"], condition=Q(level=4, ends_on__isnull=True), name="assignment_one_open_l4"
            ),
            models.UniqueConstraint(
                fields=["level", "division"],
                condition=Q(household__isnull=True, ends_on__isnull=True),
                name="assignment_one_open_per_unit",
            ),
        ]
        indexes = [
            # Covering index: coverage reads (level, path, worker) of the active rows in index order.
            models.Index(fields=["level", "path", "worker", "starts_on", "ends_on"], name="assignment_cover_idx"),
            models.Index(fields=["household", "starts_on"], name="assignment_household_idx"),
            models.Index(fields=["division", "level", "starts_on"], name="assignment_division_idx"),
            models.Index(fields=["worker", "level"], name="assignment_worker_idx"),
        ]

    def __str__(self) -> str:
        unit = f"household {self.household_id}" if self.household_id else self.path
        return f"L{self.level} {self.worker_id} → {unit} {self.starts_on}–{self.ends_on or ''}"

    @property
    def audit_division_code(self) -> str:
        return self.path

    def is_active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)
