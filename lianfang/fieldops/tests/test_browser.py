"""Browser tests: Playwright driving Debian's Chromium (phone-sized) against the live server."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from lianfang.conftest import screenshot
from lianfang.fieldops import adapters
from lianfang.fieldops.models import DutyShift, HealthCheckIn, PassageRecord
from lianfang.fieldops.services.disinfection import disinfection_schedule_create
from lianfang.fieldops.services.gates import duty_roster_generate, duty_shift_assign
from lianfang.fieldops.services.monitoring import home_monitoring_start
from lianfang.fieldops.services.notices import channel_create
from lianfang.fieldops.services.patrols import checkpoint_create
from lianfang.fieldops.services.screened import screened_person_create
from lianfang.fieldops.tests.conftest import today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_duty_now(areas, gates, community_staff, guard):
    """The guard is assigned to 北门's shift running now."""
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=today())
    now = timezone.now()
    shift = DutyShift.objects.get(gate=gates["north"], starts_at__lte=now, ends_at__gt=now)
    return duty_shift_assign(actor=community_staff, shift=shift, worker=guard)


def test_guard_checks_in_from_the_phone(on_duty_now, guard, login_page, live_server):
    page = login_page(guard.user)
    page.goto(f"{live_server.url}/fieldops/duty/")
    shift = page.get_by_test_id("shift")
    assert shift.get_attribute("data-status") == "planned"
    assert "北门" in shift.inner_text()
    page.get_by_test_id("check-in").click()
    page.wait_for_selector('[data-testid=shift][data-status="on_duty"]')
    assert page.get_by_test_id("shift-status").inner_text() == "在岗"
    screenshot(page, "fieldops-guard-checked-in-phone")
    on_duty_now.refresh_from_db()
    assert on_duty_now.status == "on_duty" and on_duty_now.checked_in_at is not None
    page.get_by_test_id("open-gate").click()
    assert page.get_by_test_id("gate-name").inner_text().startswith("北门")
    assert page.get_by_test_id("gate-tier").inner_text() == "封控区"


def test_gate_register_refuses_and_allows(on_duty_now, guard, population, login_page, live_server):
    page = login_page(guard.user)
    page.goto(f"{live_server.url}/fieldops/gates/{on_duty_now.gate_id}/")
    page.get_by_test_id("gate-search").fill("zs")
    page.get_by_role("button", name="查找").click()
    page.wait_for_selector("[data-testid=resident-choice]")
    assert page.get_by_test_id("resident-choice").count() == 1
    page.get_by_role("radio", name="出", exact=True).check()
    page.locator("select[name=purpose]").select_option("shopping")
    page.get_by_test_id("register").click()
    decision = page.get_by_test_id("decision")
    assert decision.get_attribute("data-decision") == "refused"
    assert "张三" in decision.inner_text() and "本区域不允许此事由" in decision.inner_text()
    screenshot(page, "fieldops-gate-refused-phone")
    # a delivery: no resident chosen, a visitor by name
    page.goto(f"{live_server.url}/fieldops/gates/{on_duty_now.gate_id}/")
    page.get_by_role("radio", name="进", exact=True).check()
    page.locator("select[name=purpose]").select_option("delivery")
    page.locator("input[name=visitor_name]").fill("快递员小王")
    page.get_by_test_id("register").click()
    assert page.get_by_test_id("decision").get_attribute("data-decision") == "allowed"
    assert "快递员小王" in page.get_by_test_id("recent").inner_text()
    screenshot(page, "fieldops-gate-allowed-phone")
    assert list(PassageRecord.objects.order_by("id").values_list("decision", flat=True)) == ["refused", "allowed"]


def test_staff_pages(areas, gates, community_staff, population, login_page, live_server):
    checkpoint_create(actor=community_staff, division=population["compound_a"], name="1号楼")
    screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["李四"],
    )
    home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today(),
    )
    disinfection_schedule_create(
        actor=community_staff, division=population["compound_a"], place="电梯", interval_hours=12
    )
    page = login_page(community_staff)
    visits = [
        ("/fieldops/", "一线工作"),
        ("/fieldops/roster/", "卡口与值守"),
        ("/fieldops/passages/", "出入登记记录"),
        ("/fieldops/checkpoints/", "巡查"),
        ("/fieldops/checkpoints/print/", None),
        ("/fieldops/people/", "摸排与密接"),
        ("/fieldops/people/new/", "添加人员"),
        ("/fieldops/people/import/", "导入摸排名单"),
        ("/fieldops/bulk/", "批量变更"),
        ("/fieldops/transfers/", "转出名单"),
        ("/fieldops/monitoring/", "居家监测"),
        ("/fieldops/monitoring/cards/", None),
        ("/fieldops/disinfection/", "环境消杀"),
        ("/fieldops/notices/", "通知"),
        ("/fieldops/channels/", "群机器人渠道"),
        ("/fieldops/alerts/", "提醒"),
        ("/fieldops/briefing/", "每日任务单"),
    ]
    for path, heading in visits:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        if heading:
            assert heading in page.locator("h1").inner_text(), path
    page.goto(f"{live_server.url}/fieldops/roster/")
    page.get_by_test_id("generate-roster").click()
    assert page.get_by_test_id(f"uncovered-{gates['north'].pk}").inner_text() == "24.0"
    screenshot(page, "fieldops-roster-phone")
    page.goto(f"{live_server.url}/fieldops/checkpoints/print/")
    assert page.get_by_test_id("qr-cards").locator("svg").count() == 1
    page.goto(f"{live_server.url}/fieldops/briefing/")
    assert "居家健康打卡" in page.get_by_test_id("section-check_ins").inner_text()
    screenshot(page, "fieldops-briefing-phone")


def test_person_without_household_is_shown_at_a_named_place(population, community_staff, login_page, live_server):
    person = screened_person_create(
        actor=community_staff,
        district=population["h1"].district,
        category="inflow",
        name="何三",
        division=population["compound_a"],
        origin="北京市",
    )
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/fieldops/people/{person.pk}/")
    assert page.get_by_test_id("person-place").inner_text() == "下西园社区 › 阳光小区"
    assert page.get_by_test_id("person-code").inner_text() == population["compound_a"].code
    screenshot(page, "fieldops-person-place-phone")


def test_notice_from_draft_to_poster(population, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/fieldops/notices/?within={population['compound_a'].code}")
    form = page.get_by_test_id("notice-form")
    form.locator("input[name=division]").fill(population["compound_a"].code)
    form.locator("input[name=title]").fill("全员核酸检测")
    form.locator("textarea[name=body]").fill("今晚20:00起按楼栋顺序下楼采样，请佩戴口罩。")
    form.get_by_role("button").click()
    assert page.get_by_test_id("notice-status").inner_text() == "草稿"
    page.get_by_test_id("publish").click()
    assert page.get_by_test_id("notice-status").inner_text() == "已发布"
    page.get_by_test_id("poster").click()
    assert page.get_by_test_id("poster-qr").locator("svg").count() == 1
    screenshot(page, "fieldops-notice-poster")
    public_url = page.locator(".url").inner_text()
    page.context.clear_cookies()
    page.goto(public_url)
    assert "今晚20:00起按楼栋顺序下楼采样" in page.get_by_test_id("public-notice").inner_text()


@pytest.mark.skipif(not adapters.available()["household_for_token"], reason="household QR tokens come from assistance")
def test_resident_checks_in_by_the_household_qr(population, community_staff, page, live_server):
    from lianfang.assistance.services.tokens import household_token_issue

    home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today() + dt.timedelta(days=2),
    )
    _row, token = household_token_issue(actor=community_staff, household=population["h1"])
    page.goto(f"{live_server.url}/fieldops/h/{token}/")
    card = page.get_by_test_id("monitored")
    assert "张三" in card.inner_text()
    card.get_by_test_id("temperature").fill("36.6")
    card.get_by_test_id("submit-check-in").click()
    assert page.get_by_test_id("done").is_visible()
    assert page.get_by_test_id("done").inner_text() == "今天已打卡：36.6 °C"  # the language's colon (trial 6)
    screenshot(page, "fieldops-resident-check-in-phone")
    check_in = HealthCheckIn.objects.get()
    assert (str(check_in.temperature), check_in.source, check_in.abnormal) == ("36.6", "resident", False)


def test_each_persons_symptoms_tick_their_own_boxes(population, community_staff, page, live_server):
    """New-user trial 14: with two people monitored, every row's symptom boxes had the same ids, so
    tapping “发热” under the second person ticked the first person's box."""
    from lianfang.assistance.services.tokens import household_token_issue

    for name in ("张三", "张小明"):
        home_monitoring_start(
            actor=community_staff,
            household=population["h1"],
            resident=population[name],
            starts_on=today(),
            ends_on=today() + dt.timedelta(days=2),
        )
    _row, token = household_token_issue(actor=community_staff, household=population["h1"])
    page.goto(f"{live_server.url}/fieldops/h/{token}/")
    first, second = page.get_by_test_id("monitored").nth(0), page.get_by_test_id("monitored").nth(1)
    second.get_by_text("发热", exact=True).click()
    assert first.locator("input[type=checkbox]:checked").count() == 0
    assert second.locator("input[type=checkbox]:checked").count() == 1
    ids = page.eval_on_selector_all("input[type=checkbox]", "boxes => boxes.map(b => b.id)")
    assert len(ids) == len(set(ids)) > 0
    second.get_by_test_id("temperature").fill("36.8")
    second.get_by_test_id("submit-check-in").click()
    page.get_by_test_id("done").first.wait_for()
    check_in = HealthCheckIn.objects.get()
    assert (check_in.monitoring.resident, check_in.symptoms) == (population["张小明"], ["fever"])


def test_grid_worker_reads_channels_without_settings(population, login_page, live_server, settings):
    from lianfang.conftest import _user

    settings.LIANFANG_WEBHOOKS = None
    channel_create(
        actor=None,
        division=population["compound_a"],
        name="阳光小区楼长群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef123456",
        is_enabled=True,
    )
    page = login_page(_user("grid", "grid_worker", population["compound_a"].code))
    page.goto(f"{live_server.url}/fieldops/channels/")
    state = page.get_by_test_id("webhooks-state").inner_text()
    assert state == "群机器人推送未开启：不会推送任何消息。如需开启，请联系系统管理员。"
    headings = page.get_by_test_id("channels").locator("thead th").all_inner_texts()
    assert headings == ["名称", "类型", "区划", "Webhook 地址", "启用"]
    assert "LIANFANG_WEBHOOKS" not in page.content()


def test_new_monitoring_form_shows_its_dates(population, community_staff, login_page, live_server):
    """The date inputs of the new home-monitoring form show today and today + 6 in zh-Hans: the
    browser takes their ISO value (core.forms.DayInput), where zh-Hans' ``2026/11/30`` left them empty."""
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/fieldops/monitoring/")
    assert page.evaluate("document.documentElement.lang").lower().startswith("zh")
    starts_on = page.locator("input[type=date][name=starts_on]")
    ends_on = page.locator("input[type=date][name=ends_on]")
    assert starts_on.input_value() == today().isoformat()
    assert ends_on.input_value() == (today() + dt.timedelta(days=6)).isoformat()
    assert starts_on.evaluate("input => input.valueAsDate !== null")


def test_person_page_fits_a_phone_in_english(
    operation, population, community_staff, district_commander, login_page, live_server
):
    """New-user trial 13: a close contact's page in English was 410 px wide at 390 px (the long label
    “Centralized isolation until” took the labels' column and the masked ID could not wrap); the
    facts wrap inside the screen and days read YYYY-MM-DD."""
    from lianfang.zones.services import infection_record

    infection = infection_record(
        actor=district_commander,
        operation=operation,
        positive_sample_on=today() - dt.timedelta(days=3),
        household=population["h3"],
        person_name="病例一",
        propose=False,
    ).infection
    with translation.override("zh-hans"):  # classified by a Chinese-speaking worker
        person = screened_person_create(
            actor=community_staff,
            district=population["h1"].district,
            category="close_contact",
            name="",
            resident=population["张三"],
            infection=infection,
            last_exposure_on=today() - dt.timedelta(days=4),
        )
    assert person.rule_set is not None and person.centralized_until is not None
    page = login_page(community_staff)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/fieldops/people/{person.pk}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("centralized-until").inner_text() == person.centralized_until.isoformat()
    # the system's evidence reads in English (it was stored in Chinese, with the rule set's key)
    history = page.get_by_test_id("history").inner_text()
    assert "8th-edition era (sealed / controlled / precaution areas): Close contact, last exposure" in history
    assert "第八版" not in history and "nhc-8th-era" not in history
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "fieldops-contact-english-phone")
