"""The sampling desk: capacity by mode, duplicates in a round, unregistered people, children via a
guardian, household QR codes, closing tubes, idempotency, round attribution and home tasks."""

import pytest

from lianfang.screening.models import (
    MemberResult,
    RoundMember,
    Sample,
    SamplingTask,
    SubmissionKey,
    TaskKind,
    TaskStatus,
    Tube,
)
from lianfang.screening.tests.conftest import close, key, make_desk, stranger_id, submit

pytestmark = pytest.mark.django_db

ZHANG = "11010519491231002X"
WANG_FANG = "620103199001010026"


def test_round_snapshots_the_population_with_modes_and_home_tasks(rnd, population):
    members = {m.resident.name: m for m in RoundMember.objects.filter(round=rnd).select_related("resident")}
    assert rnd.expected_people == 7 and len(members) == 7
    # no control area in force: the 8th-edition precaution (baseline) tier pools 20 in 1
    assert {m.mode for m in members.values()} == {"pool_20"}
    assert rnd.rule_set_key == "nhc-8th-era"
    assert (rnd.deadline - rnd.opened_at).total_seconds() == 24 * 3600
    assert members["王五"].home_visit and members["王五"].awaiting_home_visit
    task = SamplingTask.objects.get(round=rnd)
    assert (task.kind, task.resident_id, task.status) == (TaskKind.HOME_VISIT, population["王五"].pk, TaskStatus.OPEN)


def test_tube_over_capacity_is_refused(site, district_commander):
    desk = make_desk(site, district_commander, name="5合1", mode="pool_5")
    for _ in range(5):
        status, body = submit(district_commander, desk, "scan", stranger_id(), tube="tube-five")
        assert status == 201, body
    status, body = submit(district_commander, desk, "scan", stranger_id(), tube="tube-five")
    assert (status, body["code"]) == (409, "tube_full")
    tube = Tube.objects.get(client_key="tube-five")
    assert (tube.people, tube.capacity, Sample.objects.filter(tube=tube).count()) == (5, 5, 5)


def test_single_tube_holds_one_person(site, district_commander, population):
    desk = make_desk(site, district_commander, name="单采", mode="single")
    assert submit(district_commander, desk, "scan", ZHANG, tube="tube-single")[0] == 201
    status, body = submit(district_commander, desk, "scan", "440524188001010014", tube="tube-single")
    assert (status, body["code"]) == (409, "tube_full")


def test_same_person_twice_in_a_round_is_flagged(site, desk, district_commander, population):
    other = make_desk(site, district_commander, name="2号台")
    assert submit(district_commander, desk, "scan", ZHANG, tube="tube-a")[0] == 201
    status, body = submit(district_commander, other, "scan", ZHANG, tube="tube-b")
    assert (status, body["code"]) == (409, "duplicate")
    assert "阳光小区采样点 · 1号台" in body["message"] and "张*" in body["message"]
    assert Sample.objects.filter(person_key=f"r{population['张三'].pk}").count() == 1
    assert not Tube.objects.filter(client_key="tube-b").exists()  # nothing half-written


def test_an_unregistered_person_without_a_name_twice_reads_as_unregistered(site, desk, district_commander):
    """New-user trial 8: the placeholder name was masked like a real name ("（***）")."""
    from django.utils import translation

    number = stranger_id(8)
    other = make_desk(site, district_commander, name="2号台")
    assert submit(district_commander, desk, "scan", number, tube="tube-a")[0] == 201
    status, body = submit(district_commander, other, "scan", number, tube="tube-b")
    assert (status, body["code"]) == (409, "duplicate")
    assert body["message"].startswith("(unregistered) was already sampled in this round at 阳光小区采样点 · 1号台 (")
    with translation.override("zh-hans"):
        status, body = submit(district_commander, other, "scan", number, tube="tube-c")
    assert status == 409 and body["message"].startswith("（未登记）") and "*" not in body["message"]


def test_unregistered_person_is_kept_to_verify(desk, district_commander):
    number = stranger_id(7)
    status, body = submit(district_commander, desk, "scan", number, name="过路人")
    assert status == 201 and body["people"][0]["unregistered"] is True
    assert "not in the registry" in body["warnings"][0]
    sample = Sample.objects.get()
    assert (sample.unregistered, sample.resident_id, sample.name, sample.path) == (True, None, "过路人", desk.path)
    assert sample.id_number_plain() == number and sample.id_masked == number[:4] + "**********" + number[-4:]


def test_child_without_id_via_guardian_and_elderly_with_only_an_id(desk, district_commander, population):
    status, body = submit(district_commander, desk, "child", guardian=WANG_FANG, name="王宝宝")
    assert status == 201 and body["people"][0]["guardian"] == "王*"
    sample = Sample.objects.get(resident=population["王宝宝"])
    assert sample.guardian_id == population["王芳"].pk
    # 张三 is elderly, living alone: the ID number alone is enough
    assert submit(district_commander, desk, "scan", ZHANG)[0] == 201
    member = RoundMember.objects.get(resident=population["张三"])
    assert member.result == MemberResult.PENDING and member.sample.tube.client_key == "tube-0001"


def test_unknown_child_with_known_guardian_is_kept(desk, district_commander, population):
    status, body = submit(district_commander, desk, "child", guardian=WANG_FANG, name="王二宝")
    assert status == 201 and body["people"][0]["unregistered"] is True
    assert Sample.objects.get(name="王二宝").guardian_id == population["王芳"].pk


def test_household_qr_registers_the_members(site, district_commander, population):
    from lianfang.screening.services.scans import household_qr_payload

    desk = make_desk(site, district_commander, name="一户一管", mode="household")
    status, body = submit(district_commander, desk, "scan", household_qr_payload(population["h1"]), tube="tube-h1")
    assert status == 201 and body["tube"]["people"] == 2
    status, body = submit(district_commander, desk, "scan", "620103198501150012", tube="tube-h1")
    assert (status, body["code"]) == (409, "household_mismatch")
    status, body = submit(district_commander, desk, "scan", "LFH:999:0000", tube="tube-h1")
    assert (status, body["code"]) == (409, "not_found")


def test_barcode_closes_the_tube_and_cannot_be_reused(site, desk, district_commander, population):
    assert submit(district_commander, desk, "scan", ZHANG, tube="tube-a")[0] == 201
    status, body = submit(district_commander, desk, "scan", "QL2022000001", tube="tube-a")  # a scan of a barcode closes
    assert status == 200 and body["status"] == "closed"
    tube = Tube.objects.get(client_key="tube-a")
    assert (tube.status, tube.barcode, tube.people) == ("closed", "QL2022000001", 1)
    status, body = submit(district_commander, desk, "scan", "440524188001010014", tube="tube-a")
    assert (status, body["code"]) == (409, "tube_closed")
    assert submit(district_commander, desk, "scan", "440524188001010014", tube="tube-b")[0] == 201
    status, body = close(district_commander, desk, "tube-b", "QL2022000001")
    assert (status, body["code"]) == (409, "barcode_taken")
    status, body = close(district_commander, desk, "tube-empty", "QL2022000002")
    assert (status, body["code"]) == (409, "empty_tube")


def test_retry_with_the_same_key_never_duplicates(desk, district_commander, population):
    k = key()
    first = submit(district_commander, desk, "scan", ZHANG, key=k)
    again = submit(district_commander, desk, "scan", ZHANG, key=k)
    assert first[0] == again[0] == 201 and again[1]["replayed"] is True
    assert Sample.objects.count() == 1 and SubmissionKey.objects.filter(key=k).count() == 1
    refused = submit(district_commander, desk, "resident", "99999999", key="refused-key-1")
    assert refused[0] == 409
    assert submit(district_commander, desk, "resident", "99999999", key="refused-key-1") == (
        refused[0],
        {**refused[1], "replayed": True},
    )
    # unreadable input is answered 400 and not stored: the same body gets the same answer again
    unreadable = submit(district_commander, desk, "scan", "bad", key="refused-key-2")
    assert submit(district_commander, desk, "scan", "bad", key="refused-key-2") == unreadable
    assert unreadable[0] == 400 and not SubmissionKey.objects.filter(key="refused-key-2").exists()


def test_round_attribution_follows_the_desk_not_the_date(population, district_commander, desk, rnd):
    """Two rounds open at once over the same people: the sample belongs to the round of its desk."""
    from lianfang.screening.services.rounds import round_open, site_create

    later = round_open(actor=district_commander, name="第2轮", nodes=[population["compound_a"]], at=rnd.opened_at)
    later_site = site_create(
        actor=district_commander, round=later, name="第2轮采样点", division=population["compound_a"]
    )
    later_desk = make_desk(later_site, district_commander, name="A")
    assert submit(district_commander, later_desk, "scan", ZHANG, tube="tube-r2")[0] == 201
    sample = Sample.objects.get()
    assert sample.round_id == later.pk and sample.member.round_id == later.pk
    assert RoundMember.objects.get(round=rnd, resident=population["张三"]).result == ""
    # the first round can still sample the same person once
    assert submit(district_commander, desk, "scan", ZHANG, tube="tube-r1")[0] == 201
    assert sorted(Sample.objects.values_list("round_id", flat=True)) == sorted([rnd.pk, later.pk])


def test_bedridden_resident_is_not_missed_while_the_home_task_is_open(rnd, district_commander, population):
    from lianfang.screening.selectors import coverage

    _rows, totals = coverage(user=district_commander, round=rnd, by="community")
    assert totals.counts["missed"] == 6 and totals.counts["home_visit_open"] == 1
    task = SamplingTask.objects.get(round=rnd, kind=TaskKind.HOME_VISIT)
    status, body = submit(district_commander, task, "scan", "620103195002020017", tube="tube-home")
    assert status == 201
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    tube = Tube.objects.get(client_key="tube-home")
    assert (tube.mode, tube.capacity, tube.task_id, tube.desk_id) == ("pool_20", 20, task.pk, None)  # the area's mode
    _rows, totals = coverage(user=district_commander, round=rnd, by="community")
    assert (totals.counts["missed"], totals.counts["home_visit_open"], totals.counts["pending"]) == (6, 0, 1)


def test_resident_arrived_after_opening_is_added_to_the_open_round(rnd, desk, district_commander, population):
    from lianfang.registry.services import resident_create, validate_resident

    data = validate_resident(name="新来的", document_number="620103200001010013")
    newcomer = resident_create(actor=None, household=population["h1"], data=data)
    assert submit(district_commander, desk, "scan", "620103200001010013")[0] == 201
    member = RoundMember.objects.get(round=rnd, resident=newcomer)
    assert member.added_late and member.result == MemberResult.PENDING
    rnd.refresh_from_db()
    assert rnd.expected_people == 8


def test_field_worker_outside_the_desk_division_is_refused(desk, other_community_staff):
    status, body = 0, {}
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        status, body = submit(other_community_staff, desk, "scan", ZHANG)
    assert Sample.objects.count() == 0
