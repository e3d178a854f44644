"""Browser tests (Playwright driving Debian's Chromium against the live server), phone-sized."""

import datetime as dt

import pytest
from openpyxl import Workbook

from lianfang.assistance.models import CheckInTask, ServiceRequest, Status
from lianfang.assistance.services.care import care_tick
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import service_request_accept
from lianfang.assistance.services.tokens import household_token_issue
from lianfang.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def resident_page(browser):
    """A second phone with no account (the resident scanning the sticker on the door)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_resident_files_through_the_qr_link_worker_accepts_and_fulfils_resident_confirms(
    grid, browser, login_page, live_server
):
    _row, token = household_token_issue(actor=grid["staff_user"], household=grid["h1"])
    context, phone = resident_page(browser)
    try:
        phone.goto(f"{live_server.url}/assistance/r/{token}/")
        assert phone.get_by_test_id("household-address").inner_text() == grid["h1"].address
        form = phone.get_by_test_id("resident-form")
        form.locator("select[name=category]").select_option("medicine")
        form.locator("textarea[name=description]").fill("降压药只剩两天的量")
        form.locator("input[name=resident_urgency][value=urgent]").check()
        with phone.expect_navigation():
            form.locator("button[type=submit]").click()
        ticket = ServiceRequest.objects.get(household=grid["h1"])
        assert ticket.intakes.get().channel == "qr"
        assert phone.get_by_test_id(f"status-{ticket.number}").inner_text() == "新建"
        screenshot(phone, "assistance-resident-filed")

        worker = login_page(grid["staff_user"])
        worker.goto(f"{live_server.url}/assistance/")
        assert worker.get_by_test_id("open-total").inner_text() == "1"
        worker.goto(f"{live_server.url}/assistance/tickets/?open=true")
        # the filter form speaks the page's language: no Django "---------" / "过滤器" (new-user trial)
        assert worker.get_by_test_id("apply-filters").inner_text() == "筛选"
        assert worker.locator("select[name=status] option").first.inner_text() == "全部状态"
        assert worker.locator("select[name=overdue] option").first.inner_text() == "全部"
        with worker.expect_navigation():
            worker.get_by_test_id("tickets").get_by_role("link", name=ticket.number).click()
        assert "降压药" in worker.locator("main").inner_text()
        with worker.expect_navigation():
            worker.get_by_test_id("accept").click()
        assert worker.get_by_test_id("ticket-status").inner_text() == "已受理"
        assert worker.get_by_test_id("ticket-assignee").inner_text() == str(grid["staff_user"])
        worker.locator("form:has([data-testid=fulfil]) input[name=note]").fill("已从药店代购送到门口")
        with worker.expect_navigation():
            worker.get_by_test_id("fulfil").click()
        assert worker.get_by_test_id("ticket-status").inner_text() == "已办结"
        assert "已从药店代购送到门口" in worker.get_by_test_id("timeline").inner_text()
        screenshot(worker, "assistance-ticket-fulfilled")

        phone.reload()
        assert phone.get_by_test_id(f"status-{ticket.number}").inner_text() == "已办结"
        with phone.expect_navigation():
            phone.get_by_test_id(f"confirm-{ticket.number}").click()
        assert phone.get_by_test_id(f"status-{ticket.number}").inner_text() == "住户已确认"
        screenshot(phone, "assistance-resident-confirmed")
    finally:
        context.close()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.CONFIRMED, grid["staff_user"])
    assert list(ticket.events.values_list("kind", flat=True)) == ["received", "accepted", "fulfilled", "confirmed"]


def test_volunteer_files_for_a_household_and_staff_print_qr_links(grid, volunteer, login_page, live_server, page):
    login_page(volunteer)
    page.goto(f"{live_server.url}/assistance/tickets/new/")
    assert page.get_by_test_id("q-help").is_visible()  # says the search reads the address only
    page.fill("input[name=q]", "邹娟红")  # a contact's name: not searched, and the answer says so
    with page.expect_navigation():
        page.locator("main form[role=search] button").click()
    assert page.get_by_test_id("household-results").locator("li.muted").is_visible()
    page.fill("input[name=q]", "阳光小区")
    with page.expect_navigation():
        page.locator("main form[role=search] button").click()
    with page.expect_navigation():
        page.get_by_test_id("household-results").get_by_role("link", name=grid["h2"].address).click()
    form = page.get_by_test_id("intake-form")
    form.locator("select[name=category]").select_option("groceries")
    form.locator("textarea[name=description]").fill("孕妇需要牛奶和鸡蛋")
    form.locator("select[name=filed_by]").select_option("volunteer")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    ticket = ServiceRequest.objects.get(household=grid["h2"])
    assert page.get_by_test_id("ticket-number").inner_text().startswith(ticket.number)
    assert page.get_by_test_id("accept").count() == 0  # volunteers file requests; they do not accept them
    screenshot(page, "assistance-volunteer-filed")

    page.context.clear_cookies()
    login_page(grid["rep_user"])
    page.goto(f"{live_server.url}/assistance/alerts/")
    assert ticket.number in page.get_by_test_id("alerts").inner_text()

    page.context.clear_cookies()
    login_page(grid["staff_user"])
    page.goto(f"{live_server.url}/assistance/qr/?code={grid['compound_a'].code}")
    assert page.get_by_test_id("stickers").locator("svg").count() == 2
    page.goto(f"{live_server.url}/assistance/qr/household/{grid['h1'].pk}/")
    link = page.get_by_test_id("qr-link").inner_text()
    page.fill("input[name=reason]", "贴纸丢失")
    with page.expect_navigation():
        page.get_by_test_id("revoke").click()
    assert page.get_by_test_id("qr-link").count() == 0
    assert page.goto(link).status == 404
    screenshot(page, "assistance-qr-revoked")


def test_medical_trip_pass_is_approved_printed_and_checked_at_the_gate(grid, volunteer, login_page, live_server, page):
    ticket = service_request_create(
        actor=None,
        household=grid["h1"],
        category="medical_trip",
        description="每天打针，共六天",
        channel="qr",
        resident=grid["张三"],
    )
    service_request_accept(actor=grid["staff_user"], ticket=ticket)
    login_page(grid["staff_user"])
    page.goto(f"{live_server.url}/assistance/tickets/{ticket.pk}/pass/")
    form = page.get_by_test_id("pass-form")
    form.locator("input[name=destination]").fill("兰州市第二人民医院")
    form.locator("input[name=purpose]").fill("肌肉注射")
    form.locator("input[name=vehicle]").fill("甘A·12345")
    form.locator("input[name=days]").fill("6")
    form.locator("input[name=window_start]").fill("00:00")
    form.locator("input[name=window_end]").fill("23:59")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    number = page.get_by_test_id("pass-number").inner_text()
    assert number.startswith("P") and page.get_by_test_id("windows").locator("tbody tr").count() == 6
    assert page.get_by_test_id("pass").locator("svg").count() == 1
    screenshot(page, "assistance-exit-pass")
    token = ticket.exit_passes.get().token_plain()

    page.context.clear_cookies()
    login_page(volunteer)  # on gate duty: scans the code
    page.goto(f"{live_server.url}/assistance/gate/{token}/")
    assert page.get_by_test_id("verdict").inner_text() in ("有效：放行", "Valid: let through")
    screenshot(page, "assistance-pass-check")


def test_care_supplies_and_partner_import_pages(grid, sealed, volunteer, login_page, live_server, page, tmp_path):
    care_tick()
    login_page(grid["staff_user"])
    page.goto(f"{live_server.url}/assistance/care/medicines/new/?household={grid['h1'].pk}")
    page.locator("select[name=resident]").select_option(str(grid["张三"].pk))
    page.fill("input[name=name]", "硝苯地平")
    page.fill("input[name=dose_per_day]", "2")
    page.fill("input[name=stock]", "4")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    medicines = page.get_by_test_id("medicines").inner_text()
    assert "硝苯地平" in medicines and (dt.date.today() + dt.timedelta(days=2)).isoformat() in medicines
    checkins = page.get_by_test_id("checkins")
    assert "张三" in checkins.inner_text()
    with page.expect_navigation():
        checkins.locator("button").first.click()
    assert CheckInTask.objects.filter(done_by=grid["staff_user"], result="ok").count() == 1
    screenshot(page, "assistance-care")

    page.goto(f"{live_server.url}/assistance/supplies/")
    page.locator("summary").click()
    form = page.get_by_test_id("plan-form")
    form.locator("input[name=code]").fill(grid["compound_a"].code)
    form.locator("input[name=name]").fill("阳光小区第一批")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.get_by_test_id("checklist").locator("tbody tr").count() == 2
    line = grid["h1"]
    with page.expect_navigation():
        page.locator("tr", has_text=line.address).get_by_role("button").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name="未送达名单").click()
    assert grid["h2"].address in page.get_by_test_id("undelivered").inner_text()
    assert line.address not in page.get_by_test_id("undelivered").inner_text()
    screenshot(page, "assistance-undelivered")

    book = Workbook()
    book.active.append(["编号", "住户编号", "类别", "诉求内容"])
    book.active.append(["X-1", grid["h2"].pk, "生活物资", "需要尿不湿"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    page.goto(f"{live_server.url}/assistance/import/")
    page.fill("input[name=partner_name]", "某某超市")
    page.set_input_files("input[name=file]", str(path))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "1" in page.get_by_test_id("import-summary").inner_text()
    assert ServiceRequest.objects.filter(household=grid["h2"], intakes__channel="partner").count() == 1
    screenshot(page, "assistance-import")
