"""Browser test (Playwright + Chromium, English browser): the board's median titles over one day read
“(1 day)” and a one-row partner list's result “1 row: 1 new request, …” (not “1 days”, “1 rows”)."""

import pytest
from openpyxl import Workbook

from lianfang.conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_board_and_import_count_in_english_grammar(grid, browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", grid["staff_user"].username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.goto(f"{live_server.url}/assistance/?days=1")
        titles = page.locator("article .muted.small").all_inner_texts()
        assert "Median time to accept (1 day)" in titles
        assert "Median time to fulfil (1 day)" in titles
        screenshot(page, "assistance-board-one-day-en")

        book = Workbook()
        book.active.append(["编号", "住户编号", "类别", "诉求内容"])
        book.active.append(["E-1", grid["h2"].pk, "生活物资", "需要尿不湿"])
        path = tmp_path / "list.xlsx"
        book.save(path)
        page.goto(f"{live_server.url}/assistance/import/")
        page.fill("input[name=partner_name]", "Corner shop")
        page.set_input_files("input[name=file]", str(path))
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        summary = page.get_by_test_id("import-summary").inner_text()
        assert summary == "1 row: 1 new request, 0 linked to open requests, 0 imported before."
    finally:
        context.close()
