"""New-user trial and API fuzzer (second wave): a day before any field rule set, gate coverage's
parameters and local times, form errors, out-of-scope codes, the 403 reasons, labels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lianfang.fieldops.services.disinfection import disinfection_schedule_create
from lianfang.fieldops.services.gates import duty_missed_flag, duty_roster_generate
from lianfang.fieldops.services.notices import notice_create
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db

NO_RULES_ZH = "“2000-01-01”没有生效的一线工作规则（最早的一线工作规则于 2020-01-01 生效）。"
NO_RULES_EN = "No field rule set was in force on “2000-01-01” (the first took effect on 2020-01-01)."


def _first_effective():
    from lianfang.fieldops.models import FieldRuleSet

    return FieldRuleSet.objects.order_by("effective_from").first().effective_from.isoformat()


def test_gate_coverage_before_any_field_rule_set_is_a_400_naming_the_day(areas, gates, community_staff, api_for):
    first = _first_effective()
    api = api_for(community_staff)
    url = reverse("api:fieldops-gate-coverage")
    response = api.get(url, {"day": "2000-01-01"})
    assert response.status_code == 400
    assert response.json() == {"day": [NO_RULES_ZH.replace("2020-01-01", first)]}
    response = api.get(url, {"day": "2000-01-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"day": [NO_RULES_EN.replace("2020-01-01", first)]}


def test_roster_page_and_generate_before_any_field_rule_set(areas, gates, community_staff, client_for, api_for):
    first = _first_effective()
    response = client_for(community_staff).get("/fieldops/roster/", {"day": "2000-01-01"})
    assert response.status_code == 400
    assert NO_RULES_ZH.replace("2020-01-01", first) in response.content.decode()
    response = api_for(community_staff).post(
        reverse("api:fieldops-shift-generate"), {"within": gates["north"].path, "day": "2000-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"day": [NO_RULES_ZH.replace("2020-01-01", first)]}


def test_gate_coverage_refuses_parameters_it_does_not_take(areas, gates, community_staff, api_for):
    api = api_for(community_staff)
    url = reverse("api:fieldops-gate-coverage")
    response = api.get(url, {"on": "2000-01-01", "page_size": "5"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {
        "on": ["“on” is not a parameter of this endpoint (accepted: within, day)"],
        "page_size": ["“page_size” is not a parameter of this endpoint (accepted: within, day)"],
    }
    response = api.get(url, {"within": gates["north"].path, "day": today().isoformat()})
    assert response.status_code == 200 and isinstance(response.json(), list)


def test_gate_coverage_and_alert_detail_are_in_local_time(areas, gates, community_staff, l3_person, api_for):
    from lianfang.fieldops.models import Alert, AlertKind

    day = today()
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=day)
    api = api_for(community_staff)
    rows = api.get(reverse("api:fieldops-gate-coverage"), {"within": gates["north"].path}).json()
    gaps = rows[0]["gaps"]
    assert gaps and all(moment.endswith("+08:00") for pair in gaps for moment in pair)
    assert dt.datetime.fromisoformat(gaps[0][0]) == at(day, 0)
    duty_missed_flag(now=at(day, 9))
    alert = Alert.objects.get(kind=AlertKind.UNCOVERED_DUTY)
    assert alert.detail["starts_at"] == at(day, 8).isoformat()  # written in local time
    Alert.objects.filter(pk=alert.pk).update(detail={**alert.detail, "starts_at": "2026-11-30T00:00:00+00:00"})
    detail = api.get(reverse("api:fieldops-alert-detail", args=[alert.pk])).json()["detail"]
    assert detail["starts_at"] == "2026-11-30T08:00:00+08:00"  # a row written in UTC before is answered locally


# ------------------------------------------------------------------ forms that dropped what was typed


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_checkpoint_form_names_the_empty_name(population, community_staff, client_for):
    from lianfang.fieldops.models import Checkpoint

    client = client_for(community_staff)
    code = population["compound_a"].code
    response = client.post("/fieldops/checkpoints/new/", {"division": code, "name": ""}, follow=True)
    assert response.status_code == 200
    assert "名称：此项必填。" in _messages(response)
    assert not Checkpoint.objects.exists()
    response = client.post("/fieldops/checkpoints/new/", {"division": code, "name": "1号楼"}, follow=True)
    assert Checkpoint.objects.get().name == "1号楼" and "已添加巡查点1号楼" in _messages(response)


def test_schedule_form_names_the_bad_interval(population, community_staff, client_for):
    from lianfang.fieldops.models import DisinfectionSchedule

    client = client_for(community_staff)
    data = {"division": population["compound_a"].code, "place": "", "interval_hours": "-5"}
    response = client.post("/fieldops/disinfection/schedule/", data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert _messages(response) == [
        "Public area: This field is required.",
        "Every (hours): “-5” is not between 1 and 168",
    ]
    data["interval_hours"] = "abc"
    response = client.post("/fieldops/disinfection/schedule/", data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Every (hours): “abc” is not a whole number" in _messages(response)
    assert not DisinfectionSchedule.objects.exists()


def test_disinfection_log_form_names_the_bad_concentration(population, community_staff, client_for):
    from lianfang.fieldops.models import DisinfectionLog

    schedule = disinfection_schedule_create(
        actor=community_staff, division=population["compound_a"], place="垃圾站", interval_hours=24
    )
    data = {"schedule": schedule.pk, "performed_by": "老王", "agent": "含氯消毒剂", "concentration_mg_l": "abc"}
    response = client_for(community_staff).post(
        "/fieldops/disinfection/log/", data, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert _messages(response) == ["Concentration (mg/L): “abc” is not a number"]
    assert not DisinfectionLog.objects.exists()


# ------------------------------------------------------------ a mistyped or out-of-scope code or number


def test_person_form_names_a_bad_or_foreign_division_or_household(population, community_staff, client_for):
    from lianfang.fieldops.models import ScreenedPerson

    client = client_for(community_staff)
    base = {"category": "close_contact", "name": "林一"}
    cases = {
        "abc": "“abc” is not a division code (1 to 20 digits)",
        "620103001002": "unknown or out-of-scope division code: 620103001002",
    }
    for value, message in cases.items():
        response = client.post("/fieldops/people/new/", {**base, "division": value}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert response.context["form"].errors == {"division": [message]}
        assert response.context["form"]["name"].value() == "林一"  # what was typed is kept
    h3 = population["h3"].pk
    response = client.post("/fieldops/people/new/", {**base, "household": h3}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["form"].errors == {"household": [f"unknown or out-of-scope household number: {h3}"]}
    response = client.post("/fieldops/people/new/", {**base, "household": h3})
    assert response.context["form"].errors == {"household": [f"未知或不在权限范围内的住户编号：{h3}"]}
    assert not ScreenedPerson.objects.exists()


def test_notice_and_monitoring_forms_name_a_foreign_place(population, community_staff, client_for):
    from lianfang.fieldops.models import HomeMonitoring, Notice

    client = client_for(community_staff)
    foreign = population["compound_b"].code
    response = client.post("/fieldops/notices/", {"division": foreign, "title": "通知", "body": "内容"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"division": [f"未知或不在权限范围内的区划代码：{foreign}"]}
    h3 = population["h3"].pk
    data = {"household": h3, "name": "王五", "starts_on": "2026-11-30", "ends_on": "2026-12-06"}
    response = client.post("/fieldops/monitoring/new/", data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    # the household is picked from those in scope (new-user trial 14): another community's is no choice
    assert _messages(response) == [f"Household: “{h3}” is not one of the choices you may pick"]
    assert not Notice.objects.exists() and not HomeMonitoring.objects.exists()


def test_api_gate_create_names_a_foreign_division(population, community_staff, api_for):
    api = api_for(community_staff)
    foreign = population["compound_b"].code
    response = api.post(reverse("api:fieldops-gate-list"), {"division": foreign, "name": "东门"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"division": [f"未知或不在权限范围内的区划代码：{foreign}"]}
    response = api.post(reverse("api:fieldops-gate-list"), {"division": "abc", "name": "东门"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["division"]


# ----------------------------------------------------------- a place asked for is never silently one's own


@pytest.mark.parametrize(
    "path",
    [
        "/fieldops/briefing/?code=620103001002",
        "/fieldops/roster/?within=620103001002",
        "/fieldops/checkpoints/print/?code=620103001002",
        "/fieldops/monitoring/cards/?code=620103001002",
        "/fieldops/alerts/?within=620103001002",
        "/fieldops/alerts/?within=620103999999",
    ],
)
def test_a_foreign_or_unknown_place_is_a_400_naming_it(population, community_staff, client_for, path):
    """As every ``within``/``code`` (core.filters.query_scoped_code), not a 404."""
    response = client_for(community_staff).get(path, HTTP_ACCEPT_LANGUAGE="en")
    code = path.rsplit("=", 1)[1]
    assert response.status_code == 400
    assert f"“{code}” is not the code of a division you may see" in response.content.decode()


def test_a_malformed_place_is_a_400_and_ones_own_is_shown(population, community_staff, client_for):
    client = client_for(community_staff)
    response = client.get("/fieldops/briefing/", {"code": "abc"})
    assert response.status_code == 400 and "abc" in response.content.decode()
    response = client.get("/fieldops/briefing/", {"code": "620103001001"})
    assert response.status_code == 200 and response.context["code"] == "620103001001"


def test_checkpoint_and_gate_names_are_labelled_as_names_of_places(population, community_staff, client_for):
    client = client_for(community_staff)
    assert str(client.get("/fieldops/checkpoints/").context["form"]["name"].label) == "名称"
    assert str(client.get("/fieldops/roster/").context["form"]["name"].label) == "名称"


# ------------------------------------------------------------------------- a refusal names what it needs

NEEDS = "这需要在该处管理工作人员和包保责任的权限。"


def test_a_volunteer_refused_set_up_reads_what_and_the_right_it_needs(
    areas, gates, community_staff, guard, client_for, api_for
):
    from lianfang.fieldops.models import DutyShift

    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=today())
    shift = DutyShift.objects.filter(gate=gates["north"]).first()  # nobody's yet: not the guard's
    notice = notice_create(actor=community_staff, title="通知", body="内容", division=gates["north"].division)
    place = "西园街道 › 下西园社区 › 阳光小区"
    client = client_for(guard.user)
    pages = {
        f"/fieldops/shifts/{shift.pk}/check-in/": f"您无权在{place}安排值守人员或代他人签到、签退：{NEEDS}",
        f"/fieldops/notices/{notice.pk}/withdraw/": f"您无权在{place}撰写、发布或撤回通知：{NEEDS}",
    }
    for url, sentence in pages.items():
        response = client.post(url, {"reason": "错发"})
        assert response.status_code == 403, url
        assert sentence in response.content.decode(), url
    response = client.post("/fieldops/disinfection/generate/", {"within": gates["north"].path})
    assert response.status_code == 403
    assert f"安排消杀：{NEEDS}" in response.content.decode()
    api = api_for(guard.user)
    north = gates["north"].path
    calls = {
        reverse("api:fieldops-gate-list"): (
            {"division": gates["north"].path, "name": "西门"},
            "设置出入口及其值守排班",
        ),
        reverse("api:fieldops-checkpoint-list"): ({"division": north, "name": "1号楼"}, "设置巡查点"),
        reverse("api:fieldops-notice-withdraw", args=[notice.pk]): ({"reason": "错发"}, "撰写、发布或撤回通知"),
        reverse("api:fieldops-shift-generate"): (
            {"within": north, "day": today().isoformat()},
            "设置出入口及其值守排班",
        ),
    }
    for url, (body, what) in calls.items():
        response = api.post(url, body, format="json")
        assert response.status_code == 403, url
        assert response.json() == {"detail": f"您无权在{place}{what}：{NEEDS}"}, url


def test_api_field_errors_are_lists(population, community_staff, api_for):
    api = api_for(community_staff)
    body = {"people": [99999], "to_status": "home_monitoring", "reason_code": "other", "evidence": "上海来兰"}
    response = api.post(reverse("api:fieldops-bulk-list"), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"people": ["未知人员 [99999]"]}
    response = api.post(reverse("api:fieldops-bulk-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 81)
    assert response.status_code == 400 and isinstance(response.json()["Idempotency-Key"], list)


def test_disinfection_agent_is_offered_in_the_readers_language(population, community_staff, client_for):
    """New-user trial 12: the log form offered “含氯消毒剂” on the English page."""
    client = client_for(community_staff)
    english = client.get("/fieldops/disinfection/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.context["log_form"]["agent"].value() == "chlorine-based disinfectant"
    chinese = client.get("/fieldops/disinfection/")
    assert chinese.context["log_form"]["agent"].value() == "含氯消毒剂"


def test_a_screened_persons_name_with_markup_is_refused_on_the_page_and_by_the_api(
    population, community_staff, client_for, api_for
):
    """New-user trial 12: “<script>…” was taken as a name. The rule is registry's (name_problem)."""
    from lianfang.fieldops.models import ScreenedPerson

    name = "<script>alert(1)</script>"
    response = client_for(community_staff).post(
        "/fieldops/people/new/", {"category": "inflow", "name": name}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["not a plausible name: angle brackets and control characters are not allowed"]
    }
    api = api_for(community_staff).post(
        "/api/v1/fieldops/people/",
        {"category": "inflow", "name": name, "division": population["compound_a"].code},
        format="json",
    )
    assert api.status_code == 400 and "name" in api.json()
    assert not ScreenedPerson.objects.exists()


def test_person_form_reads_a_division_code_of_full_width_digits(population, community_staff, client_for):
    """DivisionCodeField reads its code with core.filters.CodeField: ``６２０１０３…`` typed with a
    Chinese input method names the division ``620103…`` (it was “not a division code”)."""
    from lianfang.fieldops.models import ScreenedPerson

    code = population["compound_a"].code
    typed = code.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})  # ６２０１…
    assert typed != code
    response = client_for(community_staff).post(
        "/fieldops/people/new/", {"category": "inflow", "name": "林一", "division": typed}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert ScreenedPerson.objects.get(name="林一").path == code
