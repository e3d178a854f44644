"""Writes: proposals from an infection, approval, upgrade on a positive, lifting (refusal and
override), precaution lifting last, scope of the capabilities, the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from lianfang.core.models import AuditEntry
from lianfang.divisions.models import Division
from lianfang.zones import selectors, services
from lianfang.zones.models import AreaReason, AreaStatus, ControlArea, ControlAreaEvent, PlaceKind
from lianfang.zones.tests.conftest import at, d, infect, put_in_force, tier, use_rule_set

pytestmark = pytest.mark.django_db


def by_tier(areas) -> dict:
    return {a.tier.key: a for a in areas}


def codes(area) -> list[str]:
    return sorted(area.nodes.values_list("code", flat=True))


def evidence_ok(commander, area, round_day, exposure_day):
    services.manual_evidence_add(
        actor=commander, area=area, kind="round", day=d(round_day), all_negative=True, reason="汇总表"
    )
    services.manual_evidence_add(
        actor=commander, area=area, kind="contacts", day=d(exposure_day), all_negative=True, people=2, reason="流调"
    )


# --------------------------------------------------------------------------------------------- proposals


def test_proposal_from_an_infection_with_sizes(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    proposals = by_tier(result.proposals)
    assert set(proposals) == {"sealed", "controlled", "precaution"}
    assert codes(proposals["sealed"]) == [town["compound_a"].code]
    assert codes(proposals["controlled"]) == ["620103001001"]
    assert codes(proposals["precaution"]) == ["620103"]
    assert all(a.status == AreaStatus.PROPOSED and a.infection == result.infection for a in result.proposals)
    # Sizes: each tier counts the households and residents it governs (the rest of the wider node).
    assert selectors.area_population(proposals["sealed"]) == {"households": 2, "residents": 4}
    assert selectors.area_population(proposals["controlled"]) == {"households": 2, "residents": 3}
    assert selectors.area_population(proposals["precaution"]) == {"households": 1, "residents": 3}
    assert proposals["sealed"].path == town["compound_a"].code
    assert proposals["precaution"].reason == AreaReason.BASELINE


def test_places_visited_are_proposed_at_the_places_tier(town, operation, district_commander):
    workplace = Division.objects.get(code="620103002001")  # a community of 西湖街道
    result = infect(
        district_commander,
        operation,
        day=d("2022-03-27"),
        household=town["h1"],
        propose=True,
        places=[services.PlaceInput(division=workplace, kind=PlaceKind.WORKPLACE)],
    )
    controlled = by_tier(result.proposals)["controlled"]
    assert codes(controlled) == ["620103001001", "620103002001"]
    assert controlled.path == "620103"


def test_second_infection_proposes_nothing_already_covered(town, operation, district_commander):
    first = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    second = infect(district_commander, operation, day=d("2022-03-28"), household=town["h2"], propose=True)
    assert second.proposals == []  # same compound, same community, same district: all pending already
    third = infect(district_commander, operation, day=d("2022-03-28"), household=town["h4"], propose=True)
    assert [(a.tier.key, codes(a)) for a in third.proposals] == [("sealed", [town["compound_c"].code])]
    assert len(first.proposals) == 3


def test_commander_adjusts_then_approves(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    sealed = by_tier(result.proposals)["sealed"]
    services.control_area_nodes_set(
        actor=district_commander, area=sealed, nodes=[town["compound_a"], town["compound_c"]], note="两小区相邻"
    )
    assert codes(sealed) == sorted([town["compound_a"].code, town["compound_c"].code])
    assert sealed.path == "620103001001"
    with pytest.raises(ValidationError, match="already inside"):
        services.control_area_nodes_set(
            actor=district_commander, area=sealed, nodes=[town["compound_a"], town["unit_a"]]
        )
    for area in result.proposals:
        services.control_area_approve(actor=district_commander, area=area, effective_from=at(d("2022-03-27"), 12))
    assert ControlArea.objects.filter(status=AreaStatus.ACTIVE).count() == 3
    tiers = selectors.tier_of_households([town["h1"].pk, town["h3"].pk, town["h4"].pk], on=d("2022-03-28"))
    assert {k: t.key for k, t in tiers.items()} == {
        town["h1"].pk: "sealed",
        town["h3"].pk: "precaution",
        town["h4"].pk: "sealed",
    }
    with pytest.raises(services.StatusConflict):
        services.control_area_approve(actor=district_commander, area=sealed)
    with pytest.raises(services.StatusConflict):
        services.control_area_nodes_set(actor=district_commander, area=sealed, nodes=[town["compound_a"]])
    kinds = list(ControlAreaEvent.objects.filter(area=sealed).values_list("kind", flat=True))
    assert kinds == ["proposed", "nodes_changed", "approved"]


def test_withdraw_needs_a_reason(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    area = by_tier(result.proposals)["precaution"]
    with pytest.raises(ValidationError, match="reason"):
        services.control_area_withdraw(actor=district_commander, area=area, reason=" ")
    services.control_area_withdraw(actor=district_commander, area=area, reason="全区已有防范区")
    area.refresh_from_db()
    assert area.status == AreaStatus.WITHDRAWN


def test_infection_input_errors_name_field_and_value(town, operation, district_commander):
    with pytest.raises(ValidationError) as err:
        services.infection_record(actor=district_commander, operation=operation, person_name="")
    assert set(err.value.message_dict) >= {"onset_on", "person_name", "residence"}
    with pytest.raises(ValidationError) as err:
        services.infection_record(
            actor=district_commander,
            operation=operation,
            onset_on=d("2030-01-01"),
            person_name="某人",
            residence=Division.objects.get(code="620103001"),
        )
    assert "2030-01-01" in err.value.message_dict["onset_on"][0]
    assert "too wide" in err.value.message_dict["residence"][0]
    outside = Division.objects.get(code="6201")
    with pytest.raises(ValidationError, match="outside the district"):
        services.infection_record(
            actor=district_commander, operation=operation, onset_on=d("2022-03-27"), person_name="某", residence=outside
        )
    assert not operation.infections.exists()


def test_infection_of_a_resident_takes_the_household(town, operation, district_commander):
    result = services.infection_record(
        actor=district_commander, operation=operation, resident=town["张三"], onset_on=d("2022-03-26")
    )
    infection = result.infection
    assert (infection.household, infection.path, infection.person_name) == (town["h1"], town["unit_a"].code, "张三")
    assert infection.detected_on == d("2022-03-26")
    assert infection.window_starts_on == d("2022-03-24")


# --------------------------------------------------------------------------------------------- upgrade


def test_a_positive_in_a_controlled_area_raises_an_upgrade(town, operation, district_commander):
    community = Division.objects.get(code="620103001001")
    controlled = put_in_force(district_commander, operation, "controlled", [community], day=d("2022-03-27"))
    result = infect(district_commander, operation, day=d("2022-03-29"), household=town["h4"], propose=True)
    upgrade = result.proposals[0]
    assert (upgrade.tier.key, upgrade.reason, upgrade.predecessor) == ("sealed", AreaReason.UPGRADE, controlled)
    assert codes(upgrade) == ["620103001001"]
    assert result.restarted == [controlled]
    # The sealed compound is not proposed again inside the upgrade; the precaution area is.
    assert sorted(a.tier.key for a in result.proposals) == ["precaution", "sealed"]
    services.control_area_approve(actor=district_commander, area=upgrade, effective_from=at(d("2022-03-29"), 11))
    controlled.refresh_from_db()
    assert controlled.status == AreaStatus.UPGRADED and controlled.ended_at == at(d("2022-03-29"), 11)
    assert selectors.tier_of_households([town["h4"].pk], on=d("2022-03-29"))[town["h4"].pk].key == "sealed"
    assert selectors.tier_of_households([town["h4"].pk], on=d("2022-03-28"))[town["h4"].pk].key == "controlled"
    assert controlled.events.last().kind == "upgraded"


# --------------------------------------------------------------------------------------------- lifting


@pytest.fixture
def sealed(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"])
    return put_in_force(
        district_commander, operation, "sealed", [town["compound_a"]], day=d("2022-03-27"), infection=result.infection
    )


def test_approving_a_replacement_before_its_predecessor_began_quotes_the_local_time(
    town, operation, district_commander
):
    """An upgrade put in force before the area it replaces began is refused, naming the moment in the
    district's local time, quoted (09:00 on 27 March is 01:00 UTC)."""
    from django.utils import translation

    community = Division.objects.get(code="620103001001")
    put_in_force(district_commander, operation, "controlled", [community], day=d("2022-03-28"))
    upgrade = infect(district_commander, operation, day=d("2022-03-29"), household=town["h4"], propose=True).proposals[
        0
    ]
    for language, message in (
        ("zh-hans", "“2022-03-27 09:00”早于被替代区域的生效时间"),
        ("en", "“2022-03-27 09:00” is before the area it replaces began"),
    ):
        with translation.override(language), pytest.raises(ValidationError) as exc:
            services.control_area_approve(actor=district_commander, area=upgrade, effective_from=at(d("2022-03-27")))
        assert exc.value.message_dict == {"effective_from": [message]}


def test_lifting_while_a_condition_fails_is_refused(sealed, district_commander):
    with pytest.raises(services.ConditionsNotMet) as err:
        services.control_area_lift(actor=district_commander, area=sealed, at=at(d("2022-04-09"), 10))
    assert [c.code for c in err.value.failing] == ["quiet_days", "round", "contacts"]
    sealed.refresh_from_db()
    assert sealed.status == AreaStatus.ACTIVE


def test_lifting_before_the_area_began_quotes_the_local_time(sealed, district_commander):
    """The moment refused is the district's local time, quoted: “2022-03-26 08:30” (not 00:30 UTC)."""
    from django.utils import translation

    for language, message in (
        ("zh-hans", "“2022-03-26 08:30”早于区域生效时间"),
        ("en", "“2022-03-26 08:30” is before the area began"),
    ):
        with translation.override(language), pytest.raises(ValidationError) as exc:
            services.control_area_lift(actor=district_commander, area=sealed, at=at(d("2022-03-26"), 8, 30))
        assert exc.value.message_dict == {"at": [message]}


def test_lifting_when_every_condition_holds(sealed, district_commander):
    evidence_ok(district_commander, sealed, "2022-04-09", "2022-03-26")
    services.control_area_lift(actor=district_commander, area=sealed, at=at(d("2022-04-10"), 10), note="解封")
    sealed.refresh_from_db()
    assert (sealed.status, sealed.status_reason) == (AreaStatus.LIFTED, "conditions_met")
    event = sealed.events.last()
    assert event.kind == "lifted" and not event.overridden and all(c["met"] for c in event.conditions)
    entry = AuditEntry.objects.filter(action="zones.area_lift", object_id=str(sealed.pk)).get()
    assert entry.actor == district_commander and entry.division_code == sealed.path


def test_override_needs_a_written_reason_and_the_capability(sealed, district_commander, street_officer):
    with pytest.raises(ValidationError, match="written reason"):
        services.control_area_lift(actor=district_commander, area=sealed, override_reason="ok")
    with pytest.raises(PermissionDenied):
        services.control_area_lift(actor=street_officer, area=sealed, override_reason="街道认为可以解封")
    services.control_area_lift(
        actor=district_commander, area=sealed, override_reason="省指挥部批准提前解封（文件2022-45号）"
    )
    sealed.refresh_from_db()
    assert (sealed.status, sealed.status_reason) == (AreaStatus.LIFTED, "override")
    event = sealed.events.last()
    assert event.overridden and "2022-45" in event.note
    assert {c["code"] for c in event.conditions if not c["met"]} >= {"round", "contacts"}
    entry = AuditEntry.objects.get(action="zones.area_lift", object_id=str(sealed.pk))
    assert entry.reason.startswith("override: ") and "round" in entry.detail["failing"]


def test_precaution_lifts_last(town, operation, district_commander, sealed, qilihe):
    precaution = put_in_force(district_commander, operation, "precaution", [qilihe], day=d("2022-03-27"))
    with pytest.raises(services.ConditionsNotMet) as err:
        services.control_area_lift(actor=district_commander, area=precaution, at=at(d("2022-04-10"), 11))
    assert [c.code for c in err.value.failing] == ["stricter_lifted"]
    assert sealed.name in err.value.failing[0].evidence
    evidence_ok(district_commander, sealed, "2022-04-09", "2022-03-26")
    services.control_area_lift(actor=district_commander, area=sealed, at=at(d("2022-04-10"), 10))
    services.control_area_lift(actor=district_commander, area=precaution, at=at(d("2022-04-10"), 11))
    precaution.refresh_from_db()
    assert precaution.status == AreaStatus.LIFTED
    assert selectors.tier_of_households([town["h3"].pk])[town["h3"].pk] is None
    assert selectors.tier_of_households([town["h3"].pk], on=d("2022-04-09"))[town["h3"].pk].key == "precaution"


def test_9th_edition_high_does_not_lift_directly(town, operation, district_commander):
    use_rule_set(operation, "nhc-9th")
    high = put_in_force(district_commander, operation, "high", [town["compound_a"]], day=d("2022-07-01"))
    services.manual_evidence_add(
        actor=district_commander, area=high, kind="round", day=d("2022-07-08"), all_negative=True, reason="汇总"
    )
    with pytest.raises(services.ConditionsNotMet) as err:
        services.control_area_lift(actor=district_commander, area=high, at=at(d("2022-07-09")))
    assert [c.code for c in err.value.failing] == ["rule"]
    with pytest.raises(ValidationError, match="no downgrade"):
        services.control_area_downgrade(
            actor=district_commander,
            area=put_in_force(district_commander, operation, "low", [town["compound_b"]], day=d("2022-07-01")),
        )


def test_20_measures_high_area_wider_than_a_building_needs_an_override(town, operation, district_commander):
    use_rule_set(operation, "twenty-measures")
    area = services.control_area_declare(
        actor=district_commander, operation=operation, tier=tier(operation, "high"), nodes=[town["compound_a"]]
    )
    with pytest.raises(ValidationError, match="wider than"):
        services.control_area_approve(actor=district_commander, area=area)
    services.control_area_approve(actor=district_commander, area=area, override_reason="整个小区共用一个出入口")
    area.refresh_from_db()
    assert area.status == AreaStatus.ACTIVE and area.status_reason == "override"


# --------------------------------------------------------------------------------------------- scope


def test_a_community_cannot_change_another_communitys_areas(
    town, operation, district_commander, street_officer, community_staff, other_community_staff
):
    xihu = Division.objects.get(code="620103002001")  # a community of another street (西湖街道)
    elsewhere = put_in_force(district_commander, operation, "controlled", [xihu], day=d("2022-03-27"))
    mine = put_in_force(district_commander, operation, "sealed", [town["compound_a"]], day=d("2022-03-27"))
    # The street officer manages zones, but only in their street.
    with pytest.raises(PermissionDenied):
        services.control_area_lift(actor=street_officer, area=elsewhere, override_reason="不在本街道")
    with pytest.raises(PermissionDenied):
        services.manual_evidence_add(
            actor=street_officer, area=elsewhere, kind="round", day=d("2022-04-01"), all_negative=True, reason="x"
        )
    # Community staff cannot manage zones at all, and do not see another community's areas.
    with pytest.raises(PermissionDenied):
        services.manual_evidence_add(
            actor=community_staff, area=mine, kind="round", day=d("2022-04-01"), all_negative=True, reason="x"
        )
    assert list(ControlArea.objects.visible_to(other_community_staff)) == []
    assert list(ControlArea.objects.visible_to(community_staff)) == [mine]
    assert set(ControlArea.objects.visible_to(street_officer)) == {mine}
    with pytest.raises(PermissionDenied):
        services.control_area_declare(
            actor=street_officer, operation=operation, tier=tier(operation, "sealed"), nodes=[xihu]
        )
    with pytest.raises(PermissionDenied):
        infect(street_officer, operation, day=d("2022-03-28"), residence=xihu)


def test_refusal_reads_in_chinese(sealed, district_commander):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(services.ConditionsNotMet) as err:
        services.control_area_lift(actor=district_commander, area=sealed, at=at(d("2022-04-09"), 10))
    assert "区内连续14天无新增感染者" in str(err.value.messages[0])
    assert "已拒绝：条件未满足" in str(err.value.messages[0])


def test_places_must_be_in_the_contact_window(town, operation, district_commander):
    place = services.PlaceInput(division=Division.objects.get(code="620103002001"), visited_on=d("2022-03-20"))
    with pytest.raises(ValidationError) as err:
        infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], places=[place])
    assert "before the contact window (from 2022-03-25)" in err.value.message_dict["places.1.visited_on"][0]


def test_operation_close_before_its_start_quotes_the_day(operation, district_commander):
    """The day refused is quoted as every date message quotes it: “2022-03-26”."""
    from django.utils import translation

    for language, message in (("zh-hans", "“2022-03-26”早于开始日期"), ("en", "“2022-03-26” is before the start")):
        with translation.override(language), pytest.raises(ValidationError) as exc:
            services.operation_close(actor=district_commander, operation=operation, ended_on=d("2022-03-26"))
        assert exc.value.message_dict == {"ended_on": [message]}


def test_clock_texts_count_one_day_and_one_contact_in_english(sealed, district_commander):
    """Counts of 1 read “1 day” / “1 close contact” in English (ngettext), zh-Hans unchanged."""
    services.manual_evidence_add(
        actor=district_commander,
        area=sealed,
        kind="contacts",
        day=d("2022-03-27"),
        all_negative=True,
        people=1,
        reason="流调",
    )
    with translation.override("en"):
        clock = selectors.area_clock(sealed, on=at(d("2022-03-28"), 10))
    texts = {c.code: c.evidence for c in clock.conditions}
    assert texts["quiet_days"] == "last infection detected on 2022-03-27: 1 day ago"
    assert texts["contacts"].startswith("1 close contact; last exposure 2022-03-27 (1 day ago); all negative")
    with translation.override("zh-hans"):
        clock = selectors.area_clock(sealed, on=at(d("2022-03-28"), 10))
    texts = {c.code: c.evidence for c in clock.conditions}
    assert texts["quiet_days"] == "最后一例感染者于2022-03-27发现：已过1天"
    assert texts["contacts"].startswith("密接1人；末次暴露2022-03-27（已过1天）；")
