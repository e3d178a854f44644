"""Form labels of the reports pages end with the language's colon: "截至：" in zh-Hans, "As of:" in
English (core.forms.LABEL_SUFFIX; new-user trial: the daily page's "截至" had none)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianfang.demo.tests.crawler import (
    label_suffix_faults,
    labels_of_pages,
    thread_language_kept,  # noqa: F401 (fixture)
)
from lianfang.reports.tests.conftest import XIYUAN

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("thread_language_kept")]

LANGUAGES = [("zh-hans", "："), ("en", ":")]


@pytest.mark.parametrize(("language", "suffix"), LANGUAGES)
def test_daily_trends_and_layout_labels_end_with_one_colon(scene, client_for, district_commander, language, suffix):
    client = client_for(district_commander)
    day = scene["day"].isoformat()
    pages = {
        "daily": f"{reverse('reports:daily')}?code={XIYUAN}&date={day}",
        "trends": f"{reverse('reports:trends')}?code={XIYUAN}&date={day}",
        "layout": f"{reverse('reports:layout', args=['health-commission-daily'])}?code={XIYUAN}&date={day}",
    }
    labels = labels_of_pages(client, pages, language)
    assert {name: label_suffix_faults(found, suffix) for name, found in labels.items()} == dict.fromkeys(pages, [])
    if language == "en":
        assert labels["daily"][:2] == ["As of:", "Note:"]
        assert labels["trends"] == ["Last day:", "Days:"]
        assert labels["layout"][:2] == ["Division code:", "As of:"]
    else:
        assert labels["daily"][:2] == ["截至：", "备注："]
        assert labels["trends"] == ["截止日期：", "天数："]
        assert labels["layout"][:2] == ["区划代码：", "截至："]
