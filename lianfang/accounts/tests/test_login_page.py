"""The login page's labels end with one colon of the language ("用户名：" in zh-Hans, "User name:")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianfang.demo.tests.crawler import (
    labels_of_pages,
    thread_language_kept,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("thread_language_kept")]


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", ["用户名：", "密码："]), ("en", ["User name:", "Password:"])]
)
def test_login_labels_end_with_the_language_colon(client, language, expected):
    assert labels_of_pages(client, {"login": reverse("accounts:login")}, language) == {"login": expected}
