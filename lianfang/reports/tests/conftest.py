"""Fixtures of the reports tests: a small district-wide scene recorded through every app's services.

``scene`` (over the shared ``population``: 下西园 with 阳光小区 h1, h2 and 上西园 with 园林小区 h3;
plus 幸福小区 in 下西园 with h4, h5), days relative to today in Asia/Shanghai (``TODAY``):

- zones: an open 8th-edition-era operation; 阳光小区 sealed and 上西园 controlled since TODAY-2;
  an infection in h1 detected TODAY-2 and a non-resident infection in 幸福小区 detected TODAY.
- workforce: a cadre and two community workers deployed since TODAY-10 (the sheet counts them).

``screening_scene`` adds a round over 西园街道 with one positive pool (tube P-0001, h1's people:
its follow-up opens on the result) and one negative pool. ``requests_scene`` adds service
requests (one overdue, one fulfilled, one received TODAY-1). ``field_scene`` adds people found by
personnel screening and a gate. Each helper records through the owning app's services, as the app
itself would.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
XIYUAN = "620103001"
XIA = "620103001001"
SHANG = "620103001002"
_ids = itertools.count(100)


def today() -> dt.date:
    return timezone.localdate()


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_cache_and_rules(db):
    """A clean cache (aggregates of an earlier test must not leak) and the shipped rule sets."""
    from django.core.cache import cache

    from lianfang.reports.shipped import ensure_shipped
    from lianfang.reports.sources import optional
    from lianfang.zones.shipped import ensure_shipped_rule_sets

    cache.clear()
    ensure_shipped_rule_sets()
    ensure_shipped()
    for module, name in (
        ("lianfang.screening.services.base", "ensure_shipped_rules"),
        ("lianfang.assistance.shipped", "ensure_shipped_rule_sets"),
        ("lianfang.fieldops.rules", "ensure_field_rule_set"),
    ):
        ensure = optional(module, name)
        if ensure is not None:
            ensure()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english():
    """Service messages in English (the msgids) unless a test switches language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def scene(population, district_commander, qilihe):
    from lianfang.conftest import make_compound
    from lianfang.divisions.models import Division
    from lianfang.registry.services import household_create, resident_create, validate_resident
    from lianfang.workforce import services as wf
    from lianfang.zones.models import AreaReason
    from lianfang.zones.services import control_area_approve, control_area_declare, infection_record, operation_open

    day = today()
    xia = Division.objects.get(code=XIA)
    shang = Division.objects.get(code=SHANG)
    street = Division.objects.get(code=XIYUAN)
    compound_c, units_c = make_compound(xia, 2, "幸福小区", buildings=2, units=1)
    h4 = household_create(actor=None, node=units_c[0], room="101", contact_name="孙七")
    h5 = household_create(actor=None, node=units_c[1], room="102", contact_name="周八")
    for household, name, number in (
        (h4, "孙七", "620103196001010014"),
        (h4, "孙小七", "620103199501010022"),
        (h5, "周八", "620103197001010019"),
    ):
        data = validate_resident(name=name, document_number=number, today=dt.date(2026, 11, 29))
        resident_create(actor=None, household=household, data=data)

    operation = operation_open(
        actor=district_commander, district=qilihe, name="七里河区疫情处置", started_on=day - dt.timedelta(days=3)
    )
    tiers = {t.key: t for t in operation.rule_set.tiers.all()}

    def in_force(key, nodes, since, infection=None):
        area = control_area_declare(
            actor=district_commander,
            operation=operation,
            tier=tiers[key],
            nodes=nodes,
            reason=AreaReason.INFECTION if infection else AreaReason.OTHER,
            infection=infection,
            at=at(since, 8),
        )
        return control_area_approve(actor=district_commander, area=area, effective_from=at(since))

    first = infection_record(
        actor=district_commander,
        operation=operation,
        positive_sample_on=day - dt.timedelta(days=2),
        household=population["h1"],
        person_name="张三",
        propose=False,
    )
    infection = getattr(first, "infection", first)
    sealed = in_force("sealed", [population["compound_a"]], day - dt.timedelta(days=2), infection=infection)
    controlled = in_force("controlled", [shang], day - dt.timedelta(days=2))
    infection_record(
        actor=district_commander,
        operation=operation,
        positive_sample_on=day,
        residence=compound_c,
        person_name="外来人员",
        propose=False,
    )

    start = day - dt.timedelta(days=10)
    cadre = wf.worker_create(
        actor=None,
        name="钱干部",
        categories=["city_cadre", "party_member"],
        base_division=street,
        phone="13900000002",
        sending_organisation="兰州市财政局",
    )
    staff_a = wf.worker_create(
        actor=None, name="孙社工", categories=["community_staff"], base_division=xia, phone="13900000003"
    )
    staff_b = wf.worker_create(
        actor=None,
        name="周网格",
        categories=["community_staff", "grid_worker", "volunteer"],
        base_division=shang,
        phone="13900000004",
    )
    wf.deployment_create(actor=None, worker=cadre, division=xia, starts_on=start)
    wf.deployment_create(actor=None, worker=staff_a, division=xia, starts_on=start)
    wf.deployment_create(actor=None, worker=staff_b, division=shang, starts_on=start)
    return {
        **population,
        "day": day,
        "operation": operation,
        "sealed": sealed,
        "controlled": controlled,
        "compound_c": compound_c,
        "h4": h4,
        "h5": h5,
        "xia": xia,
        "shang": shang,
        "street": street,
        "workers": [cadre, staff_a, staff_b],
    }


def fill_tube(actor, desk, residents, client_key, barcode):
    """Register ``residents`` into one tube at ``desk`` and close it with ``barcode`` (as the desk page does)."""
    import uuid

    from lianfang.screening.services.desk import desk_submit

    for resident in residents:
        status, body = desk_submit(
            actor=actor,
            desk=desk,
            payload={"key": uuid.uuid4().hex, "kind": "scan", "value": resident.id_number_plain(), "tube": client_key},
        )
        assert status == 201, body
    status, body = desk_submit(
        actor=actor, desk=desk, payload={"key": uuid.uuid4().hex, "kind": "close", "value": barcode, "tube": client_key}
    )
    assert status in (200, 201), body


@pytest.fixture
def screening_scene(scene, district_commander):
    """A round over 西园街道 opened now; a 10-in-1 desk; P-0001 (张三, 张小明: h1) positive, N-0002
    (李四, 赵丽: h2) negative. The positive result opens the follow-up."""
    pytest.importorskip("lianfang.screening.selectors")
    from lianfang.screening.services.results import ResultLine, results_record
    from lianfang.screening.services.rounds import desk_create, round_open, site_create

    rnd = round_open(actor=district_commander, name="第1轮全员核酸", nodes=[scene["street"]])
    site = site_create(actor=district_commander, round=rnd, name="西园采样点", division=scene["xia"])
    desk = desk_create(actor=district_commander, site=site, name="1号台", mode="pool_10")
    fill_tube(district_commander, desk, [scene["张三"], scene["张小明"]], "tube-0001", "P-0001")
    fill_tube(district_commander, desk, [scene["李四"], scene["赵丽"]], "tube-0002", "N-0002")
    results_record(
        actor=district_commander,
        lines=[
            ResultLine(line=1, barcode="P-0001", value="positive", lab="市疾控"),
            ResultLine(line=2, barcode="N-0002", value="negative", lab="市疾控"),
        ],
        path=XIYUAN,
    )
    return {**scene, "round": rnd, "desk": desk}


@pytest.fixture
def requests_scene(scene, district_commander):
    """Service requests in 下西园 and 上西园: one received TODAY-1 and overdue (never accepted), one
    received and fulfilled today, one received now and fresh. Skipped while the assistance app is not
    in the tree."""
    pytest.importorskip("lianfang.assistance.selectors")
    from lianfang.assistance.services.intake import service_request_create
    from lianfang.assistance.services.lifecycle import (
        service_request_accept,
        service_request_fulfil,
        service_request_start,
    )

    day = scene["day"]
    now = timezone.now()
    # today's ticket lives within today whatever the hour (CI runs past local midnight too): received
    # up to 3 h ago but not before midnight, then accepted, started and fulfilled in that span
    start = max(now - dt.timedelta(hours=3), timezone.make_aware(dt.datetime.combine(day, dt.time.min)))
    span = now - start
    old = service_request_create(
        actor=district_commander,
        household=scene["h1"],
        category="medicine",
        description="降压药",
        at=now - dt.timedelta(days=1),
    )
    done = service_request_create(
        actor=district_commander,
        household=scene["h3"],
        category="groceries",
        description="米面",
        at=start,
    )
    service_request_accept(actor=district_commander, ticket=done, at=start + span * 0.05)
    service_request_start(actor=district_commander, ticket=done, at=start + span * 0.1)
    service_request_fulfil(actor=district_commander, ticket=done, at=start + span * 0.95)
    fresh = service_request_create(
        actor=district_commander, household=scene["h2"], category="groceries", description="蔬菜", at=now
    )
    return {**scene, "tickets": {"old": old, "done": done, "fresh": fresh}, "day": day}


@pytest.fixture
def field_scene(scene, district_commander, qilihe):
    """Personnel screening: two inflow people (one found today), a traveller from a risk area and a
    gate of 阳光小区 (sealed: needs round-the-clock duty, nobody on it). Skipped while the field
    operations app is not in the tree."""
    pytest.importorskip("lianfang.fieldops.selectors")
    from lianfang.fieldops.services.gates import gate_create
    from lianfang.fieldops.services.screened import screened_person_create

    day = scene["day"]
    people = [
        screened_person_create(
            actor=district_commander,
            district=qilihe,
            category="inflow",
            name="赵返乡",
            household=scene["h2"],
            origin="西安市",
            arrived_on=day - dt.timedelta(days=1),
            phone="13800000011",
        ),
        screened_person_create(
            actor=district_commander,
            district=qilihe,
            category="inflow",
            name="钱返乡",
            household=scene["h3"],
            origin="天水市",
            arrived_on=day,
        ),
        screened_person_create(
            actor=district_commander,
            district=qilihe,
            category="risk_traveller",
            name="孙旅客",
            household=scene["h4"],
            origin="上海市",
            risk_area="上海市浦东新区",
            arrived_on=day - dt.timedelta(days=2),
        ),
    ]
    gate = gate_create(actor=district_commander, division=scene["compound_a"], name="东门")
    return {**scene, "people": people, "gate": gate}


@pytest.fixture
def everything_live(screening_scene, requests_scene, field_scene, district_commander):
    """Every scene at once for the browser tests (a live server flushes the database afterwards)."""
    return {**screening_scene, "commander": district_commander}
