"""Browser test of new-user trial 14: the audit log opened with a full-width date in its address
(``?date=２０２６－１２－０１``, typed with a Chinese input method) lists that day, the date input
showing it (Playwright driving Debian's Chromium, phone viewport, zh-Hans)."""

from __future__ import annotations

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def test_a_full_width_date_filters_the_log(district_commander, community_staff, login_page, live_server):
    from lianfang.core import audit

    audit.record(actor=community_staff, action="view_pii", division_code="620103001001", detail={"field": "phone"})
    today = timezone.localdate().isoformat()
    page = login_page(district_commander)
    response = page.goto(f"{live_server.url}/audit/?date={today.translate(FULL_WIDTH)}")
    assert response.status == 200
    assert "查看未脱敏的证件号码或电话" in page.get_by_test_id("audit-action").all_inner_texts()
    assert page.get_by_test_id("audit-filter").locator("input[name=date]").input_value() == today
