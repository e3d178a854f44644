"""Screening and contacts: quarantine arithmetic per rule set from the LAST exposure, test tasks,
secondary-to-close conversion, coarse locations, status changes with evidence, two-person approval."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.fieldops import rules, selectors
from lianfang.fieldops.models import (
    BulkStatusChange,
    HomeMonitoring,
    QuarantineTest,
    ScreenedPerson,
    StatusChange,
)
from lianfang.fieldops.services.base import StatusConflict
from lianfang.fieldops.services.bulk_changes import (
    bulk_status_change_approve,
    bulk_status_change_reject,
    bulk_status_change_request,
)
from lianfang.fieldops.services.quarantine import (
    contact_classify,
    contact_exposure_record,
    quarantine_progress,
    quarantine_test_record,
    screened_person_set_status,
)
from lianfang.fieldops.services.screened import screened_person_create, screened_person_verify

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


# ------------------------------------------------------------------------------------- arithmetic

PLANS = [
    # rule set, kind, centralized until, home until, home mode, [(phase, day, due)]
    (
        "nhc-8th-era",
        "close",
        "2026-11-24",
        "2026-12-01",
        "monitoring",
        [
            ("centralized", 1, "2026-11-11"),
            ("centralized", 4, "2026-11-14"),
            ("centralized", 7, "2026-11-17"),
            ("centralized", 14, "2026-11-24"),
            ("home", 2, "2026-11-26"),
            ("home", 7, "2026-12-01"),
        ],
    ),
    (
        "nhc-8th-era",
        "secondary",
        "2026-11-17",
        None,
        "monitoring",
        [("centralized", 1, "2026-11-11"), ("centralized", 4, "2026-11-14"), ("centralized", 7, "2026-11-17")],
    ),
    (
        "nhc-9th",
        "close",
        "2026-11-17",
        "2026-11-20",
        "monitoring",
        [
            ("centralized", 1, "2026-11-11"),
            ("centralized", 2, "2026-11-12"),
            ("centralized", 3, "2026-11-13"),
            ("centralized", 5, "2026-11-15"),
            ("centralized", 7, "2026-11-17"),
            ("home", 3, "2026-11-20"),
        ],
    ),
    (
        "nhc-9th",
        "secondary",
        None,
        "2026-11-17",
        "isolation",
        [("home", 1, "2026-11-11"), ("home", 4, "2026-11-14"), ("home", 7, "2026-11-17")],
    ),
    (
        "twenty-measures",
        "close",
        "2026-11-15",
        "2026-11-18",
        "monitoring",
        [
            ("centralized", 1, "2026-11-11"),
            ("centralized", 2, "2026-11-12"),
            ("centralized", 3, "2026-11-13"),
            ("centralized", 5, "2026-11-15"),
            ("home", 1, "2026-11-16"),
            ("home", 3, "2026-11-18"),
        ],
    ),
]


@pytest.mark.parametrize("key,kind,central,home,mode,tests", PLANS, ids=[f"{p[0]}-{p[1]}" for p in PLANS])
def test_quarantine_plan_counts_from_the_exposure(key, kind, central, home, mode, tests):
    from lianfang.zones.models import RuleSet

    plan = rules.quarantine_plan(RuleSet.objects.get(key=key), kind, D("2026-11-10"))
    assert plan.centralized_until == (D(central) if central else None)
    assert plan.home_until == (D(home) if home else None)
    assert plan.home_mode == mode
    assert [(t.phase, t.day_number, t.due_on) for t in plan.tests] == [(p, n, D(d)) for p, n, d in tests]


def test_plan_status_by_day():
    from lianfang.zones.models import RuleSet

    plan = rules.quarantine_plan(RuleSet.objects.get(key="nhc-8th-era"), "close", D("2026-11-10"))
    assert plan.status_on(D("2026-11-10")) == "centralized"
    assert plan.status_on(D("2026-11-24")) == "centralized"
    assert plan.status_on(D("2026-11-25")) == "home_monitoring"
    assert plan.status_on(D("2026-12-01")) == "home_monitoring"
    assert plan.status_on(D("2026-12-02")) == "released"


def test_twenty_measures_do_not_trace_secondary_contacts():
    from lianfang.zones.models import RuleSet

    with pytest.raises(ValidationError) as exc:
        rules.quarantine_plan(RuleSet.objects.get(key="twenty-measures"), "secondary", D("2026-11-10"))
    assert "twenty-measures" in str(exc.value)


# ------------------------------------------------------------------------------------- services


@pytest.fixture
def infection(operation, population, district_commander):
    from lianfang.zones.services import infection_record

    return infection_record(
        actor=district_commander,
        operation=operation,
        positive_sample_on=D("2026-11-20"),
        onset_on=D("2026-11-19"),
        household=population["h3"],
        person_name="病例一",
        propose=False,
    ).infection


def close_contact(actor, population, infection, resident="张三", exposure="2026-11-18", **kw):
    return screened_person_create(
        actor=actor,
        district=population["h1"].district,
        category="close_contact",
        name="",
        resident=population[resident],
        infection=infection,
        last_exposure_on=D(exposure),
        **kw,
    )


def test_close_contact_is_classified_and_tested_from_the_last_exposure(population, infection, community_staff):
    person = close_contact(community_staff, population, infection, today=D("2026-11-20"))
    assert (person.status, person.status_reason, person.rule_set.key) == ("centralized", "classified", "nhc-8th-era")
    assert (person.centralized_until, person.home_until) == (D("2026-12-02"), D("2026-12-09"))
    assert person.path == population["h1"].path and person.id_masked == "1101**********002X"
    due = list(QuarantineTest.objects.filter(person=person).values_list("ordinal", "phase", "day_number", "due_on"))
    assert due == [
        (1, "centralized", 1, D("2026-11-19")),
        (2, "centralized", 4, D("2026-11-22")),
        (3, "centralized", 7, D("2026-11-25")),
        (4, "centralized", 14, D("2026-12-02")),
        (5, "home", 2, D("2026-12-04")),
        (6, "home", 7, D("2026-12-09")),
    ]
    change = StatusChange.objects.get(person=person)
    assert (change.from_status, change.to_status, change.reason_code) == ("pending", "centralized", "classified")
    assert change.evidence.startswith(
        "8th-edition era (sealed / controlled / precaution areas): Close contact, last exposure 2026-11-18; "
    )
    assert "nhc-8th-era" not in change.evidence

    # a later exposure (met again on the 21st) moves the whole plan
    contact_exposure_record(actor=community_staff, person=person, exposure_on=D("2026-11-21"), evidence="同住")
    person.refresh_from_db()
    assert (person.last_exposure_on, person.centralized_until, person.home_until) == (
        D("2026-11-21"),
        D("2026-12-05"),
        D("2026-12-12"),
    )
    pending = list(QuarantineTest.objects.filter(person=person, result="pending").values_list("due_on", flat=True))
    assert pending == [
        D("2026-11-22"),
        D("2026-11-25"),
        D("2026-11-28"),
        D("2026-12-05"),
        D("2026-12-07"),
        D("2026-12-12"),
    ]
    assert QuarantineTest.objects.filter(person=person, result="cancelled").count() == 6
    assert StatusChange.objects.filter(person=person).last().reason_code == "exposure_changed"
    # an earlier exposure changes nothing
    contact_exposure_record(actor=community_staff, person=person, exposure_on=D("2026-11-19"), evidence="x")
    person.refresh_from_db()
    assert person.last_exposure_on == D("2026-11-21")


def test_rule_set_of_the_operation_decides(population, infection, operation, community_staff, district_commander):
    from lianfang.zones.models import RuleSet
    from lianfang.zones.services import operation_rule_set_change

    operation_rule_set_change(
        actor=district_commander, operation=operation, rule_set=RuleSet.objects.get(key="nhc-9th"), reason="第九版"
    )
    infection.refresh_from_db()
    person = close_contact(community_staff, population, infection, today=D("2026-11-20"))
    assert (person.rule_set.key, person.centralized_until, person.home_until) == (
        "nhc-9th",
        D("2026-11-25"),
        D("2026-11-28"),
    )
    assert QuarantineTest.objects.filter(person=person).count() == 6


def test_home_phase_starts_home_monitoring(population, infection, community_staff):
    person = close_contact(community_staff, population, infection, exposure="2026-11-17", today=D("2026-12-03"))
    assert (person.status, person.centralized_until, person.home_until) == (
        "home_monitoring",
        D("2026-12-01"),
        D("2026-12-08"),
    )
    monitoring = HomeMonitoring.objects.get(person=person)
    assert (monitoring.household, monitoring.starts_on, monitoring.ends_on) == (
        population["h1"],
        D("2026-12-03"),
        D("2026-12-08"),
    )


def test_exposure_before_the_contact_window_is_refused(population, infection, community_staff):
    with pytest.raises(ValidationError) as exc:
        close_contact(community_staff, population, infection, exposure="2026-11-16")
    assert "2026-11-17" in exc.value.message_dict["last_exposure_on"][0]  # onset 19th − 2 days


def test_secondary_becomes_close_when_the_close_contacts_second_test_is_positive(
    population, infection, community_staff, other_community_staff
):
    close = close_contact(community_staff, population, infection, exposure="2026-11-20", today=D("2026-11-22"))
    secondary = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="secondary_contact",
        name="",
        resident=population["李四"],
        source_contact=close,
        last_exposure_on=D("2026-11-22"),
        today=D("2026-11-23"),
    )
    assert (secondary.infection, secondary.status, secondary.centralized_until) == (
        infection,
        "centralized",
        D("2026-11-29"),
    )
    first, second = QuarantineTest.objects.filter(person=close).order_by("ordinal")[:2]
    quarantine_test_record(actor=community_staff, test=first, result="negative", result_on=D("2026-11-21"))
    secondary.refresh_from_db()
    assert secondary.category == "secondary_contact"
    quarantine_test_record(actor=community_staff, test=second, result="positive", result_on=D("2026-11-24"))
    close.refresh_from_db()
    secondary.refresh_from_db()
    assert (close.status, close.status_reason) == ("in_care", "tested_positive")
    assert not QuarantineTest.objects.filter(person=close, result="pending").exists()
    assert (secondary.category, secondary.status, secondary.status_reason) == (
        "close_contact",
        "centralized",
        "linked_positive",
    )
    # re-planned as a close contact from their own last exposure (22 November), 8th edition 14 + 7 days
    assert (secondary.centralized_until, secondary.home_until) == (D("2026-12-06"), D("2026-12-13"))
    assert list(QuarantineTest.objects.filter(person=secondary, result="pending").values_list("due_on", flat=True)) == [
        D("2026-11-23"),
        D("2026-11-26"),
        D("2026-11-29"),
        D("2026-12-06"),
        D("2026-12-08"),
        D("2026-12-13"),
    ]
    change = StatusChange.objects.filter(person=secondary).last()
    assert (change.from_category, change.to_category, change.reason_code) == (
        "secondary_contact",
        "close_contact",
        "linked_positive",
    )
    assert f"#{close.pk}" in change.evidence and "2026-11-24" in change.evidence
    # the chain secondary → close → index case is kept
    assert (secondary.source_contact, secondary.infection) == (close, infection)


def test_a_third_positive_test_does_not_convert(population, infection, community_staff):
    close = close_contact(community_staff, population, infection, exposure="2026-11-20", today=D("2026-11-22"))
    secondary = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="secondary_contact",
        name="",
        resident=population["李四"],
        source_contact=close,
        last_exposure_on=D("2026-11-21"),
        today=D("2026-11-23"),
    )
    tests = list(QuarantineTest.objects.filter(person=close).order_by("ordinal"))
    for test in tests[:2]:
        quarantine_test_record(actor=community_staff, test=test, result="negative", result_on=test.due_on)
    quarantine_test_record(actor=community_staff, test=tests[2], result="positive", result_on=tests[2].due_on)
    secondary.refresh_from_db()
    assert secondary.category == "secondary_contact"


def test_coarse_location_never_sets_a_status(population, infection, community_staff, district_commander):
    person = screened_person_create(
        actor=district_commander,
        district=population["h1"].district,
        category="close_contact",
        name="赵六",
        id_number="620103198001010136",
        address="兰州市",
        infection=infection,
        last_exposure_on=D("2026-11-19"),
    )
    assert (person.precision, person.needs_verification, person.status, person.path) == (
        "city",
        True,
        "pending",
        "620103",
    )
    assert not QuarantineTest.objects.filter(person=person).exists()
    with pytest.raises(ValidationError) as exc:
        contact_classify(actor=district_commander, person=person)
    assert "verify" in str(exc.value)
    with pytest.raises(ValidationError):
        screened_person_set_status(
            actor=district_commander, person=person, to_status="centralized", reason_code="other", evidence="电话确认"
        )
    # community staff cannot even see it (the district's list) …
    assert not ScreenedPerson.objects.visible_to(community_staff).filter(pk=person.pk).exists()
    # … until the district verifies the household; then the rule set classifies
    screened_person_verify(
        actor=district_commander, person=person, household=population["h2"], evidence="网格员上门核实"
    )
    person.refresh_from_db()
    assert (person.needs_verification, person.precision, person.status) == (False, "household", "centralized")
    assert ScreenedPerson.objects.visible_to(community_staff).filter(pk=person.pk).exists()


def test_manual_status_change_needs_reason_and_evidence(population, infection, community_staff):
    inflow = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["赵丽"],
        origin="上海市",
        arrived_on=D("2026-11-25"),
    )
    assert inflow.status == "pending"
    with pytest.raises(ValidationError) as exc:
        screened_person_set_status(
            actor=community_staff, person=inflow, to_status="home_monitoring", reason_code="other", evidence=" "
        )
    assert "evidence" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        screened_person_set_status(
            actor=community_staff, person=inflow, to_status="home_monitoring", reason_code="because", evidence="x"
        )
    assert "because" in exc.value.message_dict["reason_code"][0]
    screened_person_set_status(
        actor=community_staff,
        person=inflow,
        to_status="home_monitoring",
        reason_code="other",
        evidence="抵兰后3天居家监测",
    )
    change = StatusChange.objects.get(person=inflow)
    assert (change.to_status, change.reason_code, change.evidence, change.actor) == (
        "home_monitoring",
        "other",
        "抵兰后3天居家监测",
        community_staff,
    )
    # a stale read loses: the status moved on meanwhile
    stale = ScreenedPerson.objects.get(pk=inflow.pk)
    screened_person_set_status(
        actor=community_staff, person=inflow, to_status="released", reason_code="other", evidence="监测期满"
    )
    with pytest.raises(StatusConflict):
        screened_person_set_status(
            actor=community_staff, person=stale, to_status="centralized", reason_code="other", evidence="x"
        )


def test_bulk_status_change_needs_a_second_person(population, community_staff, street_officer, district_commander):
    people = [
        screened_person_create(
            actor=community_staff,
            district=population["h1"].district,
            category="inflow",
            name="",
            resident=population[name],
            origin="西安市",
        )
        for name in ("张三", "李四")
    ]
    change = bulk_status_change_request(
        actor=community_staff,
        people=people,
        to_status="home_monitoring",
        reason_code="other",
        evidence="西安来兰，居家监测",
    )
    assert change.status == "pending" and change.path == "620103001001001001"
    assert ScreenedPerson.objects.filter(status="pending").count() == 2  # nothing changed yet
    with pytest.raises(ValidationError) as exc:
        bulk_status_change_approve(actor=community_staff, change=change)
    assert "second person" in str(exc.value)
    bulk_status_change_approve(actor=street_officer, change=change, note="同意")
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.results) == (
        "applied",
        street_officer,
        {str(p.pk): "changed" for p in people},
    )
    assert ScreenedPerson.objects.filter(status="home_monitoring").count() == 2
    changes = StatusChange.objects.filter(bulk=change)
    assert changes.count() == 2 and all("street" in c.evidence and "staff" in c.evidence for c in changes)
    with pytest.raises(StatusConflict):
        bulk_status_change_approve(actor=district_commander, change=change)


def test_bulk_approver_needs_scope_over_every_person(population, community_staff, other_community_staff):
    person = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["张三"],
    )
    change = bulk_status_change_request(
        actor=community_staff, people=[person], to_status="released", reason_code="other", evidence="核实为误报"
    )
    with pytest.raises(PermissionDenied):
        bulk_status_change_approve(actor=other_community_staff, change=change)
    assert BulkStatusChange.objects.get().status == "pending"


def test_bulk_rejection_changes_nothing(population, community_staff, street_officer):
    person = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["张三"],
    )
    change = bulk_status_change_request(
        actor=community_staff, people=[person], to_status="released", reason_code="other", evidence="x"
    )
    bulk_status_change_reject(actor=street_officer, change=change, note="证据不足")
    person.refresh_from_db()
    assert person.status == "pending" and BulkStatusChange.objects.get().status == "rejected"


def test_duplicate_person_is_refused(population, community_staff):
    screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["张三"],
    )
    with pytest.raises(ValidationError) as exc:
        screened_person_create(
            actor=community_staff,
            district=population["h1"].district,
            category="inflow",
            name="张三",
            id_number="11010519491231002X",
        )
    assert "already listed" in exc.value.message_dict["id_number"][0]


def test_quarantine_moves_on_only_when_tests_are_negative(population, infection, community_staff):
    person = close_contact(community_staff, population, infection, exposure="2026-11-18", today=D("2026-11-20"))
    assert quarantine_progress(today=D("2026-12-03")) == {"moved": 0, "held": 1}  # tests pending
    for test in QuarantineTest.objects.filter(person=person, phase="centralized"):
        quarantine_test_record(actor=community_staff, test=test, result="negative", result_on=test.due_on)
    assert quarantine_progress(today=D("2026-12-03")) == {"moved": 1, "held": 0}
    person.refresh_from_db()
    assert (person.status, person.status_reason) == ("home_monitoring", "phase_ended")
    assert HomeMonitoring.objects.filter(person=person, status="active").count() == 1
    assert quarantine_progress(today=D("2026-12-03")) == {"moved": 0, "held": 0}


def test_contact_evidence_for_zones(population, infection, community_staff):
    assert selectors.contact_evidence(codes=["620103001"], infection_ids=[infection.pk], until=D("2026-11-30")) is None
    person = close_contact(community_staff, population, infection, exposure="2026-11-18", today=D("2026-11-20"))
    evidence = selectors.contact_evidence(codes=[], infection_ids=[infection.pk], until=D("2026-11-23"))
    assert (evidence.count, evidence.last_exposure_on, evidence.all_negative) == (1, D("2026-11-18"), None)
    for test in QuarantineTest.objects.filter(person=person, due_on__lte=D("2026-11-23")):
        quarantine_test_record(actor=community_staff, test=test, result="negative", result_on=test.due_on)
    evidence = selectors.contact_evidence(codes=[], infection_ids=[infection.pk], until=D("2026-11-23"))
    assert evidence.all_negative is True
    # and zones sees it through the registered provider
    from lianfang.zones import evidence as zone_evidence

    merged = zone_evidence.contacts(area=None, codes=[], infection_ids=[infection.pk], until=D("2026-11-23"))
    assert (merged.count, merged.last_exposure_on, merged.all_negative, merged.source) == (
        1,
        D("2026-11-18"),
        True,
        "fieldops",
    )


def test_system_written_evidence_is_worded_in_the_readers_language(population, infection, community_staff):
    """New-user trial 13: the history of a person moved on by the nightly clock read
    "nhc-8th-era：观察期于 … 结束" on the English page — the rule set's key, and Chinese."""
    from django.utils import translation

    person = close_contact(community_staff, population, infection, exposure="2026-11-18", today=D("2026-11-20"))
    for test in QuarantineTest.objects.filter(person=person, phase="centralized"):
        quarantine_test_record(actor=community_staff, test=test, result="negative", result_on=test.due_on)
    with translation.override("zh-hans"):  # the clock runs in the default language
        assert quarantine_progress(today=D("2026-12-03")) == {"moved": 1, "held": 0}
    classified, ended = StatusChange.objects.filter(person=person).order_by("at", "id")
    assert ended.evidence_parts == {
        "kind": "phase_ended",
        "rule_set": "第八版防控方案时期（封控区/管控区/防范区）",
        "rule_set_en": "8th-edition era (sealed / controlled / precaution areas)",
        "ended": "2026-12-02",
        "exposure": "2026-11-18",
    }
    with translation.override("en"):
        assert ended.display_evidence == (
            "8th-edition era (sealed / controlled / precaution areas): period ended on 2026-12-02 "
            "(last exposure 2026-11-18); every test due was negative"
        )
        assert classified.display_evidence.startswith(
            "8th-edition era (sealed / controlled / precaution areas): Close contact, last exposure 2026-11-18; "
            "centralized until 2026-12-02, home phase until 2026-12-09; "
        )
    with translation.override("zh-hans"):
        assert ended.display_evidence == ended.evidence
        assert "nhc-8th-era" not in ended.evidence
    # a person's own words are shown as written, whatever the language
    person.refresh_from_db()
    own_words = "经区指挥部批准提前解除"
    screened_person_set_status(
        actor=community_staff, person=person, to_status="released", reason_code="other", evidence=own_words
    )
    own = StatusChange.objects.filter(person=person).last()
    with translation.override("en"):
        assert (own.evidence_parts, own.display_evidence) == ({}, own_words)


def test_linked_evidence_names_the_positive_test_in_the_readers_language(
    population, infection, community_staff, api_for
):
    close = close_contact(community_staff, population, infection, exposure="2026-11-20", today=D("2026-11-22"))
    secondary = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="secondary_contact",
        name="",
        resident=population["李四"],
        source_contact=close,
        last_exposure_on=D("2026-11-22"),
        today=D("2026-11-23"),
    )
    first = QuarantineTest.objects.filter(person=close).order_by("ordinal").first()
    quarantine_test_record(actor=community_staff, test=first, result="positive", result_on=D("2026-11-21"))
    history = api_for(community_staff).get(
        f"/api/v1/fieldops/people/{secondary.pk}/history/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert history.status_code == 200
    assert history.json()[-1]["evidence"] == (
        f"linked close contact #{close.pk}: test 1 (Centralized isolation day 1, due 2026-11-21) positive on 2026-11-21"
    )
    url = f"/api/v1/fieldops/people/{secondary.pk}/history/"
    zh = api_for(community_staff).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.json()[-1]["evidence"].startswith(f"关联密接 #{close.pk}：第 1 次检测（")
