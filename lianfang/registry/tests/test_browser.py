"""Browser tests: Playwright driving Debian's Chromium against the live server."""

import re

import pytest

from lianfang.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_commander_browses_from_district_to_household(population, district_commander, login_page, live_server):
    page = login_page(district_commander)
    assert page.get_by_test_id("division-code").inner_text() == "620103"
    assert page.get_by_test_id("total-residents").inner_text() == "7"
    page.get_by_role("link", name="西园街道").click()
    page.get_by_role("link", name="下西园社区").click()
    page.get_by_test_id("children").get_by_role("link", name="阳光小区").click()
    page.get_by_test_id("children").get_by_role("link", name="1号楼", exact=True).click()
    screenshot(page, "building-commander-phone")
    page.get_by_role("link", name=re.compile("101$")).click()
    assert page.get_by_test_id("household-address").inner_text().endswith("101")
    members = page.get_by_test_id("members")
    assert "张三" in members.inner_text() and "1101**********002X" in members.inner_text()
    # reveal an ID number: the unmasked value replaces the mask, through htmx
    page.get_by_test_id("reveal-id").first.click()
    assert page.get_by_test_id("revealed").first.inner_text() in {"11010519491231002X", "440524188001010014"}
    screenshot(page, "household-commander-phone")


def test_community_staff_reaches_a_household_and_cannot_see_another_community(
    population, community_staff, login_page, live_server
):
    page = login_page(community_staff)
    assert page.get_by_test_id("division-code").inner_text() == "620103001001"
    assert "下西园社区" in page.locator("h1").inner_text()
    page.get_by_test_id("children").get_by_role("link", name="阳光小区").click()
    page.get_by_role("link", name=re.compile("202$")).click()
    assert "李四" in page.get_by_test_id("members").inner_text()
    response = page.goto(f"{live_server.url}/registry/households/{population['h3'].pk}/")
    assert response.status == 404


def test_search_and_language_switch(population, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/registry/search/?q=zs")
    assert page.get_by_test_id("residents").get_by_role("link", name="张三").count() == 1
    assert page.locator("h1").inner_text() == "搜索居民"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Search residents"
    screenshot(page, "search-en-phone")


def test_outsider_sees_no_role_page(outsider, login_page):
    page = login_page(outsider)
    assert page.locator("h1").inner_text() == "未分配角色"


def test_resident_list_filters_by_the_labelled_search_box(population, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/registry/residents/")
    assert page.get_by_label("住户编号").count() == 1
    assert page.locator("input[name=search]").count() == 0  # one search box: the API's alias is not shown
    page.get_by_label("搜索").fill("zs")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert page.get_by_test_id("residents").get_by_role("link", name="张三").count() == 1
    assert page.get_by_test_id("residents").get_by_role("link", name="李四").count() == 0
    screenshot(page, "residents-filtered-phone")
