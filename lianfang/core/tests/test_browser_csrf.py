"""Browser test: a form sent with a stale, wrong or missing CSRF token answers the site's translated
"form expired" page (core.views.csrf_failure, settings CSRF_FAILURE_VIEW), never Django's English 403
page, and following its advice (reload, send again) works. Playwright driving Debian's Chromium."""

from __future__ import annotations

import pytest

from lianfang.conftest import PASSWORD, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZH_MESSAGE = "页面打开太久或您已在别处重新登录，此表单已失效：请刷新页面后重新提交。"
EN_MESSAGE = (
    "The page was open too long or you signed in again elsewhere, so this form is no longer valid: "
    "reload the page and send it again."
)


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_a_form_left_open_while_signing_in_again_elsewhere_answers_the_translated_page(
    community_staff, login_page, live_server
):
    """Signing out and in again in another tab rotates the CSRF token, so the first tab's sign-out form
    holds a stale one: the answer is the zh-Hans "表单已失效" page, 403, and the user stays signed in."""
    page = login_page(community_staff)
    other = page.context.new_page()
    other.goto(f"{live_server.url}/")
    with other.expect_navigation():
        other.get_by_role("button", name="退出登录").click()
    _sign_in(other, live_server.url, community_staff)
    other.close()
    with page.expect_response(lambda r: r.url.endswith("/accounts/logout/")) as sent:
        page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    assert sent.value.status == 403
    assert page.locator("h1").inner_text() == "表单已失效"
    assert page.get_by_test_id("csrf-failure").inner_text() == ZH_MESSAGE
    assert page.title().startswith("表单已失效")
    body = page.locator("body").inner_text()
    assert "CSRF" not in body and "Forbidden" not in body and "reason" not in body.lower()
    assert page.get_by_test_id("whoami").inner_text().startswith(community_staff.username)  # still signed in
    screenshot(page, "core-csrf-failure-phone")
    # The advice works: back on a freshly loaded page, the same button signs out.
    page.get_by_role("link", name="返回我的首页").click()
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    assert page.get_by_test_id("whoami").count() == 0


@pytest.mark.parametrize("fault", ["missing", "wrong"])
def test_the_sign_in_form_without_a_valid_token_answers_the_english_page(browser, live_server, outsider, fault):
    """An English reader (browser locale en-US) whose sign-in form lost its CSRF cookie, or carries a
    token that is not the cookie's, reads the English page: no sign-in happens."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", outsider.username)
        page.fill("input[name=password]", PASSWORD)
        if fault == "missing":
            context.clear_cookies()
        else:
            page.eval_on_selector("main form input[name=csrfmiddlewaretoken]", "e => e.value = 'x'.repeat(64)")
        with page.expect_response(lambda r: r.url.endswith("/accounts/login/") and r.request.method == "POST") as sent:
            page.click("main form button[type=submit]")
        page.wait_for_load_state()
        assert sent.value.status == 403
        assert page.locator("h1").inner_text() == "Form expired"
        assert page.get_by_test_id("csrf-failure").inner_text() == EN_MESSAGE
        assert page.get_by_role("link", name="Back to my home page").count() == 1
        assert page.get_by_test_id("whoami").count() == 0  # not signed in
    finally:
        context.close()
