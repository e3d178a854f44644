"""Browser test (Playwright + Chromium, phone-sized): on the QR page a resident's name written as
markup (<b>x</b>) and a description holding a BEL are field errors next to their fields, nothing is
filed; a board for an unknown division code is the 400 naming the code, not the board."""

import pytest

from lianfang.assistance.models import ServiceRequest
from lianfang.assistance.services.tokens import household_token_issue
from lianfang.assistance.tests.test_browser import resident_page
from lianfang.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qr_form_refuses_a_markup_name_and_a_control_character(grid, browser, login_page, live_server):
    _row, token = household_token_issue(actor=grid["staff_user"], household=grid["h1"])
    context, phone = resident_page(browser)
    try:
        phone.goto(f"{live_server.url}/assistance/r/{token}/")
        form = phone.get_by_test_id("resident-form")
        form.locator("select[name=category]").select_option("medicine")
        form.locator("select[name=filed_by]").select_option("relative")
        form.locator("textarea[name=description]").fill("降压药")
        form.locator("input[name=reporter_name]").fill("<b>x</b>")
        # a BEL cannot be typed: set it as a paste from another app would
        form.locator("textarea[name=description]").evaluate("el => el.value = '降压药\\u0007只剩两天'")
        with phone.expect_navigation():
            form.locator("button[type=submit]").click()
        errors = phone.get_by_test_id("resident-form").locator("ul.errorlist").all_inner_texts()
        assert errors == ["不能包含控制字符（U+0007）。", "不像是姓名：不允许尖括号和控制字符"]
        assert phone.locator("b", has_text="x").count() == 0  # the name is never shown as markup
        assert phone.locator("input[name=reporter_name]").input_value() == "<b>x</b>"  # kept to correct
        screenshot(phone, "assistance-qr-name-refused")
    finally:
        context.close()
    assert not ServiceRequest.objects.exists()
    worker = login_page(grid["staff_user"])
    worker.goto(f"{live_server.url}/assistance/?code=620103001001999")
    refused = "区划代码（code）：“620103001001999”不是您可查看的区划的代码"
    assert worker.get_by_test_id("bad-query").inner_text() == refused
    assert worker.get_by_test_id("open-total").count() == 0
