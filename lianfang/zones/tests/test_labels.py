"""Labels of the zones pages: sentence case in English ("Status:", not "status"), one colon of the
language at their end ("状态：" in zh-Hans), and no ASCII ": " inside a zh-Hans label (new-user trial)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianfang.demo.tests.crawler import (
    label_suffix_faults,
    labels_of_pages,
    thread_language_kept,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("thread_language_kept")]

LANGUAGES = [("zh-hans", "："), ("en", ":")]


@pytest.mark.parametrize(("language", "suffix"), LANGUAGES)
def test_filter_labels_are_sentence_case_and_end_with_one_colon(
    operation, district_commander, client_for, language, suffix
):
    client = client_for(district_commander)
    pages = {"areas": reverse("zones:index"), "infections": reverse("zones:infections"), "map": reverse("zones:map")}
    labels = labels_of_pages(client, pages, language)
    assert {name: label_suffix_faults(found, suffix) for name, found in labels.items()} == dict.fromkeys(pages, [])
    areas, infections, day = labels["areas"], labels["infections"], labels["map"]
    if language == "en":
        assert areas[-6:] == [
            "Tier:",
            "Status:",
            "Division code:",
            "Covering division code:",
            "In force on:",
            "Operation:",
        ]
        assert infections == [
            "Division code:",
            "Detected on or after:",
            "Detected on or before:",
            "Operation:",
        ]
        assert all(label[0].isupper() for label in areas + infections + day), areas + infections + day
    else:
        assert areas[-6:] == [
            "等级：",
            "状态：",
            "所属区划代码：",
            "覆盖区划代码：",
            "生效日期：",
            "处置行动：",
        ]
        assert infections[:3] == ["所属区划代码：", "发现日期不早于：", "发现日期不晚于："]


@pytest.mark.parametrize(
    ("language", "suffix", "label"), [("zh-hans", "：", "高风险区："), ("en", ":", "High-risk area:")]
)
def test_rule_set_form_labels_use_the_language_colon(qilihe, district_commander, client_for, language, suffix, label):
    """A tier's fields read "<tier>：<field>：" in zh-Hans (zones.forms._tier_label), not "<tier>: <field>："."""
    client = client_for(district_commander)
    copied = client.post(
        reverse("zones:rule_set_copy", args=["nhc-9th"]),
        {"key": "qilihe-local", "name": "七里河本地", "name_en": "Qilihe local"},
    )
    assert copied.status_code == 302
    found = labels_of_pages(client, {"edit": reverse("zones:rule_set_edit", args=["qilihe-local"])}, language)["edit"]
    assert label_suffix_faults(found, suffix) == []
    assert any(text.startswith(label) for text in found), found
