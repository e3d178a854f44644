"""Browser test (Playwright + Chromium, English, 390 × 844): the assistance sub-navigation wrapped
badly on a phone in English (new-user trial). It is one row that scrolls sideways inside itself,
never widening the page, and the ticket list shows overdue requests first, marked."""

import datetime as dt

import pytest
from django.utils import timezone

from lianfang.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sub_navigation_is_one_row_at_390_px_in_english(grid, login_page, live_server):
    from lianfang.assistance.services.intake import service_request_create

    late = timezone.now() - dt.timedelta(hours=1)
    service_request_create(actor=None, household=grid["h2"], category="medicine", description="Insulin", channel="qr")
    emergency = service_request_create(
        actor=None, household=grid["h1"], category="emergency_medical", channel="qr", at=late
    )
    page = login_page(grid["staff_user"])
    # English (the longest labels): Django's language cookie, read before the browser's zh-CN
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/assistance/tickets/?open=true")
    tabs = page.get_by_test_id("assistance-tabs")
    links = tabs.locator("a")
    assert links.count() == 7
    assert links.first.inner_text() == "Board"
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    assert len(tops) == 1, tops  # one row
    heights = {round(links.nth(i).bounding_box()["height"]) for i in range(links.count())}
    assert max(heights) < 40  # no label broken over two lines
    assert tabs.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page never scrolls sideways
    links.last.scroll_into_view_if_needed()
    assert links.last.is_visible()
    rows = page.get_by_test_id("tickets").locator("tbody tr")
    assert rows.first.locator("a").inner_text() == emergency.number
    assert rows.first.get_by_test_id("overdue").inner_text() == "Overdue"
    screenshot(page, "assistance-tabs-390-en")
