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
    # the filter form reads as every list's (new-user trial): "全部操作", not "—"; the shared button
    assert page.get_by_test_id("audit-filter").locator("select[name=action] option").first.inner_text() == "全部操作"
    assert page.get_by_test_id("audit-filter").get_by_test_id("apply-filters").inner_text() == "筛选"
    page.get_by_test_id("audit-filter").locator("select[name=action]").select_option("view_pii")
    with page.expect_navigation():
        page.get_by_test_id("audit-filter").get_by_role("button", name="筛选").click()
    assert page.get_by_test_id("audit-action").all_inner_texts() == ["查看未脱敏的证件号码或电话"]
    assert page.get_by_test_id("audit-count").inner_text() == "1"
    screenshot(page, "core-audit-log-phone")


def test_commander_reads_an_export_entry_with_translated_labels(district_commander, login_page, live_server):
    """Third new-user trial: the export row names its division (not "区划 #19"), its reason code by
    label (not ``import_report``) and its detail by translated keys and values."""
    from lianfang.core import audit
    from lianfang.divisions.models import Division

    division = Division.objects.get(code="620103001001")
    detail = {"rows": 3, "unmasked": True, "format": "xlsx"}
    audit.record(actor=district_commander, action="export", obj=division, reason="import_report", detail=detail)
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/audit/?action=export")
    assert page.get_by_test_id("audit-action").all_inner_texts() == ["导出个人信息"]
    assert page.get_by_test_id("audit-object").all_inner_texts() == [f"区划 {division.short_name}（620103001001）"]
    assert page.get_by_test_id("audit-reason").all_inner_texts() == ["下载导入问题报告"]
    assert page.get_by_test_id("audit-detail").all_inner_texts() == ["格式：xlsx；行数：3；未脱敏：是"]
    assert (
        "import_report" not in page.content()
        and f"#{division.pk}" not in page.get_by_test_id("audit-object").inner_text()
    )
    screenshot(page, "core-audit-log-export-row")


def test_the_audit_log_fits_a_phone(district_commander, community_staff, login_page, live_server):
    """Trial 13: at 390 px the page scrolled sideways (a file's SHA-256 in a detail is one 64-character
    word); the page must fit the phone's width, with codes and reasons read as words."""
    import hashlib

    from lianfang.core import audit

    sha = hashlib.sha256(b"residents.xlsx").hexdigest()
    detail = {"sha256": sha, "file": "七里河区西园街道下西园社区居民花名册_2022年3月28日_第二次更新.xlsx", "rows": 1200}
    audit.record(actor=district_commander, action="import", division_code="620103001001", detail=detail)
    audit.record(
        actor=community_staff,
        action="status",
        object_type="assistance.servicerequest",
        object_id="1",
        division_code="620103001001",
        reason="accepted",
        detail={"to": "accepted"},
    )
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/audit/")
    assert page.viewport_size["width"] == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_test_id("audit-reason").all_inner_texts()[0] == "已受理"
    assert page.get_by_test_id("audit-detail").all_inner_texts()[0] == "新值：已受理"
    assert sha in page.get_by_test_id("audit-detail").all_inner_texts()[1].replace("\n", "")
    screenshot(page, "core-audit-log-phone-width")


def test_the_audit_log_names_residents_masked_and_divisions_in_details(
    population, district_commander, login_page, live_server
):
    """New-user trial 14: "登记检测结果" twice in the action filter, "居民 #2", raw division codes."""
    from lianfang.core import audit

    resident = population["李四"]
    audit.record(actor=district_commander, action="view_pii", obj=resident, detail={"field": "id"})
    audit.record(
        actor=district_commander,
        action="zones.infection_record",
        division_code="620103001001",
        detail={"places": ["620103001001"]},
    )
    audit.record(actor=district_commander, action="screening.results", division_code="620103001001")
    audit.record(actor=district_commander, action="fieldops.test_result", division_code="620103001001")
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/audit/")
    options = page.get_by_test_id("audit-filter").locator("select[name=action] option").all_inner_texts()
    assert "导入实验室检测结果" in options and "登记隔离人员检测结果" in options
    assert len(options) == len(set(options))
    page.get_by_test_id("audit-filter").locator("select[name=action]").select_option("view_pii")
    with page.expect_navigation():
        page.get_by_test_id("audit-filter").get_by_role("button", name="筛选").click()
    assert page.get_by_test_id("audit-object").all_inner_texts() == [f"居民 李*（#{resident.pk}）"]
    page.goto(f"{live_server.url}/audit/?action=zones.infection_record")
    assert page.get_by_test_id("audit-detail").all_inner_texts() == ["地点：下西园社区（620103001001）"]
    screenshot(page, "core-audit-log-named-places")
