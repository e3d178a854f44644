"""Form labels end with the full-width "：" in zh-Hans and ":" in English (core.forms.LABEL_SUFFIX)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from lianfang.assistance.forms import ResidentIntakeForm
from lianfang.core.forms import AuditFilterForm


@pytest.fixture(autouse=True)
def _thread_language_kept():
    """A request activates its language in the test's thread (LocaleMiddleware) and leaves it there;
    put back the one found, so a later module's fixtures (demo's world) do not run in English."""
    with translation.override(translation.get_language()):
        yield


def test_a_rendered_page_labels_end_with_the_language_colon(population, community_staff, client_for):
    """The resident list's filter form (rendered by Django's label_tag) on the real page, in both languages."""
    client = client_for(community_staff)
    zh = client.get("/registry/residents/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/registry/residents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh_labels = dict(re.findall(r'<label for="id_(\w+)">([^<]*)</label>', zh))
    en_labels = dict(re.findall(r'<label for="id_(\w+)">([^<]*)</label>', en))
    assert zh_labels["household"] == "住户编号：" and en_labels["household"] == "Household number:"
    assert zh_labels.keys() == en_labels.keys() and len(zh_labels) >= 5
    assert all(label.endswith("：") and ":" not in label for label in zh_labels.values()), zh_labels
    assert all(label.endswith(":") and "：" not in label for label in en_labels.values()), en_labels


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", '<label for="id_actor">操作人：</label>'), ("en", '<label for="id_actor">By:</label>')],
)
def test_label_tag_suffix_follows_the_active_language(language, expected):
    with translation.override(language):
        assert AuditFilterForm()["actor"].label_tag() == expected


def test_a_form_with_its_own_suffix_keeps_it():
    """The resident's questions end with their own "?" (assistance.forms.ResidentIntakeForm: label_suffix "")."""
    with translation.override("zh-hans"):
        label = ResidentIntakeForm()["category"].label_tag()
    assert label.endswith("？</label>") or label.endswith("?</label>"), label
    assert "：" not in label and ":" not in label.split(">", 1)[1]
