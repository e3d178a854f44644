"""Assistance pages in zh-Hans use the full-width colon ("现行封控区：", new-user trial: "现行封控区:") and
their filter labels are sentence case with one colon of the language ("Status:", "状态：")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lianfang.demo.tests.crawler import (
    page_labels,
    thread_language_kept,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("thread_language_kept")]


@pytest.mark.parametrize(
    ("language", "expected", "wrong"),
    [("zh-hans", "现行封控区：", "现行封控区:"), ("en", "Sealed areas in force:", "Sealed areas in force：")],
)
def test_supplies_page_names_the_sealed_areas_with_the_language_colon(
    grid, sealed, client_for, language, expected, wrong
):
    page = client_for(grid["staff_user"]).get(reverse("assistance:plans"), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert page.status_code == 200 and page.context["suggestions"]
    assert expected in html and wrong not in html
    line = re.search(r'<p class="small">([^<]*)<code>', html).group(1)
    assert line.strip() == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", ["状态：", "类别：", "超时："]), ("en", ["Status:", "Category:", "Overdue:"])],
)
def test_ticket_filter_labels(grid, client_for, language, expected):
    page = client_for(grid["staff_user"]).get(reverse("assistance:tickets"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert page_labels(page.content.decode()) == expected
