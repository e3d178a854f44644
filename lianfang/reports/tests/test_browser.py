"""Browser tests (Playwright driving Debian's Chromium): the overview at phone and desktop widths with
screenshots, the daily report closed through its button, the trends' charts, the layouts."""

from __future__ import annotations

import pytest

from lianfang.conftest import screenshot
from lianfang.reports.tests.conftest import XIYUAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_overview_phone_and_desktop(everything_live, login_page, live_server):
    page = login_page(everything_live["commander"])
    page.goto(f"{live_server.url}/reports/?code={XIYUAN}")
    page.wait_for_selector("#overview-map[data-ready='1']")
    assert page.inner_text("[data-testid=n-residents]") == "10"
    assert page.inner_text("[data-testid=n-pools-awaiting]") == "1"
    assert page.inner_text("[data-testid=round-percent]") == "40%"
    assert int(page.get_attribute("#overview-map", "data-features")) >= 2
    screenshot(page, "reports-overview-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the phone page scrolls sideways ({width}px)"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.wait_for_selector("#overview-map[data-ready='1']")
    screenshot(page, "reports-overview-desktop")
    with page.expect_navigation():
        page.click("[data-testid=n-pools-awaiting]")
    assert "P-0001" in page.inner_text("[data-testid=result]")


def test_daily_report_closes_from_the_page(everything_live, login_page, live_server):
    page = login_page(everything_live["commander"])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/reports/daily/?code={XIYUAN}")
    assert "西园街道" in page.inner_text("[data-testid=paragraph]")
    page.wait_for_selector("[data-testid=closable]")
    with page.expect_navigation():
        page.click("[data-testid=close-form] button[type=submit]")
    page.wait_for_selector("[data-testid=reopen-form]")
    screenshot(page, "reports-daily-closed")
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_trends_draw_their_charts(everything_live, login_page, live_server):
    page = login_page(everything_live["commander"])
    page.goto(f"{live_server.url}/reports/trends/?code={XIYUAN}&days=7")
    for key in ("infections", "areas", "rounds", "requests", "workforce"):
        page.wait_for_selector(f"[data-chart={key}][data-ready='1']")
    assert page.locator("[data-chart=areas] svg").count() == 1
    screenshot(page, "reports-trends-phone")


def test_layouts_page_runs_a_form(everything_live, login_page, live_server):
    page = login_page(everything_live["commander"])
    page.goto(f"{live_server.url}/reports/layouts/")
    with page.expect_navigation():
        page.click("[data-testid=layout-health-commission-daily] a")
    page.goto(f"{live_server.url}/reports/layouts/health-commission-daily/?code={XIYUAN}")
    assert "下西园社区" in page.inner_text("[data-testid=result]")
    screenshot(page, "reports-layout-phone")


def test_a_new_layout_from_the_form_and_the_closed_days(everything_live, login_page, live_server):
    page = login_page(everything_live["commander"])
    page.goto(f"{live_server.url}/reports/layouts/new/?from=control-area-list")
    page.fill("input[name=key]", "areas-short")
    page.fill("textarea[name=columns]", "name\ntier\nresidents | 人数 | People")
    with page.expect_navigation():
        page.click("[data-testid=layout-form] button[type=submit]")
    page.goto(f"{live_server.url}/reports/layouts/areas-short/?code={XIYUAN}")
    table = page.inner_text("[data-testid=result]")
    assert "阳光小区" in table and "人数" in page.text_content("[data-testid=result] thead")
    screenshot(page, "reports-layout-new-phone")
    from lianfang.reports.services import daily_report_close

    daily_report_close(
        actor=everything_live["commander"], division=everything_live["street"], day=everything_live["day"]
    )
    page.goto(f"{live_server.url}/reports/daily/closed/")
    assert "西园街道" in page.inner_text("[data-testid=daily-list]")
    screenshot(page, "reports-closed-days-phone")


def test_a_grid_worker_reads_and_exports_their_part(everything_live, login_page, live_server):
    """Fourth new-user trial: a grid worker's daily report (their compound's part of the community)
    says which part, offers no report layouts (an office tool: 403 naming the reason when typed in)
    and its XLSX is titled with the part, not with the community."""
    import io
    from pathlib import Path

    from openpyxl import load_workbook

    from lianfang.conftest import _user

    compound = everything_live["compound_a"]
    grid = _user("grid-browser", "grid_worker", compound.code)
    part = f"下西园社区 › {compound.short_name}"
    page = login_page(grid)
    page.goto(f"{live_server.url}/reports/daily/")
    assert page.inner_text("h1") == f"{part}疫情防控工作日报"
    assert page.inner_text("[data-testid=daily-division]") == "下西园社区"
    assert part in page.inner_text("[data-testid=daily-part]")
    tabs = page.inner_text("[data-testid=report-tabs]")
    assert "日报" in tabs and "报表样式" not in tabs
    assert page.locator("[data-testid=close-form]").count() == 0  # closing the day is the office's
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the phone page scrolls sideways ({width}px)"
    screenshot(page, "reports-daily-grid-worker-phone")
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    assert download.value.suggested_filename.startswith(f"{part}疫情防控工作日报-")
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert workbook.worksheets[0].cell(1, 1).value == f"{part}疫情防控工作日报"
    response = page.goto(f"{live_server.url}/reports/layouts/")
    assert response.status == 403
    assert "您的角色不填报这些表格" in page.inner_text("main")
