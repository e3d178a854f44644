"""Browser tests: Playwright driving Debian's Chromium against the live server (phone viewport, zh-Hans)."""

from __future__ import annotations

import pytest

from lianfang.conftest import screenshot
from lianfang.zones import services
from lianfang.zones.models import AreaStatus, ControlArea
from lianfang.zones.tests.conftest import at, d, infect

# serialized_rollback: the flush after each test must not take the shipped rule sets away from the
# tests that follow (the data migration's rows are restored).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def in_force(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    for area in result.proposals:
        services.control_area_approve(actor=district_commander, area=area, effective_from=at(d("2022-03-27"), 12))
    return {a.tier.key: a for a in result.proposals}


def test_enter_an_infection_and_approve_the_proposal(town, operation, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/zones/infections/")
    page.get_by_test_id("new-infection").click()
    # Find the resident through the htmx search and pick her.
    page.fill("#resident-q", "孙小七")
    page.locator("input[name=resident-choice]").first.check()
    page.fill("input[name=positive_sample_on]", "2022-03-28")
    screenshot(page, "zones-infection-form-phone")
    with page.expect_navigation():
        page.get_by_test_id("record-infection").click()
    proposals = page.get_by_test_id("proposals")
    assert proposals.locator("tr[data-tier=sealed] [data-testid=households]").inner_text() == "2"
    assert proposals.locator("tr[data-tier=sealed] [data-testid=residents]").inner_text() == "3"
    assert proposals.locator("tr[data-tier=controlled] [data-testid=residents]").inner_text() == "4"
    assert proposals.locator("tr[data-tier=precaution] [data-testid=residents]").inner_text() == "3"
    assert proposals.locator("[data-testid=status]").all_inner_texts() == ["待批准"] * 3
    screenshot(page, "zones-proposal-phone")
    with page.expect_navigation():
        page.get_by_test_id("approve-all").click()
    assert page.get_by_test_id("proposals").locator("[data-testid=status]").all_inner_texts() == ["生效中"] * 3
    assert set(ControlArea.objects.values_list("status", flat=True)) == {AreaStatus.ACTIVE}
    # The sealed area's page: clock, conditions, history with a public notice.
    page.get_by_test_id("proposals").locator("tr[data-tier=sealed] a").click()
    assert page.get_by_test_id("area-status").inner_text() == "生效中"
    assert page.get_by_test_id("conditions").locator("li").count() == 3
    page.get_by_test_id("notice-link").first.click()
    notice = page.get_by_test_id("notice").inner_text()
    assert "幸福小区" in notice and "封控区" in notice and "孙小七" not in notice
    screenshot(page, "zones-notice-phone")


def test_map_coloured_by_tier_with_the_history_of_a_day(in_force, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/zones/map/?day=2022-03-28")
    page.wait_for_selector("#zone-map[data-ready='1']")
    shapes = page.locator("#zone-map path.division")
    assert shapes.count() == int(page.get_by_test_id("map").get_attribute("data-features")) > 100
    sealed = page.locator("#zone-map path.tier-sealed")
    assert sealed.count() == 1 and sealed.get_attribute("fill") == "#c62828"
    assert page.locator("#zone-map path.tier-controlled").count() == 2  # 下西园 and 幸福小区 inside it
    assert page.locator("#zone-map path.tier-precaution").count() > 100
    assert page.get_by_test_id("areas-that-day").locator("li").count() == 3
    screenshot(page, "zones-map-phone")
    # The day before the operation: nothing coloured.
    page.fill("#day", "2022-03-26")
    with page.expect_navigation():
        page.get_by_test_id("day-form").locator("button").click()
    page.wait_for_selector("#zone-map[data-ready='1']")
    assert page.get_by_test_id("map").get_attribute("data-tiered") == "0"
    assert page.locator("#zone-map path.tier-none").count() == shapes.count()


def test_lift_refused_then_overridden_by_the_commander(in_force, district_commander, login_page, live_server):
    sealed = in_force["sealed"]
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/zones/areas/{sealed.pk}/")
    assert page.get_by_test_id("ready").inner_text() == "否"
    with page.expect_navigation():
        page.get_by_test_id("change-button").click()
    assert "已拒绝" in page.locator(".flash.error").inner_text()
    assert page.get_by_test_id("area-status").inner_text() == "生效中"
    page.get_by_test_id("change").locator("textarea[name=override_reason]").fill("省指挥部批准提前解封（2022-45号）")
    with page.expect_navigation():
        page.get_by_test_id("change-button").click()
    assert page.get_by_test_id("area-status").inner_text() == "已解除"
    assert page.get_by_test_id("history").locator("tr[data-kind=lifted]").count() == 1
    screenshot(page, "zones-area-lifted-phone")


def test_community_staff_pages(in_force, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/zones/")
    rows = page.get_by_test_id("areas").locator("tr[data-area]")
    # the sealed compound and the controlled community, and the district's precaution area covering it
    assert rows.count() == 3
    assert page.get_by_test_id("summary").inner_text().count("防范区") == 1
    page.goto(f"{live_server.url}/zones/tiers/")
    table = page.get_by_test_id("tier-table")
    assert table.locator("tr[data-code]").count() == 2  # its two compounds
    assert table.locator("[data-total=sealed]").inner_text() == "4"
    screenshot(page, "zones-tiers-phone")
    page.goto(f"{live_server.url}/zones/rule-sets/")
    page.get_by_test_id("rule-sets").get_by_role("link", name="第九版防控方案（高/中/低风险区）").click()
    assert page.get_by_test_id("tier-high").locator("[data-testid=lift-rule]").count() == 1
    # the district's area is read, never changed, by the community's staff
    response = page.goto(f"{live_server.url}/zones/areas/{in_force['precaution'].pk}/")
    assert response.status == 200 and page.get_by_test_id("area-status").inner_text() == "生效中"
    assert page.get_by_test_id("history").locator("tr").count() >= 2
    for action in ("change", "evidence-form", "approve"):
        assert page.get_by_test_id(action).count() == 0, action


def test_commander_makes_a_local_variant(qilihe, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/zones/rule-sets/nhc-8th-era/")
    page.locator("details.action summary").click()
    page.fill("input[name=key]", "qilihe-2022")
    page.fill("input[name=name]", "七里河区2022年本地规则")
    page.fill("input[name=name_en]", "Qilihe 2022 local rules")
    with page.expect_navigation():
        page.get_by_test_id("copy-button").click()
    form = page.get_by_test_id("rule-set-form")
    form.locator("input[name=rs__close_centralized_days]").fill("10")
    form.locator("input[name=rs__close_centralized_test_days]").fill("1, 4, 7, 10")
    form.locator("input[name=reason]").fill("区指挥部会议决定")
    screenshot(page, "zones-rule-set-edit-phone")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.get_by_test_id("rule-set-name").inner_text() == "七里河区2022年本地规则"
    assert "1、4、7、10" in page.get_by_test_id("quarantine").inner_text()
    page.goto(f"{live_server.url}/zones/")
    assert page.get_by_test_id("open-operation").count() == 1


def test_grid_worker_follows_a_link_to_their_community(in_force, town, login_page, live_server):
    from lianfang.conftest import _user

    page = login_page(_user("grid", "grid_worker", town["compound_a"].code))
    response = page.goto(f"{live_server.url}/zones/tiers/?within=620103001001")
    assert response.status == 200
    table = page.get_by_test_id("tier-table")
    assert table.locator("tr[data-code]").count() == 1  # their own compound, not 幸福小区
    assert table.locator("[data-total=sealed]").inner_text() == "4"
    bad = page.goto(f"{live_server.url}/zones/tiers/?day=abc")
    assert bad.status == 400
    assert page.get_by_test_id("bad-query").inner_text() == "日期（day）：“abc”不是日期（格式为 YYYY-MM-DD）"


def test_a_rule_of_one_day_reads_in_the_singular_in_english(qilihe, district_commander, login_page, live_server):
    """An English reader of a rule set whose periods are 1 day reads “1 day …”, not “1 days …”."""
    from lianfang.zones.models import LiftRule

    LiftRule.objects.filter(tier__rule_set__key="nhc-8th-era", tier__key="sealed").update(
        quiet_days=1, round_within_days=1, contact_clear_days=1
    )
    page = login_page(district_commander)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/zones/rule-sets/nhc-8th-era/")
    rule = " ".join(page.get_by_test_id("tier-sealed").locator("[data-testid=lift-rule]").inner_text().split())
    assert "1 day without a new infection" in rule
    assert "an all-negative whole-area round within the 1 day before" in rule
    assert "the last close contact more than 1 day past exposure and negative" in rule
    screenshot(page, "zones-rule-set-one-day-en")
