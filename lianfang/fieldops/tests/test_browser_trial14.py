"""Browser tests of new-user trial 14's monitoring page: a bad reading re-shows the page with the
error in the person's row; a reading with its unit is taken; monitoring starts by picking a household
by its address."""

import datetime as dt

import pytest

from lianfang.conftest import screenshot
from lianfang.fieldops.models import HealthCheckIn, HomeMonitoring
from lianfang.fieldops.services.monitoring import home_monitoring_start
from lianfang.fieldops.tests.conftest import today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_fixes_a_bad_reading_in_its_row(population, community_staff, guard, login_page, live_server):
    monitoring = home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today() + dt.timedelta(days=2),
    )
    page = login_page(guard.user)
    page.goto(f"{live_server.url}/fieldops/monitoring/")
    row = page.get_by_test_id(f"check-in-{monitoring.pk}")
    row.locator("input[name=temperature]").fill("36.5F")
    row.get_by_role("button", name="录入").click()
    error = page.get_by_test_id("check-in-error")
    assert error.inner_text().strip() == "体温（°C）：“36.5F”不是体温读数（°C，34.0–43.0）"
    assert page.locator("input[name=temperature]").input_value() == "36.5F"
    assert page.locator("input[name=temperature]").get_attribute("aria-invalid") == "true"
    screenshot(page, "fieldops-monitoring-bad-reading-phone")
    assert not HealthCheckIn.objects.exists()
    page.locator("input[name=temperature]").fill("３６．５℃")
    page.get_by_test_id(f"check-in-{monitoring.pk}").get_by_role("button", name="录入").click()
    page.wait_for_url(f"{live_server.url}/fieldops/monitoring/")
    assert str(HealthCheckIn.objects.get().temperature) == "36.5"
    assert "36.5 °C" in page.get_by_test_id("monitoring").inner_text()


def test_worker_starts_monitoring_by_picking_the_household(population, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/fieldops/monitoring/")
    page.get_by_text("新增居家监测").click()
    page.locator("select[name=household]").select_option(label=population["h2"].address)
    page.locator("input[name=name]").fill("赵丽")
    page.get_by_role("button", name="开始处理").click()
    page.wait_for_url(f"{live_server.url}/fieldops/monitoring/")
    monitoring = HomeMonitoring.objects.get()
    assert (monitoring.household, monitoring.resident) == (population["h2"], population["赵丽"])
    assert "赵丽" in page.get_by_test_id("monitoring").inner_text()
