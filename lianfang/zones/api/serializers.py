"""API shapes for rule sets, infections and control areas (read; infections can be entered)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lianfang.core.forms import bracketed, listing
from lianfang.core.serializers import CodeField, RowIdField, UsableDateField
from lianfang.zones.models import (
    ControlArea,
    Infection,
    InfectionPlace,
    LiftRule,
    PlaceKind,
    RuleSet,
    RuleTier,
)

_SOURCE_HELP = (
    "The citation as people read it, in the request's language (Accept-Language) while the shipped text is "
    "unchanged; a text someone changed (a local variant) as its author wrote it."
)


def source_field() -> serializers.CharField:
    """The ``source`` of a rule set, tier or lifting rule as people read it (``display_source``:
    :func:`lianfang.zones.shipped.display_text`), never the developer notes migration 0002 stores."""
    return serializers.CharField(source="display_source", read_only=True, help_text=_SOURCE_HELP)


class LiftRuleSerializer(serializers.ModelSerializer):
    """A lifting rule; ``to_tier`` is the tier key it downgrades to (null: the area lifts); ``source``
    as people read it (see :func:`source_field`)."""

    to_tier = serializers.CharField(source="to_tier.key", read_only=True, allow_null=True, default=None)
    source = source_field()

    class Meta:
        model = LiftRule
        fields = [
            "id",
            "to_tier",
            "entered_by",
            "quiet_days",
            "counted_from",
            "round_from_day",
            "round_within_days",
            "contact_clear_days",
            "requires_stricter_lifted",
            "source",
        ]


class RuleTierSerializer(serializers.ModelSerializer):
    """A tier with its measures (zh-Hans, English), pooling modes (the first is the default),
    ``pool_size`` (1, 5, 10, 20, or null for one tube per household), lifting rules and ``source`` as
    people read it (see :func:`source_field`)."""

    source = source_field()
    upgrade_to = serializers.CharField(source="upgrade_to.key", read_only=True, allow_null=True, default=None)
    proposal_level = serializers.IntegerField(read_only=True, allow_null=True, help_text="division level 3-8")
    max_node_level = serializers.IntegerField(read_only=True, allow_null=True, help_text="division level 3-8")
    pool_size = serializers.IntegerField(read_only=True, allow_null=True)
    lift_rules = LiftRuleSerializer(many=True, read_only=True)

    class Meta:
        model = RuleTier
        fields = [
            "key",
            "rank",
            "name",
            "name_en",
            "measures",
            "measures_en",
            "colour",
            "pooling_modes",
            "pool_size",
            "first_screening_hours",
            "proposal_level",
            "propose_for_places",
            "max_node_level",
            "is_baseline",
            "upgrade_to",
            "source",
            "lift_rules",
        ]


class QuarantineSerializer(serializers.Serializer):
    """Quarantine rule for one contact kind (days from the last exposure)."""

    traced = serializers.BooleanField()
    centralized_days = serializers.IntegerField()
    home_days = serializers.IntegerField()
    centralized_test_days = serializers.ListField(child=serializers.IntegerField())
    home_test_days = serializers.ListField(child=serializers.IntegerField())
    source = serializers.CharField()


class RuleSetSerializer(serializers.ModelSerializer):
    """A rule set with tiers (strictest first) and quarantine rules for close and secondary contacts;
    ``source`` (and each quarantine rule's) as people read it (see :func:`source_field`)."""

    source = source_field()
    tiers = RuleTierSerializer(many=True, read_only=True)
    based_on = serializers.SlugRelatedField(slug_field="key", read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    quarantine = serializers.SerializerMethodField()

    class Meta:
        model = RuleSet
        fields = [
            "key",
            "name",
            "name_en",
            "edition",
            "source",
            "effective_from",
            "is_builtin",
            "is_default",
            "based_on",
            "district",
            "contact_window_days",
            "round_deadline_hours",
            "quarantine",
            "tiers",
        ]

    @extend_schema_field(serializers.DictField(child=QuarantineSerializer()))
    def get_quarantine(self, obj) -> dict:
        return {"close": obj.quarantine_for("close"), "secondary": obj.quarantine_for("secondary")}


class InfectionPlaceSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="path")
    kind = serializers.CharField(help_text="workplace or visited")

    class Meta:
        model = InfectionPlace
        fields = ["code", "kind", "visited_on"]


class InfectionSerializer(serializers.ModelSerializer):
    """An infection (index case); ``residence`` is the division code of the place of residence."""

    residence = serializers.SlugRelatedField(slug_field="code", read_only=True)
    places = InfectionPlaceSerializer(many=True, read_only=True)
    areas = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Infection
        fields = [
            "id",
            "operation",
            "resident",
            "household",
            "person_name",
            "onset_on",
            "positive_sample_on",
            "detected_on",
            "residence",
            "path",
            "places",
            "note",
            "recorded_at",
            "areas",
        ]


class PlaceInputSerializer(serializers.Serializer):
    code = CodeField(max_length=20)
    kind = serializers.CharField(default=PlaceKind.VISITED, help_text="workplace or visited")
    visited_on = UsableDateField(required=False, allow_null=True)

    def validate_kind(self, value: str) -> str:
        if value not in PlaceKind.values:
            raise serializers.ValidationError(
                _("“%(value)s” is not a place kind; send one of: %(kinds)s")
                % {"value": value, "kinds": listing(bracketed(code, label) for code, label in PlaceKind.choices)}
            )
        return value


class InfectionCreateSerializer(serializers.Serializer):
    """Enter an infection: a ``resident`` id, or a ``person_name`` with a ``household`` id or a
    ``residence`` division code; at least one of the dates; optional ``places``; ``propose`` (default
    true) proposes the areas the rule set implies. Division codes may be typed in full-width digits
    (core.serializers.CodeField)."""

    operation = RowIdField()
    resident = RowIdField(required=False, allow_null=True)
    household = RowIdField(required=False, allow_null=True)
    residence = CodeField(required=False, allow_blank=True, max_length=20)
    person_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    onset_on = UsableDateField(required=False, allow_null=True)
    positive_sample_on = UsableDateField(required=False, allow_null=True)
    places = PlaceInputSerializer(many=True, required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    propose = serializers.BooleanField(default=True)


class InfectionCreatedSerializer(serializers.Serializer):
    """The infection entered, the proposals raised and the areas whose clock restarted (ids)."""

    infection = InfectionSerializer()
    proposals = serializers.ListField(child=serializers.IntegerField())
    restarted = serializers.ListField(child=serializers.IntegerField())


class ControlAreaSerializer(serializers.ModelSerializer):
    """A control area: tier key and rank, status, places (division codes), reason, time in force
    and the stored clock (refreshed by zone_tick and every write)."""

    tier = serializers.CharField(source="tier.key", read_only=True)
    tier_name = serializers.CharField(source="tier.display_name", read_only=True)
    rank = serializers.IntegerField(source="tier.rank", read_only=True)
    rule_set = serializers.CharField(source="tier.rule_set.key", read_only=True)
    nodes = serializers.SerializerMethodField()

    class Meta:
        model = ControlArea
        fields = [
            "id",
            "operation",
            "rule_set",
            "tier",
            "tier_name",
            "rank",
            "name",
            "path",
            "nodes",
            "status",
            "status_reason",
            "reason",
            "infection",
            "positive_pool_ref",
            "predecessor",
            "declared_at",
            "effective_from",
            "ended_at",
            "lift_due_since",
            "last_infection_on",
            "earliest_change_on",
            "change_ready",
            "clock_computed_at",
        ]

    def get_nodes(self, obj) -> list[str]:
        return [n.code for n in obj.nodes.all()]


class ConditionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    met = serializers.BooleanField(allow_null=True)
    evidence = serializers.CharField()


class ClockSerializer(serializers.Serializer):
    """An area's live clock: days since the last infection, countdown and each lifting condition."""

    today = UsableDateField()
    base_on = UsableDateField()
    last_infection_on = UsableDateField(allow_null=True)
    days_since_last_infection = serializers.IntegerField(allow_null=True)
    earliest_on = UsableDateField(allow_null=True)
    days_to_go = serializers.IntegerField(allow_null=True)
    target_tier = serializers.CharField(allow_null=True)
    ready = serializers.BooleanField()
    conditions = ConditionSerializer(many=True)
