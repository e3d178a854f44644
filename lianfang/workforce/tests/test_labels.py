"""Filter labels of the workforce pages end with the language's colon: "区划代码：" in zh-Hans,
"Division code:" in English (core.forms.LABEL_SUFFIX; new-user trial: the grid page's filters had none)."""

from __future__ import annotations

import pytest

from lianfang.demo.tests.crawler import (
    label_suffix_faults,
    labels_of_pages,
    thread_language_kept,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("thread_language_kept")]

PAGES = {
    "grid": "/workforce/grid/?code=620103001",
    "sheet": "/workforce/sheet/?code=620103001",
    "workers": "/workforce/workers/",
    "deployments": "/workforce/deployments/",
    "assignments": "/workforce/assignments/",
}
EXPECTED = {
    "zh-hans": {
        "grid": ["区划代码：", "日期："],
        "workers": ["姓名或拼音首字母：", "类别：", "下沉所在区划代码：", "在岗日期："],
        "assignments": ["层级：", "所属区划代码：", "有效日期："],
    },
    "en": {
        "grid": ["Division code:", "Date:"],
        "workers": ["Name or pinyin initials:", "Category:", "Deployed within division code:", "Deployed on:"],
        "assignments": ["Level:", "Division code:", "Active on:"],
    },
}


@pytest.mark.parametrize(("language", "suffix"), [("zh-hans", "："), ("en", ":")])
def test_filter_labels_end_with_one_colon(grid, street_officer, client_for, language, suffix):
    client = client_for(street_officer)
    labels = labels_of_pages(client, PAGES, language)
    assert {name: label_suffix_faults(found, suffix) for name, found in labels.items()} == dict.fromkeys(PAGES, [])
    for name, expected in EXPECTED[language].items():
        assert labels[name] == expected, (name, labels[name])
