"""Scope on every page and endpoint: an outsider gets 404 on details and empty lists; another
community's staff sees nothing of this one; list pages stay within their query budgets."""

import datetime as dt

import pytest
from django.urls import reverse

from lianfang.fieldops.models import Alert, DutyShift
from lianfang.fieldops.services.bulk_changes import bulk_status_change_request
from lianfang.fieldops.services.disinfection import disinfection_log_record, disinfection_schedule_create
from lianfang.fieldops.services.gates import duty_roster_generate, duty_shift_assign, emergency_at_gates
from lianfang.fieldops.services.monitoring import health_check_in_record, home_monitoring_start
from lianfang.fieldops.services.notices import notice_create, notice_publish
from lianfang.fieldops.services.passages import passage_register
from lianfang.fieldops.services.patrols import checkpoint_create, patrol_scan
from lianfang.fieldops.services.screened import screened_person_create
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(areas, gates, guard, population, community_staff, l3_person):
    """One of everything in 阳光小区 (下西园)."""
    compound = population["compound_a"]
    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    shift = DutyShift.objects.filter(gate=gates["north"]).order_by("starts_at").first()
    duty_shift_assign(actor=community_staff, shift=shift, worker=guard)
    checkpoint = checkpoint_create(actor=community_staff, division=compound, name="北门")
    patrol_scan(actor=guard.user, checkpoint=checkpoint, at=at(day, 1))
    passage = passage_register(
        actor=guard.user, gate=gates["north"], direction="out", purpose="shopping", resident=population["张三"]
    )
    person = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["李四"],
    )
    bulk = bulk_status_change_request(
        actor=community_staff, people=[person], to_status="home_monitoring", reason_code="other", evidence="抵兰"
    )
    monitoring = home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=day,
        ends_on=day + dt.timedelta(days=3),
    )
    check_in = health_check_in_record(actor=guard.user, monitoring=monitoring, temperature="36.5")
    schedule = disinfection_schedule_create(actor=community_staff, division=compound, place="电梯", interval_hours=12)
    log = disinfection_log_record(
        actor=guard.user, schedule=schedule, performed_by="刘", agent="84", concentration_mg_l=500
    )
    notice = notice_create(actor=community_staff, title="通知", body="今晚全员核酸", division=compound)
    notice_publish(actor=community_staff, notice=notice)
    emergency_at_gates(household=population["h1"], reference="T-1")
    from lianfang.fieldops.importers import screening_import

    screening_import(
        actor=community_staff,
        division=compound.parent,
        file_name="list.csv",
        data="姓名,身份证号,所在区县\n陈一,620103199001010018,城关区\n".encode(),
    )
    return {
        "gate": gates["north"],
        "shift": shift,
        "checkpoint": checkpoint,
        "passage": passage,
        "person": person,
        "bulk": bulk,
        "monitoring": monitoring,
        "check_in": check_in,
        "schedule": schedule,
        "log": log,
        "notice": notice,
        "alert": Alert.objects.get(),
        "test": None,
    }


def page_details(w):
    return [
        reverse("fieldops:gate", args=[w["gate"].pk]),
        reverse("fieldops:person", args=[w["person"].pk]),
        reverse("fieldops:notice", args=[w["notice"].pk]),
        reverse("fieldops:notice_poster", args=[w["notice"].pk]),
        reverse("fieldops:patrol_scan", args=[w["checkpoint"].token]),
    ]


def page_posts(w):
    return [
        reverse("fieldops:shift_assign", args=[w["shift"].pk]),
        reverse("fieldops:shift_check_in", args=[w["shift"].pk]),
        reverse("fieldops:person_action", args=[w["person"].pk, "status"]),
        reverse("fieldops:bulk_decide", args=[w["bulk"].pk, "approve"]),
        reverse("fieldops:monitoring_check_in", args=[w["monitoring"].pk]),
        reverse("fieldops:notice_action", args=[w["notice"].pk, "withdraw"]),
        reverse("fieldops:alert_ack", args=[w["alert"].pk]),
    ]


API_DETAILS = [
    ("api:fieldops-gate-detail", "gate"),
    ("api:fieldops-shift-detail", "shift"),
    ("api:fieldops-checkpoint-detail", "checkpoint"),
    ("api:fieldops-passage-detail", "passage"),
    ("api:fieldops-person-detail", "person"),
    ("api:fieldops-bulk-detail", "bulk"),
    ("api:fieldops-monitoring-detail", "monitoring"),
    ("api:fieldops-check-in-detail", "check_in"),
    ("api:fieldops-schedule-detail", "schedule"),
    ("api:fieldops-disinfection-log-detail", "log"),
    ("api:fieldops-notice-detail", "notice"),
    ("api:fieldops-alert-detail", "alert"),
]
API_LISTS = [
    "api:fieldops-gate-list",
    "api:fieldops-shift-list",
    "api:fieldops-checkpoint-list",
    "api:fieldops-patrol-list",
    "api:fieldops-passage-list",
    "api:fieldops-person-list",
    "api:fieldops-test-list",
    "api:fieldops-bulk-list",
    "api:fieldops-transfer-list",
    "api:fieldops-monitoring-list",
    "api:fieldops-check-in-list",
    "api:fieldops-schedule-list",
    "api:fieldops-disinfection-log-list",
    "api:fieldops-notice-list",
    "api:fieldops-alert-list",
]
LIST_PAGES = [
    ("fieldops:roster", "coverage"),
    ("fieldops:passages", "page"),
    ("fieldops:checkpoints", "checkpoints"),
    ("fieldops:people", "page"),
    ("fieldops:transfers", "page"),
    ("fieldops:bulk_changes", "page"),
    ("fieldops:monitoring", "rows"),
    ("fieldops:disinfection", "rows"),
    ("fieldops:notices", "page"),
    ("fieldops:alerts", "page"),
]


def _paths(value) -> set[str]:
    rows = list(value.object_list if hasattr(value, "object_list") else value or [])
    return {getattr(getattr(r, "gate", r), "path", "") for r in rows}


def _count(value):
    if value is None:
        return 0
    if hasattr(value, "paginator"):
        return value.paginator.count
    return len(value)


@pytest.mark.parametrize("who", ["outsider", "other_community_staff"])
def test_others_get_404_and_empty_lists(world, request, who, client_for, api_for):
    user = request.getfixturevalue(who)
    client = client_for(user)
    for url in page_details(world):
        assert client.get(url).status_code == 404, url
    for url in page_posts(world):
        assert (
            client.post(
                url, {"worker": "", "to_status": "released", "reason_code": "other", "evidence": "x"}
            ).status_code
            == 404
        ), url
    for name, context_key in LIST_PAGES:
        # 下西园 is not theirs: a 400 naming it (as every within), never their own place (or an empty list)
        refused = client.get(reverse(name), {"within": "620103001001"}, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 400, name
        assert "“620103001001” is not the code of a division you may see" in refused.content.decode(), name
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert not any(p.startswith("620103001001") for p in _paths(response.context[context_key])), name
        if who == "outsider":
            assert _count(response.context[context_key]) == 0, name
    api = api_for(user)
    for name, key in API_DETAILS:
        assert api.get(reverse(name, args=[world[key].pk])).status_code == 404, name
    for name in API_LISTS:
        body = api.get(reverse(name)).json()
        assert not any(r.get("path", "").startswith("620103001001") for r in body["results"]), name
        if who == "outsider":
            assert body["count"] == 0 and body["results"] == [], name
    assert api.post(reverse("api:fieldops-alert-acknowledge", args=[world["alert"].pk])).status_code == 404
    # references to rows out of scope in a body are "does not exist"
    refused = api.post(
        reverse("api:fieldops-passage-list"),
        {"gate": world["gate"].pk, "direction": "in", "purpose": "delivery", "visitor_name": "x"},
    )
    assert refused.status_code in (400, 403) and "gate" in refused.json()


def test_community_staff_sees_their_rows(world, community_staff, client_for, api_for):
    client = client_for(community_staff)
    for url in page_details(world):
        assert client.get(url).status_code == 200, url
    api = api_for(community_staff)
    for name in API_LISTS:
        assert api.get(reverse(name)).status_code == 200, name
    assert api.get(reverse("api:fieldops-person-list")).json()["count"] == 1
    assert api.get(reverse("api:fieldops-gate-list")).json()["results"][0]["name"] == "北门"


def test_representative_sees_their_households_only(world, representative, population, client_for, api_for):
    api = api_for(representative.user)
    monitoring = api.get(reverse("api:fieldops-monitoring-list")).json()
    assert [m["household"] for m in monitoring["results"]] == [population["h1"].pk]
    assert api.get(reverse("api:fieldops-gate-list")).json()["count"] == 0
    alerts = api.get(reverse("api:fieldops-alert-list")).json()
    assert {a["kind"] for a in alerts["results"]} == {"emergency"}


BUDGETS = {  # one query of these checks that ?within= names a division (core.scoping.reaches)
    "fieldops:roster": 12,
    "fieldops:passages": 9,  # and its filter checks ?within= once more (ScopedWithinFilter)
    "fieldops:checkpoints": 7,
    "fieldops:people": 11,  # its filter checks ?within= once more; one names the people's places
    "fieldops:transfers": 9,  # and its filter checks ?within= once more (ScopedWithinFilter)
    "fieldops:bulk_changes": 8,
    "fieldops:monitoring": 8,  # one lists the households monitoring can start for (by address)
    "fieldops:disinfection": 6,
    "fieldops:notices": 7,
    "fieldops:alerts": 9,  # and its filter checks ?within= once more (ScopedWithinFilter)
    "fieldops:index": 7,
    "fieldops:briefing": 20,
}


@pytest.mark.parametrize("name,context_key", LIST_PAGES + [("fieldops:index", None), ("fieldops:briefing", None)])
def test_list_pages_within_query_budget(
    world, district_commander, client_for, django_assert_max_num_queries, name, context_key
):
    """Queries per page do not grow with rows (budgets measured with one row of each kind; the
    second gate, shift, person... adds none)."""
    from lianfang.fieldops.importers import screening_import

    screening_import(
        actor=district_commander,
        division=world["gate"].division.parent,
        file_name="more.csv",
        data="姓名,身份证号,所在区县\n林二,620103199002020015,安宁区\n何三,620103199003030012,\n".encode(),
    )
    client = client_for(district_commander)
    client.get(reverse(name))  # the session's first request
    with django_assert_max_num_queries(BUDGETS[name]):
        response = client.get(reverse(name), {"within": "620103001001"})
    assert response.status_code == 200
    if context_key:
        assert _count(response.context[context_key]) >= 1, name


def test_public_pages_need_the_token(world, client):
    assert client.get(reverse("fieldops:notice_public", args=[world["notice"].token])).status_code == 200
    assert client.get(reverse("fieldops:notice_public", args=["not-a-token"])).status_code == 404
    assert client.get(reverse("fieldops:resident_check_in", args=["not-a-token"])).status_code == 404
    # anonymous users are sent to sign in for everything else
    assert client.get(reverse("fieldops:gate", args=[world["gate"].pk])).status_code == 302


WITHIN_REFUSED = "所属区划代码（<code>{name}</code>）：“{code}”不是您可查看的区划的代码"


def test_people_page_within_reaching_nothing_of_the_caller_is_a_400_naming_it(
    world, population, community_staff, other_community_staff, client_for
):
    """/fieldops/people/?within= (and ?code=) as two users of different scopes: a division holding
    nothing of theirs (the other community, another street, unknown) is the 400 page naming the
    parameter by its label and the code (core.filters.query_scoped_code), as on every list, not a
    404; a malformed one too; their own division lists their people."""
    wang = screened_person_create(
        actor=other_community_staff,
        district=population["h3"].district,
        category="inflow",
        name="",
        resident=population["王五"],
    )
    mine = {
        community_staff: {
            "620103001001": {world["person"].pk},  # 李四 (h2, 阳光小区)
            population["compound_a"].code: {world["person"].pk},
        },
        other_community_staff: {"620103001002": {wang.pk}, population["compound_b"].code: {wang.pk}},
    }
    others = {
        community_staff: ["620103001002", population["compound_b"].code],
        other_community_staff: ["620103001001", population["compound_a"].code],
    }
    for user, codes in mine.items():
        client = client_for(user)
        for code in [*others[user], "620103002001", "620103001999"]:
            for name in ("within", "code"):
                refused = client.get(reverse("fieldops:people"), {name: code}, HTTP_ACCEPT_LANGUAGE="zh-hans")
                assert refused.status_code == 400, (user, name, code)
                line = WITHIN_REFUSED.format(name=name, code=code)
                if name == "code":
                    line = line.replace("所属区划代码", "区划代码")
                assert f"<li>{line}</li>" in refused.content.decode(), (user, name, code)
        malformed = client.get(reverse("fieldops:people"), {"within": "62x"}, HTTP_ACCEPT_LANGUAGE="en")
        assert malformed.status_code == 400
        assert "“62x” is not a division code (1 to 20 digits)" in malformed.content.decode()
        for code, expected in codes.items():
            listed = client.get(reverse("fieldops:people"), {"within": code})
            assert listed.status_code == 200 and listed.context["code"] == code
            assert {p.pk for p in listed.context["page"]} == expected, (user, code)
            assert len(listed.context["page"]) == 1, (user, code)  # a real row, not an empty list
