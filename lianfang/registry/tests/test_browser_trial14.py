"""Browser tests of new-user trial 14 (registry): the reveal cell shows a short refusal in place of the
masked value, and the import report page read in English."""

import pytest

from lianfang.conftest import XIAXIYUAN, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reveal_refusal_fits_the_cell(population, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/registry/households/{population['h1'].pk}/")
    members = page.get_by_test_id("members")
    assert "1101**********002X" in members.inner_text()
    community_staff.role_assignments.update(role="stationed_cadre")  # the right to reveal is gone meanwhile
    page.get_by_test_id("reveal-id").first.click()
    refused = page.get_by_test_id("reveal-refused").first
    refused.wait_for()
    assert refused.inner_text() == "无权查看"
    assert refused.get_attribute("title") == "您无权在此查看未脱敏的证件号码和电话"
    assert page.locator("h1").count() == 1  # no second page inside the table
    assert members.locator("td").filter(has=refused).count() == 1  # it stands in the cell of the number
    assert page.get_by_test_id("reveal-id").count() == 1  # the other resident's button is still there
    screenshot(page, "reveal-refused-phone")


def test_household_list_within_narrows_and_says_so(population, street_officer, login_page, live_server):
    page = login_page(street_officer)
    page.goto(f"{live_server.url}/registry/households/?within={XIAXIYUAN}")
    assert page.get_by_test_id("within").inner_text().startswith("只显示西园街道 › 下西园社区（620103001001）的住户。")
    assert "301" not in page.locator("main").inner_text()
    assert "202" in page.locator("main").inner_text()


def test_import_report_read_in_english(population, community_staff, login_page, live_server):
    from django.utils import translation

    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import
    from lianfang.registry.tests.fixtures.importing import FIXTURES

    with translation.override("zh-hans"):  # queued by a Chinese reader
        batch = registry_import(
            actor=community_staff, target=Division.objects.get(code=XIAXIYUAN), path=FIXTURES / "problems.xlsx"
        )
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/registry/io/{batch.pk}/")
    assert "错误" in page.get_by_test_id("issues").locator("tbody td").first.inner_text()
    assert page.get_by_test_id("reasons-language").count() == 0
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    issues = page.get_by_test_id("issues")
    assert issues.locator("thead th").all_text_contents() == ["Severity", "Sheet", "Row", "Column", "Value", "Reason"]
    shown = set(issues.locator("td[data-label=Severity]").all_inner_texts())
    assert shown == {"Error", "Warning"}
    note = page.get_by_test_id("reasons-language").inner_text()
    assert note == "The reasons are written in the language the file was imported in (简体中文)."
    screenshot(page, "import-report-en-phone")
