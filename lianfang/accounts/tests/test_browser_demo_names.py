"""Browser test: a demo user's name reads in the page's language in the top bar (new-user trial 14:
English pages read "网格员（演示）" inside English). Playwright driving Debian's Chromium."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import call_command

from lianfang.conftest import QILIHE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_grid_demo_user_reads_in_english_and_in_chinese(population, login_page, live_server, monkeypatch):
    from lianfang.accounts.models import User

    monkeypatch.setenv("LIANFANG_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("create_demo_users", "--code", QILIHE, stdout=StringIO())
    assert os.environ["LIANFANG_DEMO_PASSWORD"] == "demo-password-for-tests"
    page = login_page(User.objects.get(username="grid"), password="demo-password-for-tests")
    assert page.get_by_test_id("whoami").inner_text().startswith("网格员（演示）")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.reload()
    whoami = page.get_by_test_id("whoami").inner_text()
    assert whoami.startswith("Grid worker (demo)") and "演示" not in whoami
    screenshot(page, "accounts-demo-user-in-english")
