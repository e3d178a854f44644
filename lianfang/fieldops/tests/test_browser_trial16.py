"""Browser tests of new-user trial 16 (Playwright + Debian Chromium, phone-sized, zh-Hans): the gate
heading's separator in both languages, the roster's guard picker and period form, and the patrols
page without the print link for a volunteer."""

import datetime as dt

import pytest

from lianfang.conftest import screenshot
from lianfang.fieldops.services.gates import ROSTER_HORIZON_DAYS, duty_roster_generate
from lianfang.fieldops.services.patrols import checkpoint_create
from lianfang.fieldops.tests.conftest import make_worker, today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_gate_heading_uses_the_language_s_separator(areas, gates, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/fieldops/gates/{gates['north'].pk}/")
    heading = page.get_by_test_id("gate-name").inner_text()
    assert heading.startswith("北门·阳光小区")
    screenshot(page, "fieldops-gate-heading-zh")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/fieldops/gates/{gates['north'].pk}/")
    assert page.get_by_test_id("gate-name").inner_text().startswith("北门 · 阳光小区")
    assert page.get_by_test_id("gate-tier").inner_text() == "Sealed area"


def test_the_roster_picker_and_period_form(
    areas, gates, population, district_commander, guard, login_page, live_server
):
    make_worker("李保安", ["volunteer"], population["compound_b"])
    make_worker("社区王", ["community_staff"], population["compound_a"].parent)
    duty_roster_generate(actor=district_commander, code=gates["north"].path, day=today())
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/fieldops/roster/?within={gates['north'].path}")
    picker = page.locator("select[name=worker]").first
    offered = [t.strip() for t in picker.locator("option").all_inner_texts()]
    assert offered[0] == "—" and sorted(offered[1:]) == sorted(["刘守门", "社区王"])  # not 李保安 of 园林小区
    page.get_by_label("查找值守人员（姓名或拼音首字母）").fill("社区")
    page.get_by_role("button", name="查找").click()
    offered = [t.strip() for t in page.locator("select[name=worker]").first.locator("option").all_inner_texts()]
    assert offered == ["—", "社区王"]
    far = today() + dt.timedelta(days=ROSTER_HORIZON_DAYS + 5)
    form = page.get_by_test_id("generate-form")
    form.locator("input[name=day]").fill(far.isoformat())
    form.locator("input[name=days]").fill("3")
    form.get_by_test_id("generate-roster").click()
    error = page.get_by_test_id("generate-error-day")
    assert "排班最多提前 31 天" in error.inner_text()
    assert page.get_by_test_id("generate-form").locator("input[name=day]").input_value() == far.isoformat()
    screenshot(page, "fieldops-roster-period-refused")


def test_a_volunteer_sees_no_checkpoint_print_link(population, community_staff, guard, login_page, live_server):
    checkpoint_create(actor=community_staff, division=population["compound_a"], name="北门")
    page = login_page(guard.user)
    page.goto(f"{live_server.url}/fieldops/checkpoints/?within={population['compound_a'].code}")
    assert page.get_by_test_id("checkpoints").inner_text().count("北门") == 1
    assert page.get_by_test_id("print-qr").count() == 0
    response = page.goto(f"{live_server.url}/fieldops/checkpoints/print/?within={population['compound_a'].code}")
    assert response.status == 403
    assert "设置巡查点" in page.content()
