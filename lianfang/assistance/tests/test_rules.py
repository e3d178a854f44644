"""Clock arithmetic and the rule set as data (issue 7 §3)."""

import datetime as dt

import pytest

from lianfang.assistance import rules
from lianfang.assistance.models import Category, Priority, SlaLimit, SlaRuleSet, Step
from lianfang.assistance.tests.conftest import T0, at

LIMITS = {Step.ACCEPT: rules.Limit(5, 5), Step.ON_SITE: rules.Limit(15, 5)}


def escalate(now, *, level=4, reached=None, limits=LIMITS):
    due = rules.deadlines(T0, limits)
    return rules.escalation(current_level=level, due=due, reached=reached or {}, limits=limits, now=now)


def test_deadlines_count_from_the_first_intake():
    due = rules.deadlines(T0, LIMITS)
    assert due == {Step.ACCEPT: at(5), Step.ON_SITE: at(15), Step.FULFIL: None}
    assert rules.next_due(due, {}) == at(5)
    assert rules.next_due(due, {Step.ACCEPT: at(3)}) == at(15)
    assert rules.next_due(due, {Step.ACCEPT: at(3), Step.ON_SITE: at(9)}) is None


@pytest.mark.parametrize(
    ("minutes", "level", "overdue", "next_check"),
    [
        (0, 4, (), 5),  # received: at L4, look again when the accept step is due
        (4.99, 4, (), 5),
        (5, 3, ("accept",), 10),  # due: one level up at once, one more every 5 minutes
        (9.99, 3, ("accept",), 10),
        (10, 2, ("accept",), 15),
        (15, 1, ("accept", "on_site"), None),  # L1 is the top of the chain: nothing more to check
        (600, 1, ("accept", "on_site"), None),
    ],
)
def test_an_unaccepted_emergency_climbs_one_level_per_interval(minutes, level, overdue, next_check):
    clock = escalate(at(minutes))
    assert clock.level == level
    assert clock.overdue == overdue
    assert clock.next_check == (at(next_check) if next_check is not None else None)


def test_a_late_acceptance_never_brings_the_level_back():
    clock = escalate(at(12), level=2, reached={Step.ACCEPT: at(11)})
    assert clock.level == 2  # accepted 6 minutes late (two levels); on site not due yet
    assert clock.overdue == ()
    assert clock.next_check == at(15)  # a late crew adds one more level at once


def test_overdue_steps_add_up():
    accepted_late = {Step.ACCEPT: at(7)}  # one level for the late acceptance
    assert escalate(at(14), level=3, reached=accepted_late).level == 3
    clock = escalate(at(15), level=3, reached=accepted_late)
    assert (clock.level, clock.overdue, clock.next_check) == (2, ("on_site",), at(20))
    assert escalate(at(20), level=2, reached=accepted_late).level == 1


def test_the_on_site_step_keeps_its_own_clock_after_acceptance():
    clock = escalate(at(16), level=4, reached={Step.ACCEPT: at(2)})
    assert (clock.level, clock.overdue, clock.next_check) == (3, ("on_site",), at(20))


def test_levels_asked_is_floor_of_elapsed_intervals():
    assert rules.levels_asked(at(5), 5, at(4)) == 0
    assert rules.levels_asked(at(5), 5, at(5)) == 1
    assert rules.levels_asked(at(5), 240, at(5 + 239)) == 1
    assert rules.levels_asked(at(5), 240, at(5 + 240)) == 2


def test_clock_arithmetic_is_in_aware_utc_across_midnight_in_shanghai():
    late = dt.datetime(2022, 3, 28, 23, 58, tzinfo=T0.tzinfo)
    due = rules.deadlines(late, {Step.ACCEPT: rules.Limit(5, 5)})
    assert due[Step.ACCEPT] == dt.datetime(2022, 3, 28, 16, 3, tzinfo=dt.UTC)  # 00:03 on the 29th in Shanghai


@pytest.mark.django_db
def test_shipped_rule_set_has_the_issue_defaults():
    rule_set = rules.rule_set_in_force(None, dt.date(2022, 3, 28))
    assert rule_set.code == "qilihe-2022"
    table = rules.limit_table(rule_set)
    assert table.limits(Category.EMERGENCY_MEDICAL, Priority.EMERGENCY) == {
        Step.ACCEPT: rules.Limit(5, 5),
        Step.ON_SITE: rules.Limit(15, 5),
    }
    assert table.limits(Category.MEDICINE, Priority.URGENT)[Step.FULFIL] == rules.Limit(240, 60)
    assert table.limits(Category.MEDICINE, Priority.NORMAL)[Step.FULFIL].minutes == 24 * 60
    assert table.limits(Category.GROCERIES, Priority.NORMAL)[Step.FULFIL].minutes == 24 * 60
    # a category without its own row falls back to the "any category" row of its priority
    assert table.limits(Category.MEDICAL_TRIP, Priority.NORMAL) == {
        Step.ACCEPT: rules.Limit(120, 120),
        Step.FULFIL: rules.Limit(1440, 240),
    }


@pytest.mark.django_db
def test_a_newer_local_variant_wins_and_rules_are_data(qilihe):
    national = SlaRuleSet.objects.get(code="qilihe-2022")
    local = SlaRuleSet.objects.create(
        code="qilihe-local",
        name="local",
        source="test",
        effective_from=dt.date(2022, 4, 1),
        district=qilihe,
        pack_sizes=national.pack_sizes,
    )
    SlaLimit.objects.create(
        rule_set=local, category="", priority="emergency", step="accept", minutes=3, escalate_every_minutes=3
    )
    assert rules.rule_set_in_force(qilihe.pk, dt.date(2022, 3, 31)) == national
    assert rules.rule_set_in_force(qilihe.pk, dt.date(2022, 4, 1)) == local
    assert rules.rule_set_in_force(None, dt.date(2022, 4, 1)) == national  # another district
    assert rules.limit_table(local).limits(Category.MEDICINE, Priority.EMERGENCY) == {Step.ACCEPT: rules.Limit(3, 3)}
    with pytest.raises(rules.NoRuleSetError):
        rules.rule_set_in_force(qilihe.pk, dt.date(2019, 12, 31))


def test_initial_priority_before_triage():
    assert rules.initial_priority(Category.EMERGENCY_MEDICAL, "") == Priority.EMERGENCY
    assert rules.initial_priority(Category.MEDICINE, Priority.URGENT) == Priority.URGENT
    assert rules.initial_priority(Category.GROCERIES, Priority.EMERGENCY) == Priority.URGENT
    assert rules.initial_priority(Category.GROCERIES, "") == Priority.NORMAL


def test_pack_sizes_validated_and_chosen_by_headcount():
    packs = rules.validate_pack_sizes(
        [{"max_people": 2, "label": "S"}, {"max_people": 4, "label": "M"}, {"max_people": None, "label": "L"}]
    )
    assert [rules.pack_for(packs, n) for n in (0, 1, 2, 3, 4, 5, 12)] == ["S", "S", "S", "M", "M", "L", "L"]
    with pytest.raises(ValueError, match="pack 2"):
        rules.validate_pack_sizes([{"max_people": 3, "label": "S"}, {"max_people": 2, "label": "M"}])
    with pytest.raises(ValueError, match="no upper limit"):
        rules.validate_pack_sizes([{"max_people": 3, "label": "S"}])
