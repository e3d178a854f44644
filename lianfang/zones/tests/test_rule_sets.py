"""Rule sets are data: the three shipped sets, their values and sources, local variants."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.zones import selectors, services
from lianfang.zones.models import LiftRule, RuleSet

pytestmark = pytest.mark.django_db


def test_three_sets_shipped_and_the_8th_era_is_default():
    sets = {rs.key: rs for rs in RuleSet.objects.all()}
    assert set(sets) >= {"nhc-8th-era", "nhc-9th", "twenty-measures"}
    assert selectors.default_rule_set().key == "nhc-8th-era"
    assert [t.key for t in selectors.tiers_of(sets["nhc-8th-era"])] == ["sealed", "controlled", "precaution"]
    assert [t.key for t in selectors.tiers_of(sets["nhc-9th"])] == ["high", "medium", "low"]
    assert [t.key for t in selectors.tiers_of(sets["twenty-measures"])] == ["high", "low"]
    assert sets["nhc-9th"].effective_from == dt.date(2022, 6, 27)
    assert sets["twenty-measures"].effective_from == dt.date(2022, 11, 11)


def test_every_tier_and_rule_has_measures_in_two_languages_and_a_source():
    for rule_set in RuleSet.objects.filter(is_builtin=True):
        assert rule_set.source and rule_set.quarantine_source
        for tier in rule_set.tiers.all():
            assert tier.measures and tier.measures_en and tier.source, tier
            assert tier.name and tier.name_en
        for rule in LiftRule.objects.filter(tier__rule_set=rule_set):
            assert rule.source, rule


def test_8th_era_values():
    rs = RuleSet.objects.get(key="nhc-8th-era")
    sealed, controlled, precaution = selectors.tiers_of(rs)
    assert (sealed.name, controlled.name, precaution.name) == ("封控区", "管控区", "防范区")
    assert sealed.pooling_modes == ["single", "household"] and sealed.pool_size == 1
    assert controlled.pool_size == 10 and precaution.pool_size == 20
    assert (sealed.first_screening_hours, controlled.first_screening_hours) == (24, 48)
    assert controlled.upgrade_to == sealed
    assert precaution.is_baseline
    rule = sealed.lift_rules.get()
    assert (rule.quiet_days, rule.round_within_days, rule.contact_clear_days, rule.to_tier) == (14, 2, 14, None)
    assert precaution.lift_rules.get().requires_stricter_lifted
    assert rs.quarantine_for("close") == {
        "traced": True,
        "centralized_days": 14,
        "home_days": 7,
        "centralized_test_days": [1, 4, 7, 14],
        "home_test_days": [2, 7],
        "source": rs.display_quarantine_source,
    }
    secondary = rs.quarantine_for("secondary")
    assert (secondary["centralized_days"], secondary["centralized_test_days"]) == (7, [1, 4, 7])


def test_9th_and_20_measures_values():
    rs9 = RuleSet.objects.get(key="nhc-9th")
    high, medium, low = selectors.tiers_of(rs9)
    to_medium = high.lift_rules.get()
    assert (to_medium.to_tier, to_medium.quiet_days, to_medium.round_from_day) == (medium, 7, 7)
    after_downgrade = medium.lift_rules.get(entered_by="downgraded")
    assert (after_downgrade.quiet_days, after_downgrade.counted_from) == (3, "tier_entry")
    assert medium.lift_rules.get(entered_by="declared").round_from_day == 7
    close = rs9.quarantine_for("close")
    assert (close["centralized_days"], close["home_days"], close["centralized_test_days"]) == (7, 3, [1, 2, 3, 5, 7])
    secondary = rs9.quarantine_for("secondary")
    assert (secondary["home_days"], secondary["home_test_days"], secondary["centralized_days"]) == (7, [1, 4, 7], 0)

    rs20 = RuleSet.objects.get(key="twenty-measures")
    high20, low20 = selectors.tiers_of(rs20)
    assert high20.max_node_level == 7 and high20.proposal_level == 7
    assert high20.lift_rules.get().quiet_days == 5
    assert rs20.quarantine_for("secondary")["traced"] is False
    assert (rs20.close_centralized_days, rs20.close_home_days) == (5, 3)
    with pytest.raises(ValueError, match="unknown contact kind"):
        rs20.quarantine_for("tertiary")


def test_current_rule_set_follows_the_open_operation(qilihe, district_commander):
    assert selectors.current_rule_set(qilihe).key == "nhc-8th-era"
    operation = services.operation_open(
        actor=district_commander, district=qilihe, name="op", rule_set=RuleSet.objects.get(key="nhc-9th")
    )
    assert selectors.current_rule_set("620103").key == "nhc-9th"
    assert selectors.current_operation(qilihe) == operation
    with pytest.raises(ValidationError, match="already has an open operation"):
        services.operation_open(actor=district_commander, district=qilihe, name="again")


def test_local_variant_is_a_copy_with_changed_values(qilihe, district_commander):
    base = RuleSet.objects.get(key="nhc-8th-era")
    variant = services.rule_set_copy(
        actor=district_commander,
        rule_set=base,
        key="qilihe-2022",
        name="七里河区本地规则",
        name_en="Qilihe local rules",
        district=qilihe,
    )
    assert variant.based_on == base and not variant.is_builtin and not variant.is_default
    tiers = {t.key: t for t in variant.tiers.all()}
    assert tiers["controlled"].upgrade_to == tiers["sealed"]
    assert LiftRule.objects.filter(tier__rule_set=variant).count() == 3
    sealed_rule = LiftRule.objects.get(tier=tiers["sealed"])
    services.rule_set_update(
        actor=district_commander,
        rule_set=variant,
        values={"close_centralized_days": 10, "close_centralized_test_days": [1, 4, 7, 10]},
        tier_values={"controlled": {"pooling_modes": ["pool_5"]}},
        rule_values={sealed_rule.pk: {"quiet_days": 10}},
        reason="区指挥部决定",
    )
    variant.refresh_from_db()
    assert variant.quarantine_for("close")["centralized_test_days"] == [1, 4, 7, 10]
    assert variant.tiers.get(key="controlled").pool_size == 5
    assert LiftRule.objects.get(pk=sealed_rule.pk).quiet_days == 10
    # The shipped set is untouched.
    assert LiftRule.objects.get(tier__rule_set=base, tier__key="sealed").quiet_days == 14


def test_rule_set_update_names_each_bad_value_and_writes_nothing(qilihe, district_commander):
    variant = services.rule_set_copy(
        actor=district_commander,
        rule_set=RuleSet.objects.get(key="nhc-9th"),
        key="qilihe-9",
        name="本地",
        name_en="Local",
        district=qilihe,
    )
    with pytest.raises(ValidationError) as err:
        services.rule_set_update(
            actor=district_commander,
            rule_set=variant,
            values={"close_centralized_test_days": [1, 9], "key": "x"},
            tier_values={"high": {"pooling_modes": ["pool_50"]}, "sealed": {"colour": "#000"}},
            reason="test",
        )
    errors = err.value.message_dict
    assert "day numbers [9] are outside 1..7" in errors["close_centralized_test_days"][0]
    assert "key" in errors
    assert "pool_50" in errors["tiers.high.pooling_modes"][0]
    assert "tiers.sealed" in errors
    variant.refresh_from_db()
    assert variant.close_centralized_test_days == [1, 2, 3, 5, 7]
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.rule_set_update(actor=district_commander, rule_set=variant.based_on, values={}, reason="x")


def test_copy_needs_manage_zones_at_the_district(qilihe, community_staff):
    with pytest.raises(PermissionDenied):
        services.rule_set_copy(
            actor=community_staff,
            rule_set=RuleSet.objects.get(key="nhc-9th"),
            key="mine",
            name="a",
            name_en="a",
            district=qilihe,
        )
    with pytest.raises(ValidationError, match="lower-case"):
        services.rule_set_copy(
            actor=None,
            rule_set=RuleSet.objects.get(key="nhc-9th"),
            key="Bad Key",
            name="a",
            name_en="a",
            district=qilihe,
        )


def test_rule_sets_visible_to(qilihe, district_commander, community_staff, outsider):
    variant = services.rule_set_copy(
        actor=district_commander,
        rule_set=RuleSet.objects.get(key="nhc-9th"),
        key="qilihe-9",
        name="本地",
        name_en="Local",
        district=qilihe,
    )
    assert RuleSet.objects.visible_to(outsider).count() == 0
    assert variant in RuleSet.objects.visible_to(community_staff)
    assert RuleSet.objects.visible_to(community_staff).filter(is_builtin=True).count() == 3
