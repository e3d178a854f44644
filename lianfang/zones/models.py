"""Control areas (封控区 / 管控区 / 防范区 and their 9th-edition and "20 measures" successors).

Terms and rules: ../shared/docs/domain.md §2 (zone rule sets), §3 (contacts and quarantine), §4
(pooling). Every rule is a row of a :class:`RuleSet` (shipped by migration 0002 for the 8th-edition
era, the 9th edition and the 20 measures), never a code constant:

- :class:`RuleTier` — one tier of a rule set (sealed, controlled, precaution / high, medium, low):
  measures in zh-Hans and English, pooling modes, first-screening deadline, how far a proposal
  reaches from an infection's residence, the largest node it may cover, the tier a positive inside
  raises it to.
- :class:`LiftRule` — how an area of a tier downgrades or lifts: quiet days, the whole-area round it
  needs, the close-contact clearance, "after every stricter area has lifted".
- :class:`Operation` — an outbreak response in one district; it chooses one rule set.
- :class:`Infection` (感染者, the index case) and :class:`InfectionPlace` (workplaces, places visited).
- :class:`ControlArea` — a set of division nodes at one tier, with status proposed → active →
  downgraded / upgraded / lifted (or withdrawn, for a proposal not approved) and its history
  (:class:`ControlAreaEvent`); :class:`ManualEvidence` is evidence entered by hand (a round result or
  the close contacts' status) while the screening and field-operations apps do not provide it.

Every status change goes through ``lianfang.zones.services`` (conditional updates, audit log).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianfang.core.scoping import ScopedManager, ScopedQuerySet, scope_for, subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Level
from lianfang.zones.shipped import display_text

DISTRICT_CODE_LENGTH = CODE_LENGTHS[Level.DISTRICT]


class TierKey(models.TextChoices):
    """Names of tiers across the shipped rule sets (domain.md §1-§2)."""

    SEALED = "sealed", _("Sealed area")
    CONTROLLED = "controlled", _("Controlled area")
    PRECAUTION = "precaution", _("Precaution area")
    HIGH = "high", _("High-risk area")
    MEDIUM = "medium", _("Medium-risk area")
    LOW = "low", _("Low-risk area")


class PoolingMode(models.TextChoices):
    """How samples are tubed in an area (domain.md §4)."""

    SINGLE = "single", _("Single-person tube")
    HOUSEHOLD = "household", _("One tube per household")
    POOL_5 = "pool_5", _("5-in-1 pool")
    POOL_10 = "pool_10", _("10-in-1 pool")
    POOL_20 = "pool_20", _("20-in-1 pool")


POOL_SIZES = {"single": 1, "household": None, "pool_5": 5, "pool_10": 10, "pool_20": 20}


class QuarantineMode(models.TextChoices):
    CENTRALIZED = "centralized", _("Centralized isolation")
    HOME = "home", _("Home isolation")


# --------------------------------------------------------------------------------------------- rule sets


def _district_overlap_q(field: str, codes) -> Q:
    """Rows whose district code (``field``) contains one of ``codes`` or lies inside it."""
    q = Q()
    for code in codes:
        q |= subtree_q(field, code)
        if len(code) > DISTRICT_CODE_LENGTH:
            q |= Q(**{field: code[:DISTRICT_CODE_LENGTH]})
    return q


def household_paths(scope) -> list[str]:
    """Division codes (``Household.path``) of the households a user sees through household-scope
    providers (a household representative's 10-30 households); ``[]`` for a user without them."""
    if not scope.household_querysets:
        return []
    from lianfang.registry.models import Household  # noqa: PLC0415 (registry depends on zones' app order)

    q = Q()
    for households in scope.household_querysets:
        q |= Q(pk__in=households)
    return sorted(set(Household.objects.filter(q).values_list("path", flat=True)))


def ancestor_codes(paths) -> set[str]:
    """Every division code that is one of ``paths`` or an ancestor of one (by the code lengths)."""
    return {path[:n] for path in paths for n in sorted(set(CODE_LENGTHS.values())) if n <= len(path)}


def _scope_codes(scope) -> list[str]:
    """The user's division subtrees plus the places of their households (for district overlap)."""
    return [*scope.codes, *household_paths(scope)]


class DistrictOverlapQuerySet(ScopedQuerySet):
    """Rows that belong to a whole district: visible to every user whose scope lies inside the
    district or contains it, a household representative included (the district of their households);
    deny by default."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.everything:
            return self
        codes = _scope_codes(scope)
        if not codes:
            return self.none()
        return self.filter(_district_overlap_q(self._path_field(), codes))


class RuleSetQuerySet(DistrictOverlapQuerySet):
    """Shipped (national) rule sets are visible to every user with a scope; a local variant to users
    whose scope overlaps its district."""

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.everything:
            return self
        codes = _scope_codes(scope)
        if not codes:
            return self.none()
        return self.filter(Q(district__isnull=True) | _district_overlap_q(self._path_field(), codes))


# Labels of the shipped editions (RuleSet.edition holds the code, stable across languages).
EDITION_LABELS = {
    "8th-era": _("8th-edition era"),
    "9th": _("9th edition"),
    "20-measures": _("the 20 measures"),
}


class RuleSet(models.Model):
    """A versioned set of zone, contact and pooling rules (规则集), e.g. the 8th-edition era.

    ``key`` is a stable slug; ``edition`` names the protocol (``"8th-era"``, ``"9th"``,
    ``"20-measures"`` or a local label); ``source`` cites the official texts. A local variant is a
    copy (``based_on``) owned by one ``district`` with changed values; shipped sets have
    ``is_builtin`` and are never edited. Exactly one set has ``is_default`` (the 8th-edition era,
    since the Qilihe operation is March 2022).

    Contacts (domain.md §3): the contact window starts ``contact_window_days`` before onset or the
    positive sample; close and secondary contacts have centralized and home periods (days, counted
    from the LAST exposure) and test days (1-based day numbers of each period).
    """

    SCOPE_PATH_FIELD = "district__code"

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name (zh-Hans)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    edition = models.CharField(_("edition"), max_length=40)
    source = models.TextField(_("source"))
    effective_from = models.DateField(_("effective from"))
    based_on = models.ForeignKey(
        "self", verbose_name=_("based on"), null=True, blank=True, on_delete=models.PROTECT, related_name="variants"
    )
    district = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("district (local variant)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_builtin = models.BooleanField(_("shipped"), default=False)
    is_default = models.BooleanField(_("default"), default=False)
    contact_window_days = models.PositiveSmallIntegerField(_("contact window before onset (days)"), default=2)
    close_centralized_days = models.PositiveSmallIntegerField(_("close contact: centralized isolation days"))
    close_home_days = models.PositiveSmallIntegerField(_("close contact: home monitoring days"), default=0)
    close_centralized_test_days = models.JSONField(_("close contact: test days in isolation"), default=list)
    close_home_test_days = models.JSONField(_("close contact: test days at home"), default=list, blank=True)
    secondary_traced = models.BooleanField(_("secondary contacts traced"), default=True)
    secondary_mode = models.CharField(
        _("secondary contact: isolation"), max_length=12, choices=QuarantineMode.choices, blank=True
    )
    secondary_days = models.PositiveSmallIntegerField(_("secondary contact: isolation days"), default=0)
    secondary_test_days = models.JSONField(_("secondary contact: test days"), default=list, blank=True)
    round_deadline_hours = models.PositiveSmallIntegerField(_("regional round deadline (hours)"), default=24)
    quarantine_source = models.TextField(_("source of the contact rules"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["effective_from", "key"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="ruleset_one_default"),
            models.CheckConstraint(
                condition=Q(is_builtin=False) | Q(district__isnull=True), name="ruleset_builtin_is_national"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (English for ``en``, otherwise zh-Hans)."""
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def display_edition(self) -> str:
        """The edition as people read it: the shipped editions' codes (``8th-era``, ``9th``,
        ``20-measures``) translated, a local label as entered."""
        return str(EDITION_LABELS.get(self.edition, self.edition))

    @property
    def audit_division_code(self) -> str:
        return self.district.code if self.district_id else ""

    @property
    def origin_key(self) -> str:
        """The key of the shipped set this one is (a copy of, through ``based_on``); its own key when it
        derives from none."""
        if not hasattr(self, "_origin_key"):
            node, seen = self, set()
            while not node.is_builtin and node.based_on_id and node.pk not in seen:
                seen.add(node.pk)
                node = node.based_on
            self._origin_key = node.key
        return self._origin_key

    @property
    def display_source(self) -> str:
        """The citation people read: the shipped text in the active language while unchanged, else as entered."""
        return display_text(("rule_set", self.origin_key), self.source)

    @property
    def display_quarantine_source(self) -> str:
        """The contact rules' citation people read (see :attr:`display_source`)."""
        return display_text(("quarantine", self.origin_key), self.quarantine_source)

    def quarantine_for(self, kind: str) -> dict:
        """The quarantine rule for ``kind`` (``"close"`` or ``"secondary"``), domain.md §3.

        Returns ``{"traced": bool, "centralized_days": int, "home_days": int,
        "centralized_test_days": [int], "home_test_days": [int], "source": str}`` (``source`` as people
        read it, :attr:`display_quarantine_source`); days are counted from the LAST exposure (day 1 =
        the day after it). A secondary contact in home isolation has
        its days under ``home_days``/``home_test_days``. Raises ValueError for another kind.
        """
        if kind == "close":
            return {
                "traced": True,
                "centralized_days": self.close_centralized_days,
                "home_days": self.close_home_days,
                "centralized_test_days": list(self.close_centralized_test_days),
                "home_test_days": list(self.close_home_test_days),
                "source": self.display_quarantine_source,
            }
        if kind == "secondary":
            home = self.secondary_mode == QuarantineMode.HOME
            return {
                "traced": self.secondary_traced,
                "centralized_days": 0 if home else self.secondary_days,
                "home_days": self.secondary_days if home else 0,
                "centralized_test_days": [] if home else list(self.secondary_test_days),
                "home_test_days": list(self.secondary_test_days) if home else [],
                "source": self.display_quarantine_source,
            }
        raise ValueError(f"unknown contact kind {kind!r} (close or secondary)")


class RuleTier(models.Model):
    """One tier of a rule set (sealed / controlled / precaution, high / medium / low).

    ``rank`` 1 is the strictest; where areas overlap, the lowest rank wins. ``pooling_modes`` lists
    PoolingMode values, the first being the default (domain.md §4). ``first_screening_hours`` is the
    deadline of the first whole-area round after the area is declared (NULL: none set).
    Proposals from an infection (issue 5 §4): ``proposal_level`` is the level of the residence's
    ancestor the tier proposes (6 compound, 5 community, 3 the whole district; NULL: not proposed);
    ``propose_for_places`` proposes the infection's workplaces and visited places at this tier.
    ``max_node_level`` is the widest node the tier may cover (7: a building or stairwell only, the
    20 measures; NULL: any) — wider needs a commander's override. ``is_baseline`` marks the
    district-wide tier (precaution / low). ``upgrade_to``: a positive inside an area of this tier
    raises a proposal to turn the whole area into that tier (8th edition: controlled → sealed).
    """

    rule_set = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.CASCADE, related_name="tiers")
    key = models.CharField(_("tier"), max_length=16, choices=TierKey.choices)
    rank = models.PositiveSmallIntegerField(_("rank (1 = strictest)"))
    name = models.CharField(_("name (zh-Hans)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)
    measures = models.TextField(_("measures (zh-Hans)"))
    measures_en = models.TextField(_("measures (English)"))
    colour = models.CharField(_("map colour"), max_length=7, default="#999999")
    pooling_modes = models.JSONField(_("pooling modes"), default=list)
    first_screening_hours = models.PositiveSmallIntegerField(_("first screening within (hours)"), null=True, blank=True)
    proposal_level = models.PositiveSmallIntegerField(
        _("proposed from the residence at level"), choices=Level.choices, null=True, blank=True
    )
    propose_for_places = models.BooleanField(_("proposed for workplaces and places visited"), default=False)
    max_node_level = models.PositiveSmallIntegerField(
        _("widest node allowed (level)"), choices=Level.choices, null=True, blank=True
    )
    is_baseline = models.BooleanField(_("district-wide baseline tier"), default=False)
    upgrade_to = models.ForeignKey(
        "self", verbose_name=_("a positive inside turns it into"), null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rule_set", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "key"], name="ruletier_unique_key"),
            models.UniqueConstraint(fields=["rule_set", "rank"], name="ruletier_unique_rank"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def display_measures(self) -> str:
        return self.measures_en if (get_language() or "").startswith("en") else self.measures

    @property
    def display_source(self) -> str:
        """The tier's note people read: the shipped text in the active language while unchanged, else as entered."""
        return display_text(("tier", self.rule_set.origin_key, self.key), self.source)

    @property
    def pooling_mode_labels(self) -> list[str]:
        """The tier's pooling modes as people read them (PoolingMode labels), in order."""
        labels = dict(PoolingMode.choices)
        return [str(labels.get(m, m)) for m in self.pooling_modes]

    @property
    def default_pooling_mode(self) -> str:
        """The first of ``pooling_modes`` (``""`` when none is set)."""
        return self.pooling_modes[0] if self.pooling_modes else ""

    @property
    def pool_size(self) -> int | None:
        """People per tube of the default mode: 1, 5, 10, 20; None for one tube per household or unset."""
        return POOL_SIZES.get(self.default_pooling_mode)


class EnteredBy(models.TextChoices):
    ANY = "any", _("Any")
    DECLARED = "declared", _("Declared at this tier")
    DOWNGRADED = "downgraded", _("Downgraded into this tier")


class CountedFrom(models.TextChoices):
    LAST_INFECTION = "last_infection", _("The last infection (or the area's start)")
    TIER_ENTRY = "tier_entry", _("Entering this tier (or a later infection)")


class LiftRule(models.Model):
    """When an area of ``tier`` downgrades to ``to_tier`` or, with ``to_tier`` NULL, lifts.

    All set conditions must hold on the day T of the change (days in Asia/Shanghai):

    - ``quiet_days``: T − base ≥ quiet_days, where base is the day of the last infection inside the
      area (or the area's first day), or, with ``counted_from = tier_entry``, the later of that and
      the day the area entered its tier (9th edition: "3 more days" after high → medium).
    - ``round_from_day``: an all-negative whole-area round on a day ≥ base + round_from_day
      (9th edition: "on day 7").
    - ``round_within_days``: an all-negative whole-area round on a day ≥ T − round_within_days
      (8th edition: "within the 2 days before lifting").
    - ``contact_clear_days``: every close contact of the area's infections tested negative and the
      last one's exposure is more than ``contact_clear_days`` days before T (8th edition: 14).
    - ``requires_stricter_lifted``: no area of a stricter tier is in force in the district
      (precaution / low: "lifts when every sealed and controlled area has").

    ``entered_by`` picks the rule by how the area came to its tier (declared or downgraded); ``any``
    is the fallback. ``source`` cites the rule.
    """

    tier = models.ForeignKey(RuleTier, verbose_name=_("tier"), on_delete=models.CASCADE, related_name="lift_rules")
    to_tier = models.ForeignKey(
        RuleTier,
        verbose_name=_("downgrade to (empty: lift)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    entered_by = models.CharField(_("applies to areas"), max_length=12, choices=EnteredBy.choices, default="any")
    quiet_days = models.PositiveSmallIntegerField(_("days without a new infection"), null=True, blank=True)
    counted_from = models.CharField(
        _("days counted from"), max_length=16, choices=CountedFrom.choices, default=CountedFrom.LAST_INFECTION
    )
    round_from_day = models.PositiveSmallIntegerField(_("all-negative round on or after day"), null=True, blank=True)
    round_within_days = models.PositiveSmallIntegerField(
        _("all-negative round within days before"), null=True, blank=True
    )
    contact_clear_days = models.PositiveSmallIntegerField(
        _("last close contact negative and more than days past exposure"), null=True, blank=True
    )
    requires_stricter_lifted = models.BooleanField(_("after every stricter area has lifted"), default=False)
    source = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("lifting rule")
        verbose_name_plural = _("lifting rules")
        ordering = ["tier__rank", "entered_by"]
        constraints = [models.UniqueConstraint(fields=["tier", "entered_by"], name="liftrule_unique_per_entry")]

    def __str__(self) -> str:
        target = self.to_tier.display_name if self.to_tier_id else _("lift")
        return f"{self.tier} → {target}"

    @property
    def display_source(self) -> str:
        """The rule as people read it: the shipped text in the active language while unchanged, else as entered."""
        tier = self.tier
        return display_text(("lift", tier.rule_set.origin_key, tier.key, self.entered_by), self.source)


# --------------------------------------------------------------------------------------------- operations


class OperationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Operation(models.Model):
    """An outbreak response in one district (疫情处置), with the rule set it runs under.

    At most one open operation per district (constraint). Visible to every user whose scope lies in
    the district.
    """

    SCOPE_PATH_FIELD = "district__code"

    name = models.CharField(_("name"), max_length=120)
    district = models.ForeignKey(
        "divisions.Division", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    rule_set = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=OperationStatus.choices, default="open")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DistrictOverlapQuerySet.as_manager()

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district"], condition=Q(status="open"), name="operation_one_open_per_district"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")), name="operation_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.district.code


# --------------------------------------------------------------------------------------------- infections


class Infection(models.Model):
    """An infection (感染者, the index case) entered for an operation.

    The person is a ``resident`` or, for a non-resident, a ``person_name`` (never shown on public
    notices). At least one of ``onset_on`` (symptom onset) and ``positive_sample_on`` is set;
    ``detected_on`` is the positive-sample day, else the onset day: the day the area clocks count
    from. ``residence`` is the most specific division node of the place of residence (``path`` its
    code); ``household`` is set when known. Other apps link positive pools and contacts to it.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.PROTECT, related_name="infections"
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_name = models.CharField(_("name"), max_length=60)
    onset_on = models.DateField(_("symptom onset"), null=True, blank=True)
    positive_sample_on = models.DateField(_("positive sample taken"), null=True, blank=True)
    detected_on = models.DateField(_("detected on"), db_index=True)
    residence = models.ForeignKey(
        "divisions.Division", verbose_name=_("place of residence"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("infection")
        verbose_name_plural = _("infections")
        ordering = ["-detected_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(onset_on__isnull=False) | Q(positive_sample_on__isnull=False),
                name="infection_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.detected_on}"

    @property
    def audit_division_code(self) -> str:
        return self.path

    @property
    def window_starts_on(self) -> dt.date:
        """First day of the contact window: ``contact_window_days`` before the earlier of onset and
        positive sample (domain.md §3); uses the operation's rule set."""
        first = min(d for d in (self.onset_on, self.positive_sample_on) if d is not None)
        return first - dt.timedelta(days=self.operation.rule_set.contact_window_days)


class PlaceKind(models.TextChoices):
    WORKPLACE = "workplace", _("Workplace")
    VISITED = "visited", _("Place visited")


class InfectionPlace(models.Model):
    """A workplace or a place an infection visited in the contact window (a division node)."""

    SCOPE_PATH_FIELD = "path"

    infection = models.ForeignKey(
        Infection, verbose_name=_("infection"), on_delete=models.CASCADE, related_name="places"
    )
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PlaceKind.choices)
    visited_on = models.DateField(_("visited on"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("place of an infection")
        verbose_name_plural = _("places of infections")
        constraints = [models.UniqueConstraint(fields=["infection", "division", "kind"], name="infectionplace_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.path}"


# --------------------------------------------------------------------------------------------- control areas


class AreaStatus(models.TextChoices):
    """proposed → active → downgraded / upgraded / lifted; a proposal not approved is withdrawn."""

    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    DOWNGRADED = "downgraded", _("Downgraded")
    UPGRADED = "upgraded", _("Upgraded")
    LIFTED = "lifted", _("Lifted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Statuses of an area that was (or is) in force.
IN_FORCE_STATUSES = ("active", "downgraded", "upgraded", "lifted")
ENDED_STATUSES = ("downgraded", "upgraded", "lifted")


class AreaReason(models.TextChoices):
    INFECTION = "infection", _("Linked infection")
    POSITIVE_POOL = "positive_pool", _("Positive pool")
    UPGRADE = "upgrade", _("Upgrade after a positive inside")
    DOWNGRADE = "downgrade", _("Downgrade")
    BASELINE = "baseline", _("Rest of the district")
    OTHER = "other", _("Other")


class ReasonCode(models.TextChoices):
    """Why a status changed (carried by every status change and audit entry)."""

    PROPOSED_FROM_INFECTION = "proposed_from_infection", _("Proposed from an infection")
    DECLARED = "declared", _("Declared by a commander")
    APPROVED = "approved", _("Proposal approved")
    WITHDRAWN = "withdrawn", _("Proposal withdrawn")
    POSITIVE_INSIDE = "positive_inside", _("A positive was found inside")
    CONDITIONS_MET = "conditions_met", _("All conditions met")
    OVERRIDE = "override", _("Commander's override")
    SUPERSEDED = "superseded", _("Replaced by its successor")
    NODES_CHANGED = "nodes_changed", _("Places adjusted")
    EVIDENCE = "evidence", _("Evidence entered")
    DUE = "due", _("Change due")


class ControlAreaQuerySet(ScopedQuerySet):
    """Who sees which control areas (read access only; see :meth:`visible_to`)."""

    def visible_to(self, user):
        """Areas ``user`` may read (deny by default; a superuser sees every area):

        - every area (proposals included) whose ``path`` lies in one of the user's division subtrees;
        - beyond those subtrees, every area that was or is in force (not a proposal, nor a withdrawn
          one) with a node that covers a place of the user — a node at or above one of their scope
          roots (an area declared at the street covers each of its communities; the district's
          precaution area covers everything), at or above the place of one of their households (a
          household representative), or inside one of their subtrees (an area over compounds of two
          communities concerns each community's staff).

        Visibility never grants a change: every write checks the capability at the area's own
        ``path`` (services ``_require``, views ``can(user, MANAGE_ZONES, area.path)``), so a
        community's staff read the street's area and cannot change it. Areas of other branches (a
        sibling street, another community's compound) stay invisible. The covering rows are matched
        through a subquery on the nodes, so an area counts once whatever the number of its nodes.
        """
        scope = scope_for(user)
        own = super().visible_to(user)  # the subtrees (everything, or nothing, when so decided)
        if scope.everything or scope.is_empty:
            return own
        touching = Q(code__in=ancestor_codes([*scope.codes, *household_paths(scope)]))
        for code in scope.codes:
            touching |= subtree_q("code", code)
        covering = ControlAreaNode.objects.filter(touching).values("area_id")
        return own | self.filter(pk__in=covering, status__in=IN_FORCE_STATUSES)

    def in_force(self, at: dt.datetime | None = None):
        """Areas in force at instant ``at`` (default now): started, not ended, never a proposal."""
        at = at or timezone.now()
        return self.filter(status__in=IN_FORCE_STATUSES, effective_from__lte=at).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=at)
        )


class ControlArea(models.Model):
    """A control area (管控区域): division nodes at any level (unit … community, or the whole district
    for the baseline tier) placed under one ``tier`` of the operation's rule set.

    ``path`` is the deepest division containing every node: the people who may change the area are
    those with MANAGE_ZONES at ``path`` or above; who may read it is
    :meth:`ControlAreaQuerySet.visible_to` (the areas inside their subtrees, and those in force that
    cover or touch their places). ``reason`` is a linked ``infection``, a positive pool
    (``positive_pool_ref``, set by the screening app), an upgrade or downgrade of ``predecessor``, or
    the baseline (the rest of the district). ``effective_from``/``ended_at`` bound the time in force
    (aware UTC). ``lift_due_since`` is set by zone_tick when a lift is due (a proposal to lift).
    ``last_infection_on``, ``earliest_change_on`` and ``change_ready`` are the clock as last computed
    (zone_tick and every write); pages recompute the detail live.
    """

    SCOPE_PATH_FIELD = "path"

    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.PROTECT, related_name="areas"
    )
    tier = models.ForeignKey(RuleTier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=AreaStatus.choices, default="proposed", db_index=True)
    status_reason = models.CharField(_("reason code"), max_length=32, choices=ReasonCode.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=AreaReason.choices)
    infection = models.ForeignKey(
        Infection,
        verbose_name=_("linked infection"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="areas",
    )
    positive_pool_ref = models.CharField(_("positive pool"), max_length=60, blank=True)
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="successors",
    )
    note = models.TextField(_("note"), blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("declared by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_from = models.DateTimeField(_("in force from"), null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, db_index=True)
    lift_due_since = models.DateTimeField(_("lift due since"), null=True, blank=True)
    last_infection_on = models.DateField(_("last infection inside"), null=True, blank=True)
    earliest_change_on = models.DateField(_("earliest lift or downgrade"), null=True, blank=True)
    change_ready = models.BooleanField(_("can change now"), default=False)
    clock_computed_at = models.DateTimeField(_("clock computed"), null=True, blank=True)

    objects = ControlAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("control area")
        verbose_name_plural = _("control areas")
        ordering = ["tier__rank", "path", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("effective_from")),
                name="controlarea_dates_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=IN_FORCE_STATUSES) | Q(effective_from__isnull=False),
                name="controlarea_in_force_has_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=ENDED_STATUSES) | Q(ended_at__isnull=False),
                name="controlarea_ended_has_end",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path

    @property
    def is_proposal(self) -> bool:
        return self.status == AreaStatus.PROPOSED


class ControlAreaNode(models.Model):
    """One division node of an area; ``code`` repeats the node's code for range look-ups."""

    SCOPE_PATH_FIELD = "code"

    area = models.ForeignKey(
        ControlArea, verbose_name=_("control area"), on_delete=models.CASCADE, related_name="nodes"
    )
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("division code"), max_length=20, db_index=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("place of a control area")
        verbose_name_plural = _("places of control areas")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["area", "division"], name="controlareanode_unique")]

    def __str__(self) -> str:
        return self.code


class EventKind(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved (in force)")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UPGRADED = "upgraded", _("Upgraded")
    DOWNGRADED = "downgraded", _("Downgraded")
    LIFTED = "lifted", _("Lifted")
    NODES_CHANGED = "nodes_changed", _("Places adjusted")
    LIFT_DUE = "lift_due", _("Lift due")
    EVIDENCE = "evidence", _("Evidence entered")


# Events that change what residents must do: each gets a printable public notice.
NOTICE_EVENTS = ("approved", "upgraded", "downgraded", "lifted")


class ControlAreaEvent(models.Model):
    """One entry of an area's history (append-only): what happened, when, by whom, why.

    ``at`` is when it takes effect (an approval's ``effective_from``), ``recorded_at`` when it was
    written; the history is in the order written. ``from_status``/``to_status`` are set for status
    changes; ``reason_code`` is a ReasonCode;
    ``overridden`` marks a change made against failing conditions, with the commander's written
    ``note``; ``conditions`` is the list of conditions as evaluated (JSON). Events of kinds in
    NOTICE_EVENTS have a public notice.
    """

    SCOPE_PATH_FIELD = "path"

    area = models.ForeignKey(
        ControlArea, verbose_name=_("control area"), on_delete=models.CASCADE, related_name="events"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=12, choices=AreaStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=AreaStatus.choices, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=32, choices=ReasonCode.choices)
    note = models.TextField(_("note"), blank=True)
    overridden = models.BooleanField(_("override"), default=False)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    related_area = models.ForeignKey(
        ControlArea,
        verbose_name=_("related area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("control area event")
        verbose_name_plural = _("control area history")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def has_notice(self) -> bool:
        return self.kind in NOTICE_EVENTS


class EvidenceKind(models.TextChoices):
    ROUND = "round", _("Whole-area testing round")
    CONTACTS = "contacts", _("Close contacts")


class ManualEvidence(models.Model):
    """Evidence entered by hand for an area's lifting conditions, with the reason it is trusted.

    ``kind = round``: a whole-area round finished on ``day``, ``all_negative`` its result, ``people``
    tested. ``kind = contacts``: the area's close contacts; ``day`` the last one's exposure (NULL
    when there are none, ``people = 0``), ``all_negative`` whether every one tested negative.
    """

    SCOPE_PATH_FIELD = "path"

    area = models.ForeignKey(
        ControlArea, verbose_name=_("control area"), on_delete=models.CASCADE, related_name="evidence"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    day = models.DateField(_("day"), null=True, blank=True)
    all_negative = models.BooleanField(_("all negative"))
    people = models.PositiveIntegerField(_("people"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("manual evidence")
        verbose_name_plural = _("manual evidence")
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="contacts") | Q(day__isnull=False), name="evidence_round_has_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day}"
