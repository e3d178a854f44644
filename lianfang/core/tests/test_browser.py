"""Browser test: the commander opens the audit log from the top bar and filters it (Playwright driving
Debian's Chromium, phone viewport, zh-Hans)."""

from __future__ import annotations

import pytest

from lianfang.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_commander_filters_the_audit_log(district_commander, community_staff, login_page, live_server):
    from lianfang.core import audit

    audit.record(actor=community_staff, action="view_pii", division_code="620103001001", detail={"field": "phone"})
    audit.record(actor=community_staff, action="registry.search", division_code="620103001001", detail={"results": 2})
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/audit/")
    assert page.locator("h1").inner_text().startswith("审计日志")
    actions = page.get_by_test_id("audit-action").all_inner_texts()
    assert actions[:2] == ["查询人员", "查看未脱敏的证件号码或电话"]
    page.get_by_test_id("audit-filter").locator("select[name=action]").select_option("view_pii")
    with page.expect_navigation():
        page.get_by_test_id("audit-filter").get_by_role("button").click()
    assert page.get_by_test_id("audit-action").all_inner_texts() == ["查看未脱敏的证件号码或电话"]
    assert page.get_by_test_id("audit-count").inner_text() == "1"
    screenshot(page, "core-audit-log-phone")
