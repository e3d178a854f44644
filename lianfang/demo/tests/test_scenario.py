"""The demo scenario on the real database at a tiny population scale: what it writes, and that a
second run changes nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from lianfang.demo.tests.conftest import table_counts

pytestmark = pytest.mark.django_db


def test_areas_from_the_infection_are_in_force(demo_world):
    from lianfang.zones.models import ControlArea, Infection

    compound = demo_world["report"].compound
    assert compound.code == "620103001001001"  # the demo users' compound (create_demo_users)
    infection = Infection.objects.get()
    assert infection.path.startswith(compound.code)
    active = {a.tier.key: a for a in ControlArea.objects.filter(status="active").select_related("tier")}
    assert set(active) == {"sealed", "controlled", "precaution"}
    assert list(active["sealed"].nodes.values_list("code", flat=True)) == [compound.code]
    assert active["precaution"].path == "620103"
    for key in ("sealed", "controlled"):  # clocks computed, counted from the infection
        assert active[key].last_infection_on == infection.detected_on and active[key].earliest_change_on
    assert active["precaution"].earliest_change_on is None  # the baseline tier has no clock


def test_round_with_positive_pool_invalid_tube_and_door_to_door(demo_world):
    from lianfang.screening.models import PoolFollowUp, RoundMember, SamplingTask, TestingRound, Tube

    rnd = TestingRound.objects.get()
    assert (rnd.status, rnd.path) == ("open", "620103001")
    assert rnd.expected_people == RoundMember.objects.filter(round=rnd).count() > 0
    results = Counter(Tube.objects.values_list("status", "result"))
    assert results[("resulted", "positive")] == 1 and results[("resulted", "invalid")] == 1
    assert results[("closed", "")] == 3 and results[("resulted", "negative")] > 0  # three still at the lab
    follow_up = PoolFollowUp.objects.get()
    invalid = Tube.objects.get(result="invalid")
    tasks = Counter(SamplingTask.objects.values_list("kind", flat=True))
    assert tasks["retest"] == follow_up.tube.people and tasks["resample"] == invalid.people
    assert tasks["sealed_building"] > 0
    sampled = RoundMember.objects.filter(round=rnd, sample__isnull=False).count()
    assert 0 < sampled < rnd.expected_people  # some people missed


def test_the_round_timeline_is_in_order_and_in_the_past(demo_world):
    """Fourth new-user trial: at district scale the desk tubes ran hours past "now" and results were
    reported before their tubes closed. Sampling and closes lie in the past, results after closes."""
    from lianfang.screening.models import LabResult, Sample, Tube

    now = timezone.now()
    assert Sample.objects.filter(taken_at__gt=now).count() == 0
    assert Tube.objects.filter(closed_at__gt=now).count() == 0
    for result in LabResult.objects.select_related("tube"):
        assert result.tube.closed_at <= result.reported_at, result.tube.barcode


def test_requests_in_every_status_with_overdue_emergency_and_pass(demo_world):
    from lianfang.assistance.models import ExitPass, ServiceRequest, Status

    statuses = Counter(ServiceRequest.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert ServiceRequest.objects.filter(priority="emergency").count() == 1
    assert ServiceRequest.objects.filter(escalation_level__gt=0).count() >= 2  # overdue, escalated
    assert ExitPass.objects.filter(ticket__category="medical_trip").count() == 1
    # the representative's households have requests they can see
    from lianfang.accounts.models import User

    rep = User.objects.get(username="representative")
    assert ServiceRequest.objects.visible_to(rep).exists()


def test_field_operations(demo_world):
    from lianfang.fieldops.models import (
        Alert,
        DisinfectionLog,
        DutyShift,
        HealthCheckIn,
        Notice,
        PatrolRound,
        ScreenedPerson,
    )

    compound = demo_world["report"].compound
    shifts = Counter(DutyShift.objects.filter(path=compound.code).values_list("status", flat=True))
    assert shifts["missed"] == 1 and shifts["completed"] + shifts["on_duty"] > 0
    assert Alert.objects.filter(kind="missed_check_in").count() == 1
    assert list(PatrolRound.objects.values_list("status", flat=True)) == ["incomplete"]
    contacts = Counter(ScreenedPerson.objects.values_list("category", flat=True))
    assert contacts["close_contact"] > 0 and contacts["secondary_contact"] == 1
    assert HealthCheckIn.objects.count() == 3 and HealthCheckIn.objects.filter(abnormal=True).count() == 1
    assert DisinfectionLog.objects.count() == 3
    assert list(Notice.objects.values_list("status", flat=True)) == ["published"]


def test_grid_and_cadre_logins_are_workers_with_shifts_today(demo_world, client):
    """create_demo_users links the grid worker and stationed cadre logins to a generated worker of their
    division; the scenario puts them on today's roster, so 我的值守 lists their shifts."""
    from lianfang.accounts.models import User
    from lianfang.fieldops.models import DutyShift
    from lianfang.workforce.models import Worker

    compound = demo_world["report"].compound
    for username, category, level, place in (
        ("grid", {"grid_worker", "community_staff"}, 3, compound.code[:12]),
        ("cadre", {"district_cadre", "city_cadre"}, 2, compound.code[:12]),
    ):
        user = User.objects.get(username=username)
        worker = Worker.objects.get(user=user)
        assert category & set(worker.categories.values_list("category", flat=True))
        assert worker.assignments.filter(level=level, ends_on__isnull=True, path__startswith=place[:9]).exists()
        today = [
            s
            for s in DutyShift.objects.filter(worker=worker)
            if timezone.localdate(s.starts_at) == timezone.localdate()
        ]
        assert today, username
        client.force_login(user)
        body = client.get("/fieldops/duty/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "尚未关联工作人员" not in body and today[0].gate.name in body


def test_desk_login_samples_at_the_demo_site(demo_world, client):
    """Trial 11: no demo login could open a sampling desk (the site stands in the street's second
    community). ``desk`` volunteers at the site's compound: both desks open for them, ``volunteer``'s
    answer 404 (another compound)."""
    from lianfang.accounts.models import User
    from lianfang.screening.models import SamplingDesk

    desks = list(SamplingDesk.objects.filter(site__round__name__contains="演示").order_by("name"))
    assert [d.name for d in desks] == ["1号台", "2号台"]
    client.force_login(User.objects.get(username="desk"))
    for desk in desks:
        page = client.get(f"/screening/desk/{desk.pk}/sample/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert page.status_code == 200 and desk.name in page.content.decode()
    client.force_login(User.objects.get(username="volunteer"))
    assert client.get(f"/screening/desk/{desks[0].pk}/sample/").status_code == 404


def test_daily_report_shows_the_figures(demo_world):
    from lianfang.accounts.models import User
    from lianfang.reports import daily
    from lianfang.screening.models import Sample
    from lianfang.zones.models import ControlArea

    commander = User.objects.get(username="commander")
    report = daily.build(user=commander, division=demo_world["district"], day=timezone.localdate())
    tiers = {t["key"]: t["areas"] for t in report["tiers"]["tiers"]}
    assert tiers == {"sealed": 1, "controlled": 1, "precaution": 1}
    assert len(report["areas"]["rows"]) == ControlArea.objects.filter(status="active").count() == 3
    text = daily.paragraph(report, "zh-hans")
    assert f"已采样{Sample.objects.filter(purpose='screening').count()}人" in text


def test_second_run_changes_nothing(demo_world):
    from io import StringIO

    out = StringIO()
    call_command("demo_scenario", "--code", "620103", "--seed", "42", stdout=out)
    assert out.getvalue().strip() == "620103 的演示场景已存在：未做任何更改。"  # zh-Hans, the default
    assert table_counts() == demo_world["counts"]


def test_make_demo_commands_speak_the_active_language(demo_world):
    """New-user trial: ``make demo`` printed English counts and sentences in zh-Hans. Re-run on the
    demo world, each command says so in Chinese (the default) and in English."""
    import re
    from io import StringIO

    from django.core.management import call_command
    from django.utils import translation

    from lianfang.conftest import QILIHE, SHARED_DIVISIONS

    def run(language, *args):
        out = StringIO()
        with translation.override(language):
            call_command(*args, stdout=out)
        return [line for line in out.getvalue().splitlines() if line.strip()]

    source = ("load_divisions", "--source", str(SHARED_DIVISIONS), "--code", QILIHE)
    population = ("generate_population", "--code", QILIHE, "--scale", "0.002", "--seed", "7")
    zh = {
        "divisions": run("zh-hans", *source),
        "population": run("zh-hans", *population),
        "users": run("zh-hans", "create_demo_users", "--code", QILIHE),
        "scenario": run("zh-hans", "demo_scenario", "--code", QILIHE),
    }
    assert zh["divisions"][0].startswith("620103 的区划已是最新：未做任何更改（")
    assert "社区 " in zh["divisions"][0] and "=" not in zh["divisions"][0]
    assert zh["population"][-1].startswith("620103 的人口已存在（") and "工作人员" in zh["population"][-1]
    assert zh["users"][0].startswith("演示登录（所有账号密码：")
    assert "超级用户（/admin/）" in zh["users"][-1]
    assert zh["scenario"] == ["620103 的演示场景已存在：未做任何更改。"]
    english_words = re.compile(r"\b(?!admin\b)[a-z]{4,}\b")  # usernames (commander, street...) stand alone
    for name, lines in zh.items():
        for line in lines:
            if name == "users" and (line.startswith("  ") or line.startswith("Demo logins")):
                continue  # the logins are bilingual (trial 14): the English title, rows with both role labels
            assert not english_words.search(line.replace("lianfang-demo", "")), (name, line)  # the password
    assert run("en", "demo_scenario", "--code", QILIHE) == ["Demo scenario of 620103 already present: nothing changed."]
    assert run("en", *source)[0].startswith("Divisions of 620103 already up to date: nothing changed (")
    english_users = run("en", "create_demo_users", "--code", QILIHE)
    assert english_users[:2] == zh["users"][:2]  # the same bilingual titles whatever the language
    assert english_users[1].startswith("Demo logins (password for all: ")
