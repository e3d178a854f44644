"""Browser test (Playwright + Chromium, English browser): an import with one row and one error reads
“1 error: nothing was written …” and “1 row, 1 error, 1 warning” (not “1 errors”, “1 rows”)."""

import pytest

from lianfang.conftest import PASSWORD, screenshot
from lianfang.registry.tests.test_plural_counts import _batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_batch_page_of_one_error_in_english(population, community_staff, browser, live_server):
    batch = _batch(
        population, community_staff, status="invalid", counts={"rows": 1, "errors": 1, "warnings": 1}, message=""
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", community_staff.username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.goto(f"{live_server.url}/registry/io/{batch.pk}/")
        message = "1 error: nothing was written; fix the file and import it again"
        assert page.get_by_test_id("message").inner_text() == message
        assert page.get_by_test_id("row-counts").inner_text() == "1 row, 1 error, 1 warning"
        screenshot(page, "registry-import-one-error-en")
    finally:
        context.close()
