"""Browser tests of new-user trial 14 (Playwright driving Debian's Chromium, phone viewport, zh-Hans):
a division code typed with full-width digits opens the report, an unknown one is a page naming the
parameter and the value, and a layout's issuer holding an RLO is refused on the form."""

from __future__ import annotations

import pytest

from lianfang.conftest import screenshot
from lianfang.reports.tests.conftest import XIYUAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_full_width_and_unknown_codes(scene, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/reports/daily/?code={XIYUAN.translate(FULL_WIDTH)}")
    assert "西园街道" in page.inner_text("[data-testid=paragraph]")
    response = page.goto(f"{live_server.url}/reports/?code=620103999")
    assert response.status == 400
    text = page.inner_text("main")
    assert "区划代码（code）" in text and "“620103999”不是您可查看的区划的代码" in text
    screenshot(page, "reports-unknown-code-phone")


def test_a_layout_issuer_with_an_rlo_is_refused(scene, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/reports/layouts/new/?from=control-area-list")
    page.fill("input[name=key]", "areas-rlo")
    page.fill("input[name=issuer]", "区指挥部\u202e")
    with page.expect_navigation():
        page.click("[data-testid=layout-form] button[type=submit]")
    assert "不能包含控制字符（U+202E）。" in page.inner_text("[data-testid=layout-form]")
    screenshot(page, "reports-layout-rlo-refused-phone")
