"""Coverage, missed people, evidence for the zones app, sealed areas and control-area proposals,
and the pool-size advisor (Dorfman values of domain.md §4)."""

import datetime as dt

import pytest

from lianfang.screening import advisor
from lianfang.screening.models import PoolFollowUp, RoundMember, SamplingTask, TaskKind
from lianfang.screening.selectors import coverage, coverage_by_responsible, missed_people, missed_repeatedly, progress
from lianfang.screening.services.results import ResultLine, results_record
from lianfang.screening.services.rounds import member_exempt, round_open
from lianfang.screening.tests.conftest import close, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def representative(population):
    """李四 is the household representative (L4) of h1 and h2."""
    from lianfang.divisions.models import Division
    from lianfang.workforce.services import assignment_create, worker_create

    worker = worker_create(
        actor=None,
        name="刘代表",
        categories=["household_representative"],
        base_division=Division.objects.get(code="620103001001"),
        phone="13600001111",
    )
    assignment_create(
        actor=None,
        level=4,
        worker=worker,
        starts_on=dt.date(2020, 1, 1),
        households=[population["h1"], population["h2"]],
    )
    return worker


def test_coverage_counts_missed_names_and_representatives(rnd, desk, district_commander, population, representative):
    assert submit(district_commander, desk, "scan", "11010519491231002X")[0] == 201
    member_exempt(
        actor=district_commander, member=RoundMember.objects.get(resident=population["赵丽"]), exemption="hospitalised"
    )
    rows, totals = coverage(user=district_commander, round=rnd, by="compound")
    by_code = {r.code: r.counts for r in rows}
    assert by_code[population["compound_a"].code] == {
        "expected": 4,
        "sampled": 1,
        "pending": 1,
        "negative": 0,
        "positive": 0,
        "invalid": 0,
        "exempt": 1,
        "home_visit_open": 0,
        "missed": 2,
    }
    assert by_code[population["compound_b"].code]["home_visit_open"] == 1
    assert (totals.counts["expected"], totals.counts["missed"]) == (7, 4)
    missed = missed_people(user=district_commander, round=rnd, within=population["compound_a"].code)
    assert [(m.name, m.representative, m.representative_phone) for m in missed] == [
        ("张*明", "刘代表", "136****1111"),
        ("李*", "刘代表", "136****1111"),
    ]
    assert missed[0].id_masked == "4405**********0014"
    per_person = {r.label: r.counts["missed"] for r in coverage_by_responsible(user=district_commander, round=rnd)}
    assert per_person == {"刘代表": 2, "": 2}
    assert [n for _h, n, total in progress(user=district_commander, round=rnd)] == [1]


def test_coverage_is_scoped(rnd, community_staff, other_community_staff, district_commander):
    _rows, totals = coverage(user=community_staff, round=rnd, by="compound")
    assert totals.counts["expected"] == 4
    assert (totals.code, totals.label) == ("620103001001", "下西园社区")  # their part, not the street
    _rows, totals = coverage(user=other_community_staff, round=rnd, by="compound")
    assert totals.counts["expected"] == 3
    assert (totals.code, totals.label) == ("620103001002", "上西园社区")
    _rows, totals = coverage(user=district_commander, round=rnd, by="community")
    assert (totals.code, totals.label) == ("620103001", "西园街道")


def test_coverage_api_by_community_for_community_staff(rnd, community_staff, api_for):
    """New-user trial 11: ``by=community`` answered the street's code with an empty label as totals."""
    body = api_for(community_staff).get(f"/api/v1/screening/rounds/{rnd.pk}/coverage/?by=community").json()
    assert [(r["code"], r["label"], r["expected"]) for r in body["rows"]] == [("620103001001", "下西园社区", 4)]
    assert (body["totals"]["code"], body["totals"]["label"], body["totals"]["expected"]) == (
        "620103001001",
        "下西园社区",
        4,
    )


def test_people_missed_in_recent_rounds(population, district_commander, street):
    first = round_open(actor=district_commander, name="R1", nodes=[street])
    second = round_open(actor=district_commander, name="R2", nodes=[street])
    RoundMember.objects.filter(round=first, resident=population["张三"]).update(result="negative")
    RoundMember.objects.filter(round=second).exclude(resident=population["李四"]).update(result="negative")
    rounds, people = missed_repeatedly(user=district_commander, code=street.code, n=2)
    assert [r.name for r in rounds] == ["R2", "R1"]
    counts = {p["name"]: p["missed"] for p in people}
    assert counts["李*"] == 2 and counts["赵*"] == 1 and "张*" not in counts


def test_evidence_provider_gives_the_last_whole_area_round(rnd, desk, district_commander, population):
    from lianfang.screening.selectors import last_whole_area_round

    code = population["compound_a"].code
    today = dt.date.today() + dt.timedelta(days=1)
    found = last_whole_area_round(codes=[code], until=today)
    assert found is not None and found.all_negative is None  # people still unsampled in an open round
    RoundMember.objects.filter(round=rnd).update(result="negative")
    assert last_whole_area_round(codes=[code], until=today).all_negative is True
    RoundMember.objects.filter(round=rnd, path__startswith=code).update(result="positive")
    assert last_whole_area_round(codes=[code], until=today).all_negative is False
    assert last_whole_area_round(codes=["620103002"], until=today) is None  # another street: not covered


def test_sealed_area_gets_door_to_door_building_tasks_and_a_positive_pool_proposes_an_area(
    population, district_commander, qilihe, street
):
    from lianfang.zones.models import ControlArea
    from lianfang.zones.services import control_area_approve, control_area_declare, operation_open

    operation = operation_open(actor=district_commander, district=qilihe, name="处置", started_on=dt.date(2022, 3, 27))
    sealed = operation.rule_set.tiers.get(key="sealed")
    area = control_area_declare(
        actor=district_commander, operation=operation, tier=sealed, nodes=[population["compound_a"]]
    )
    control_area_approve(actor=district_commander, area=area)
    rnd = round_open(actor=district_commander, name="封控区第1轮", control_area_id=area.pk)
    modes = dict(RoundMember.objects.filter(round=rnd).values_list("resident__name", "mode"))
    assert modes == {"张三": "single", "张小明": "single", "李四": "single", "赵丽": "single"}
    buildings = SamplingTask.objects.filter(round=rnd, kind=TaskKind.SEALED_BUILDING)
    assert [(t.path, t.people, t.mode) for t in buildings] == [(population["unit_a"].code[:18], 4, "single")]
    task = buildings.get()
    assert submit(district_commander, task, "scan", "11010519491231002X", tube="door-1")[0] == 201
    status, body = submit(district_commander, task, "scan", "440524188001010014", tube="door-1")
    assert (status, body["code"]) == (409, "tube_full")  # single-person tubes
    assert close(district_commander, task, "door-1", "DD0001")[0] == 200
    results_record(actor=district_commander, lines=[ResultLine(1, "DD0001", "positive", "Lab", "")], path="620103")
    fu = PoolFollowUp.objects.get()
    proposal = ControlArea.objects.get(pk=fu.control_area_ref)
    assert (proposal.status, proposal.reason, proposal.positive_pool_ref) == ("proposed", "positive_pool", "DD0001")


@pytest.mark.parametrize(("p", "k", "e"), [(0.01, 11, 0.196), (0.02, 8, 0.274), (0.05, 5, 0.426), (0.001, 32, 0.063)])
def test_dorfman_values_of_the_domain_notes(p, k, e):
    assert advisor.optimal_k(p) == k
    assert round(advisor.tests_per_person(k, p), 3) == e


def test_break_even_and_options_per_1000():
    assert round(advisor.break_even_prevalence(10), 3) == 0.206
    assert round(advisor.break_even_prevalence(20), 3) == 0.139
    ten = advisor.options(0.01, [10])[0]
    assert (round(ten.tests_per_1000, 1), round(ten.isolations_per_1000, 1), ten.pays) == (195.6, 95.6, True)
    assert advisor.options(0.2, [20])[0].pays is False
    with pytest.raises(ValueError):
        advisor.tests_per_person(0, 0.1)


def test_advisor_page_uses_typed_prevalence(client_for, district_commander):
    from django.urls import reverse

    page = client_for(district_commander).get(reverse("screening:advisor"), {"percent": "1"})
    assert page.context["optimal_k"] == 11
    assert [o.k for o in page.context["options"]] == [5, 10, 20]


BAD_BY = {
    "en": "“street” is not a grouping (allowed: community, compound, building)",
    "zh-hans": "“street”不是可用的分组方式（可选：社区 community、小区 compound、楼栋 building）",
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_coverage_api_refuses_an_unknown_grouping_in_the_callers_language(rnd, district_commander, api_for, language):
    from django.urls import reverse

    url = reverse("api:screening-round-coverage", args=[rnd.pk])
    response = api_for(district_commander).get(url, {"by": "street"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.json() == {"by": [BAD_BY[language]]}
    ok = api_for(district_commander).get(url, {"by": "compound"}, HTTP_ACCEPT_LANGUAGE=language)
    assert ok.status_code == 200 and ok.json()["by"] == "compound"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_coverage_page_refuses_an_unknown_grouping_in_the_readers_language(
    rnd, district_commander, client_for, language
):
    from django.urls import reverse

    url = reverse("screening:coverage", args=[rnd.pk])
    response = client_for(district_commander).get(url, {"by": "street"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    label = {"en": "Group by (<code>by</code>): ", "zh-hans": "分组（<code>by</code>）："}[language]
    assert f"<li>{label}{BAD_BY[language]}</li>" in response.content.decode()
    assert client_for(district_commander).get(url, {"by": "building"}, HTTP_ACCEPT_LANGUAGE=language).status_code == 200
