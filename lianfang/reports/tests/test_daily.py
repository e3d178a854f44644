"""The daily report: every number equals a count made independently here from the raw rows; the
paragraph in both languages; past days; the close-day rule; frozen figures; reopening."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from lianfang.reports import daily, services, sources
from lianfang.reports.models import DailyReport, ReportRuleSet, ReportStatus
from lianfang.reports.tests.conftest import SHANG, XIA, XIYUAN

pytestmark = pytest.mark.django_db


def households(code):
    from lianfang.registry.models import Household

    return Household.objects.filter(path__startswith=code).count()


def residents(code):
    from lianfang.registry.models import Resident

    return Resident.objects.filter(path__startswith=code).count()


def test_population_tiers_and_areas_match_the_rows(scene, district_commander):
    report = daily.build(user=district_commander, division=scene["street"], day=scene["day"])
    assert report["population"] == {"households": households(XIYUAN), "residents": residents(XIYUAN)}
    assert report["population"] == {"households": 5, "residents": 10}
    tiers = {t["key"]: t for t in report["tiers"]["tiers"]}
    sealed_code, controlled_code = scene["compound_a"].code, SHANG
    assert tiers["sealed"]["areas"] == 1 and tiers["controlled"]["areas"] == 1
    assert (tiers["sealed"]["households"], tiers["sealed"]["residents"]) == (
        households(sealed_code),
        residents(sealed_code),
    )
    assert (tiers["controlled"]["households"], tiers["controlled"]["residents"]) == (
        households(controlled_code),
        residents(controlled_code),
    )
    outside = report["tiers"]["outside"]
    assert outside["residents"] == residents(XIYUAN) - residents(sealed_code) - residents(controlled_code) == 3
    names = {row["name"]: row for row in report["areas"]["rows"]}
    assert names["阳光小区"]["residents"] == residents(sealed_code)
    two_days_ago = (scene["day"] - dt.timedelta(days=2)).isoformat()
    assert names["阳光小区"]["since"] == names["阳光小区"]["last_infection_on"] == two_days_ago


def test_infections_and_workforce_match_the_rows(scene, district_commander):
    from lianfang.workforce.models import Deployment
    from lianfang.zones.models import Infection

    day = scene["day"]
    report = daily.build(user=district_commander, division=scene["street"], day=day)
    infections = Infection.objects.filter(path__startswith=XIYUAN)
    assert report["infections"]["on_day"] == infections.filter(detected_on=day).count() == 1
    assert report["infections"]["total"] == infections.count() == 2
    deployed = Deployment.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)
    totals = report["workforce"]["totals"]
    assert totals["total"] == deployed.count() == 3
    assert totals["community_workers"] == 2  # community staff and the grid worker
    assert totals["city_cadres"] == 1 and totals["volunteers"] == 1 and totals["party_members"] == 1
    assert totals["communities"] == 2 and totals["compounds"] == 3


def test_testing_and_pools_match_the_rows(screening_scene, district_commander):
    from lianfang.screening.models import PoolFollowUp, RoundMember, Tube

    s = screening_scene
    report = daily.build(user=district_commander, division=s["street"], day=s["day"])
    members = RoundMember.objects.filter(round=s["round"], removed=False, path__startswith=XIYUAN)
    (rnd,) = report["testing"]["rounds"]
    assert rnd["name"] == "第1轮全员核酸"
    assert rnd["expected"] == members.count() == 10
    assert rnd["sampled"] == members.exclude(result="").count() == 4
    assert rnd["positive"] == members.filter(result="positive").count() == 2
    assert rnd["missed"] == members.filter(result="", exemption="", awaiting_home_visit=False).count()
    pools = report["testing"]["pools"]
    positive = Tube.objects.filter(result="positive", path__startswith=XIYUAN)
    assert pools["total"] == positive.count() == 1
    assert pools["open"] == PoolFollowUp.objects.filter(status="open").count() == 1
    assert pools["missing"] == 0 and pools["overdue"] == 0


def test_requests_match_the_rows(requests_scene, district_commander):
    from lianfang.assistance.models import ServiceRequest

    s = requests_scene
    report = daily.build(user=district_commander, division=s["street"], day=s["day"])["requests"]
    tickets = ServiceRequest.objects.filter(path__startswith=XIYUAN)
    now = timezone.now()
    open_ = tickets.filter(status__in=["new", "accepted", "in_progress"])
    assert report["open"] == open_.count() == 2
    assert report["overdue"] == open_.filter(due_at__lt=now).count() == 1
    start = timezone.make_aware(dt.datetime.combine(s["day"], dt.time.min))
    assert report["received"] == tickets.filter(received_at__gte=start).count()
    assert report["fulfilled"] == tickets.filter(fulfilled_at__gte=start).count() == 1
    by_category = {c["key"]: c for c in report["by_category"]}
    assert (by_category["medicine"]["open"], by_category["medicine"]["overdue"]) == (1, 1)
    assert by_category["groceries"]["open"] == 1


def test_requests_rebuilt_for_today_equal_the_live_dashboard(requests_scene, district_commander):
    """The past-day reconstruction from step timestamps gives, for now, what assistance.open_board gives."""
    from lianfang.assistance.models import ServiceRequest
    from lianfang.assistance.selectors import open_board

    now = timezone.now()
    board = open_board(user=district_commander, code=XIYUAN, now=now)
    rebuilt = ServiceRequest.objects.within(XIYUAN)
    assert rebuilt.filter(sources.requests_open_q(now)).count() == board.open == 2
    assert rebuilt.filter(sources.requests_overdue_q(now)).count() == board.overdue == 1


def test_requests_of_a_past_day(requests_scene, district_commander):
    """Yesterday only the ticket received yesterday existed; it was not yet overdue at midnight unless its
    deadline had passed by then."""
    from lianfang.assistance.models import ServiceRequest

    s = requests_scene
    yesterday = s["day"] - dt.timedelta(days=1)
    report = daily.build(user=district_commander, division=s["street"], day=yesterday)["requests"]
    end = timezone.make_aware(dt.datetime.combine(s["day"], dt.time.min))
    old = ServiceRequest.objects.get(pk=s["tickets"]["old"].pk)
    assert report["open"] == ServiceRequest.objects.filter(received_at__lt=end).count() == 1
    assert report["overdue"] == int(old.accept_due_at is not None and old.accept_due_at < end)


def test_screening_matches_the_rows(field_scene, district_commander):
    from lianfang.fieldops.models import ScreenedPerson

    report = daily.build(user=district_commander, division=field_scene["street"], day=field_scene["day"])
    categories = {c["key"]: c for c in report["screening"]["categories"]}
    for key in ("inflow", "risk_traveller", "close_contact"):
        assert categories[key]["total"] == ScreenedPerson.objects.filter(category=key, path__startswith=XIYUAN).count()
    assert categories["inflow"]["total"] == 2 and categories["risk_traveller"]["total"] == 1


def test_paragraph_in_both_languages(screening_scene, requests_scene, field_scene, district_commander):
    from django.utils import translation

    with translation.override("zh-hans"):
        report = daily.build(user=district_commander, division=screening_scene["street"], day=screening_scene["day"])
    zh, en = report["paragraph"]["zh-hans"], report["paragraph"]["en"]
    assert zh.startswith("截至") and "西园街道" in zh
    assert "封控区" in zh and "管控区" in zh and "第1轮全员核酸" in zh
    assert "As of" in en and "Sealed area: 1 (2 households, 4 residents)" in en
    assert "4 of 10 people sampled (40%)" in en
    assert "Positive pools: 1 on the day, 1 in all; 1 under follow-up, 0 overdue, 0 without follow-up." in en
    assert "Service requests: 2 received and 1 fulfilled on the day; 2 open, of which 1 overdue." in en
    assert "Inflow person 2 (2 new)" in en
    names = ("西园街道", "第1轮全员核酸")
    assert not any(ord(ch) > 0x2E7F for ch in en.replace(names[0], "").replace(names[1], ""))


def test_a_past_day_shows_that_day(scene, district_commander):
    three_days_ago = scene["day"] - dt.timedelta(days=3)
    report = daily.build(user=district_commander, division=scene["street"], day=three_days_ago)
    assert report["areas"]["rows"] == []  # the areas came into force two days ago
    assert report["infections"]["total"] == 0
    assert report["workforce"]["totals"]["total"] == 3  # deployed since ten days ago


def test_a_future_day_and_a_compound_are_refused(scene, district_commander):
    with pytest.raises(ValueError, match="future"):
        daily.build(user=district_commander, division=scene["street"], day=scene["day"] + dt.timedelta(days=1))
    with pytest.raises(ValueError, match="community"):
        daily.build(user=district_commander, division=scene["compound_a"], day=scene["day"])


def test_community_staff_see_their_community_only(scene, community_staff):
    report = daily.build(user=community_staff, division=scene["xia"], day=scene["day"])
    assert report["population"] == {"households": households(XIA), "residents": residents(XIA)}
    assert {r["name"] for r in report["areas"]["rows"]} == {"阳光小区"}
    assert report["workforce"]["totals"]["total"] == 2


# ------------------------------------------------------------------------------------------ closing


def test_a_day_with_every_pool_followed_up_closes_and_freezes(screening_scene, district_commander):
    from lianfang.core.models import AuditEntry
    from lianfang.zones.services import infection_record

    s = screening_scene
    assert services.close_blockers(user=district_commander, division=s["street"], day=s["day"]) == []
    row = services.daily_report_close(actor=district_commander, division=s["street"], day=s["day"], note="核对无误")
    assert (row.status, row.status_reason, row.closed_by) == (ReportStatus.CLOSED, "closed", district_commander)
    assert row.snapshot["population"] == {"households": 5, "residents": 10}
    assert AuditEntry.objects.filter(action="reports.close", object_id=str(row.pk), division_code=XIYUAN).count() == 1
    # a later infection changes the live figures, not the closed day's
    infection_record(
        actor=district_commander,
        operation=s["operation"],
        positive_sample_on=s["day"],
        household=s["h3"],
        person_name="王五",
        propose=False,
    )
    frozen, found = daily.report_for(user=district_commander, division=s["street"], day=s["day"])
    assert found == row and frozen["infections"]["on_day"] == 1
    assert daily.build(user=district_commander, division=s["street"], day=s["day"])["infections"]["on_day"] == 2
    with pytest.raises(ValidationError, match="already closed"):
        services.daily_report_close(actor=district_commander, division=s["street"], day=s["day"])


def test_an_overdue_follow_up_step_blocks_closing(screening_scene, district_commander):
    from lianfang.screening.models import PoolFollowUpStep
    from lianfang.screening.services.follow_ups import follow_up_step_done

    s = screening_scene
    isolate = PoolFollowUpStep.objects.get(kind="isolate")
    PoolFollowUpStep.objects.filter(pk=isolate.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    (blocker,) = services.close_blockers(user=district_commander, division=s["street"], day=s["day"])
    assert (blocker.barcode, blocker.reason) == ("P-0001", "overdue")
    with pytest.raises(ValidationError, match="P-0001"):
        services.daily_report_close(actor=district_commander, division=s["street"], day=s["day"])
    assert not DailyReport.objects.exists()  # nothing half-written
    follow_up_step_done(actor=district_commander, step=PoolFollowUpStep.objects.get(pk=isolate.pk), note="已居家隔离")
    # the retest step is not due yet: the day closes
    row = services.daily_report_close(actor=district_commander, division=s["street"], day=s["day"])
    assert row.status == ReportStatus.CLOSED


def test_a_positive_pool_without_follow_up_blocks_closing(screening_scene, district_commander):
    from lianfang.reports.tests.conftest import fill_tube
    from lianfang.screening.models import Tube

    s = screening_scene
    fill_tube(district_commander, s["desk"], [s["王芳"]], "tube-0003", "L-0003")
    # a positive recorded around the follow-up (domain.md §7: "a positive pool never reported")
    Tube.objects.filter(barcode="L-0003").update(result="positive", status="resulted", result_at=timezone.now())
    blockers = services.close_blockers(user=district_commander, division=s["street"], day=s["day"])
    assert [(b.barcode, b.reason) for b in blockers] == [("L-0003", "missing")]
    with pytest.raises(ValidationError) as raised:
        services.daily_report_close(actor=district_commander, division=s["street"], day=s["day"])
    assert "L-0003 (no follow-up)" in raised.value.messages[0]
    # the rule is data: a rule set without the follow-up requirement lets the day close
    ReportRuleSet.objects.create(
        key="lenient",
        name="test",
        source="test",
        effective_from=s["day"] - dt.timedelta(days=1),
        close_requires_follow_up=False,
        close_blocks_on_overdue_steps=False,
    )
    assert services.close_blockers(user=district_commander, division=s["street"], day=s["day"]) == []


def test_closing_needs_the_command_capability_and_a_day_that_has_begun(scene, community_staff, street_officer):
    with pytest.raises(PermissionDenied) as refused:
        services.daily_report_close(actor=community_staff, division=scene["xia"], day=scene["day"])
    # new-user trial 13: "关闭日报须具有 620103001001 的指挥权限" named a bare code
    assert str(refused.value) == "You may not close or reopen daily reports in 西园街道 › 下西园社区."
    with pytest.raises(ValidationError, match="future"):
        services.daily_report_close(
            actor=street_officer, division=scene["street"], day=scene["day"] + dt.timedelta(days=1)
        )
    row = services.daily_report_close(actor=street_officer, division=scene["xia"], day=scene["day"])
    assert row.path == XIA


def test_reopening_needs_a_reason_and_keeps_the_frozen_figures_in_the_log(scene, district_commander):
    from lianfang.core.models import AuditEntry

    row = services.daily_report_close(actor=district_commander, division=scene["street"], day=scene["day"])
    with pytest.raises(ValidationError):
        services.daily_report_reopen(actor=district_commander, report=row, reason="late_data", note=" ")
    with pytest.raises(ValidationError):
        services.daily_report_reopen(actor=district_commander, report=row, reason="whim", note="x")
    row = services.daily_report_reopen(actor=district_commander, report=row, reason="late_data", note="补报数据")
    assert (row.status, row.status_reason) == (ReportStatus.OPEN, "late_data")
    entry = AuditEntry.objects.get(action="reports.reopen")
    assert entry.detail["closed_figures"]["population"] == {"households": 5, "residents": 10}
    _report, found = daily.report_for(user=district_commander, division=scene["street"], day=scene["day"])
    assert found.status == ReportStatus.OPEN
    with pytest.raises(ValidationError, match="not closed"):
        services.daily_report_reopen(actor=district_commander, report=row, reason="late_data", note="again")


def test_area_populations_equal_zones_area_population(scene, district_commander):
    """The bulk count of the areas' populations gives, area by area, what zones.area_population gives —
    also for a controlled community around a sealed compound (the sealed part is left out)."""
    from lianfang.zones.models import ControlArea
    from lianfang.zones.selectors import area_population, instant
    from lianfang.zones.services import control_area_approve, control_area_declare

    tier = scene["operation"].rule_set.tiers.get(key="controlled")
    area = control_area_declare(
        actor=district_commander,
        operation=scene["operation"],
        tier=tier,
        nodes=[scene["xia"]],
        reason="other",
        at=timezone.now() - dt.timedelta(hours=2),
    )
    control_area_approve(actor=district_commander, area=area, effective_from=timezone.now() - dt.timedelta(hours=1))
    areas = list(ControlArea.objects.in_force(instant()).select_related("tier").prefetch_related("nodes"))
    bulk = sources.area_populations(areas, user=district_commander, at=timezone.now())
    for a in areas:
        assert bulk[a.pk] == area_population(a, user=district_commander), a.name
    assert bulk[area.pk] == {"households": households(XIA) - households(scene["compound_a"].code), "residents": 3}
