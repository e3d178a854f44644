"""Browser test: opening a POST-only page URL (/fieldops/gates/new/) shows the translated 405 page
with a way home, not a blank page (new-user trial; Playwright driving Debian's Chromium, zh-Hans)."""

from __future__ import annotations

import pytest

from lianfang.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_post_only_url_opened_in_the_browser_reads_a_page(district_commander, login_page, live_server):
    page = login_page(district_commander)
    response = page.goto(f"{live_server.url}/fieldops/gates/new/")
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    assert page.locator("h1").inner_text() == "无法这样打开此页面"
    assert page.get_by_test_id("not-allowed").inner_text() == "此地址只接收从其页面提交的表单，不能单独打开。"
    screenshot(page, "core-method-not-allowed")
    with page.expect_navigation():
        page.get_by_test_id("back-home").click()
    assert page.url == f"{live_server.url}/" or page.url.startswith(live_server.url)
    assert "无法这样打开此页面" not in page.content()
