"""Browser tests: Playwright driving Debian's Chromium (phone viewport) against the live server."""

from __future__ import annotations

import pytest

from lianfang.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ON = "2022-03-27"


def test_grid_page_gap_to_chain_to_proposal(grid, street_officer, login_page, live_server):
    page = login_page(street_officer)
    page.goto(f"{live_server.url}/workforce/grid/?on={ON}")
    assert "西园街道" in page.locator("h1").inner_text()
    assert page.get_by_test_id("total-gap-l4").inner_text() == "1"
    assert page.get_by_test_id("total-gap-l2").inner_text() == "1"
    assert page.get_by_test_id("coverage-row-620103001002").is_visible()
    screenshot(page, "workforce-grid-street-phone")
    # The figure leads to the household without a representative, then to its chain.
    page.get_by_test_id("total-gap-l4").click()
    page.get_by_test_id("gap-households").get_by_role("link", name=grid["h3"].address).click()
    assert page.get_by_test_id("chain-household").inner_text() == grid["h3"].address
    assert "无责任人" in page.get_by_test_id("chain-l4").inner_text()
    l3 = page.get_by_test_id("chain-l3")
    assert "周网格" in l3.inner_text() and "139****0004" in l3.inner_text()
    l3.get_by_test_id(f"reveal-phone-{grid['staff_b'].pk}").click()
    assert page.get_by_test_id("revealed").inner_text() == "13900000004"
    # Assign the representative from the page.
    form = page.get_by_test_id("hand-over")
    form.locator("select[name=to_worker]").select_option(str(grid["rep_b"].pk))
    form.locator("input[name=on]").fill(ON)
    form.get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    assert "冯代表" in page.get_by_test_id("chain-l4").inner_text()
    screenshot(page, "workforce-chain-phone")
    # Back on the grid: propose the remaining L2 gap, confirm it.
    page.goto(f"{live_server.url}/workforce/grid/?on={ON}")
    assert page.get_by_test_id("total-gap-l4").inner_text() == "0"
    page.get_by_test_id("propose").click()
    lines = page.get_by_test_id("proposal-line")
    assert lines.count() == 1 and "郑书记" in lines.first.inner_text()
    screenshot(page, "workforce-proposal-phone")
    page.get_by_test_id("confirm").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("total-gap-l2").inner_text() == "0"
    assert page.get_by_role("status").inner_text() == "已创建 1 条包保责任。"


def test_sheet_drill_down(grid, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/workforce/sheet/?on={ON}")
    assert page.get_by_test_id("sheet-division").inner_text() == "七里河区"
    total = page.get_by_test_id("sheet-row-620103-total")
    assert total.is_visible()
    assert page.get_by_test_id("cell-620103-community_workers-total").inner_text() == "2"
    assert page.get_by_test_id("cell-620103-total-total").inner_text() == "3"
    assert "社区工作者2名" in page.get_by_test_id("sentence").inner_text()  # only the page's language
    assert page.get_by_test_id("sentence-en").count() == 0
    screenshot(page, "workforce-sheet-phone")
    page.get_by_test_id("cell-620103-community_workers-total").click()
    assert page.get_by_test_id("workers-count").inner_text() == "2"
    names = page.get_by_test_id("workers").inner_text()
    assert "孙社工" in names and "周网格" in names and "钱干部" not in names
    page.go_back()
    page.get_by_test_id("cell-620103001001-city_cadres").click()
    assert page.get_by_test_id("workers-count").inner_text() == "1"
    assert "钱干部" in page.get_by_test_id("workers").inner_text()
    page.go_back()
    page.get_by_test_id("sheet-row-620103-total").get_by_role("link").nth(1).click()  # compounds
    assert page.get_by_test_id("units-count").inner_text() == "2"
    with page.expect_download() as download:
        page.goto(f"{live_server.url}/workforce/sheet/?on={ON}")
        page.get_by_test_id("sheet-xlsx").click()
    assert download.value.suggested_filename == f"workforce-620103-{ON}.xlsx"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Daily workforce sheet"


def test_representative_sees_their_households_and_chain(grid, representative, login_page, live_server):
    page = login_page(representative)
    page.goto(f"{live_server.url}/workforce/")
    mine = page.get_by_test_id("my-responsibilities")
    assert mine.get_by_role("link").count() == 2
    screenshot(page, "workforce-representative-phone")
    mine.get_by_role("link", name=grid["h1"].address).click()
    chain = page.get_by_test_id("chain")
    assert "吴代表" in chain.inner_text() and "139****0005" in chain.inner_text()
    assert page.locator("[data-testid^=reveal-]").count() == 0
    assert page.get_by_test_id("hand-over").count() == 0
    response = page.goto(f"{live_server.url}/workforce/grid/household/{grid['h3'].pk}/")
    assert response.status == 404


def test_lists_and_details(grid, community_staff, login_page, live_server):
    from lianfang.workforce.services import team_create

    team = team_create(
        actor=None, name="蓝马甲志愿服务队", base_division=grid["xia"], leader=grid["staff_a"], members=[grid["rep_a"]]
    )
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/workforce/")
    page.get_by_test_id("workforce-tabs").get_by_role("link", name="工作人员").click()
    assert page.get_by_test_id("workers-count").inner_text() == "4"
    # the filter form reads as every list's (new-user trial): the shared button, "全部…" empty choices
    assert page.get_by_test_id("apply-filters").inner_text() == "筛选"
    assert page.locator("select[name=category] option").first.inner_text() == "全部类别"
    page.get_by_test_id("workers").get_by_role("link", name="吴代表").click()
    assert page.get_by_test_id("worker-name").inner_text() == "吴代表"
    assert "6201**********0013" in page.locator("dl").inner_text()
    page.get_by_test_id(f"reveal-phone-{grid['rep_a'].pk}").click()
    assert page.get_by_test_id("revealed").inner_text() == "13900000005"
    assert page.get_by_test_id("worker-assignments").get_by_role("link").count() == 2
    page.get_by_role("link", name=team.name).click()
    assert page.get_by_test_id("team-name").inner_text() == "蓝马甲志愿服务队"
    assert page.get_by_test_id("team-members").get_by_role("link").count() == 2
    page.get_by_test_id("workforce-tabs").get_by_role("link", name="队伍").click()
    assert "蓝马甲志愿服务队" in page.get_by_test_id("teams").inner_text()
    page.get_by_test_id("workforce-tabs").get_by_role("link", name="下沉驻守").click()
    deployments = page.get_by_test_id("deployments").inner_text()
    assert "钱干部" in deployments and "周网格" not in deployments
    page.get_by_test_id("workforce-tabs").get_by_role("link", name="包保责任").click()
    assert page.get_by_test_id("assignments-count").inner_text() == "5"  # L1, L2, L3 and two L4 in 下西园
    assert page.locator("select[name=level] option").first.inner_text() == "全部层级"
    page.locator("select[name=level]").select_option("4")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("assignments-count").inner_text() == "2"
    screenshot(page, "workforce-assignments-phone")
    page.goto(f"{live_server.url}/workforce/grid/problems/?kind=overloaded&on={ON}")
    assert "无。" in page.get_by_test_id("overloaded").inner_text()
    page.goto(f"{live_server.url}/workforce/sheet/units/?level=5&on={ON}")
    assert page.get_by_test_id("units-count").inner_text() == "1"
