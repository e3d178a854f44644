"""Browser test: the divisions pages show the control tiers (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import pytest

from lianfang.conftest import screenshot

# serialized_rollback: the flush after the test must not take the shipped rule sets away from the
# tests that follow (the data migration's rows are restored).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_community_staff_see_the_tiers_down_to_the_households(
    areas_in_force, population, community_staff, login_page, live_server
):
    page = login_page(community_staff)
    assert page.get_by_test_id("division-code").inner_text() == "620103001001"
    header = page.get_by_test_id("division-tier")
    assert header.locator("[data-tier=controlled]").inner_text() == "管控区"
    assert header.get_by_test_id("stricter-inside").inner_text() == "内有封控区"
    row = page.get_by_test_id("children").locator("tr", has_text="阳光小区")
    assert row.get_by_test_id("control-tier").inner_text() == "封控区"
    screenshot(page, "divisions-community-tiers-phone")
    row.get_by_role("link", name="阳光小区").click()
    page.get_by_test_id("children").get_by_role("link", name="1号楼", exact=True).click()
    tiers = page.get_by_test_id("households").get_by_test_id("control-tier").all_inner_texts()
    assert tiers == ["封控区", "封控区"]
    # the stricter area inside the community leads to the areas in force there
    page.go_back()
    page.go_back()
    with page.expect_navigation():
        page.get_by_test_id("division-tier").get_by_test_id("stricter-inside").click()
    assert "/zones/" in page.url and page.locator("[data-testid=areas] tr[data-area]").count() == 1


def test_the_breadcrumbs_wrap_on_a_phone(population, district_commander, login_page, live_server):
    """Trial: as the commander, a unit's page scrolled sideways at phone width — Pico lays a <nav> out
    as one flex row that never wraps, and the crumbs (province › city › district › street › community ›
    compound › building › unit) are wider than 375 px."""
    page = login_page(district_commander)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/divisions/620103001001001/")
    crumbs = page.locator("nav.crumbs")
    assert crumbs.locator("a, span").count() >= 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the phone page scrolls sideways ({width}px)"
    screenshot(page, "divisions-breadcrumbs-phone")
