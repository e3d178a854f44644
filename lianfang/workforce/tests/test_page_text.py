"""Text of the grid page in zh-Hans and English (new-user trial 7): the breadcrumb landmark is named
by the workforce's own word ("位置导航", not Django admin's "条形导航") and the shipped rule set's
name and the overload note stand in the language's brackets."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "landmark", "rules"),
    [
        ("zh-hans", "位置导航", "规则：四级包保（七里河 2022）（超过 30 户为超负荷）"),
        ("en", "Breadcrumbs", "Rules: Four-level responsibility (Qilihe 2022) (overloaded above 30 households)"),
    ],
)
def test_grid_page_landmark_and_brackets(grid, street_officer, client_for, language, landmark, rules):
    page = client_for(street_officer).get("/workforce/grid/?code=620103001001", HTTP_ACCEPT_LANGUAGE=language)
    body = page.content.decode()
    assert f'<nav class="crumbs" aria-label="{landmark}">' in body
    assert rules in body


def test_a_local_rule_set_without_an_english_name_shows_its_name(grid, street_officer, client_for):
    """New-user trial 14: the English page shows ``name_en`` (GridRuleSet.display_name); a set without
    one (entered locally) keeps its Chinese name rather than nothing."""
    from lianfang.workforce.models import GridRuleSet

    GridRuleSet.objects.filter(code="qilihe-2022").update(name_en="")
    page = client_for(street_officer).get("/workforce/grid/?code=620103001001", HTTP_ACCEPT_LANGUAGE="en")
    assert "Rules: 四级包保（七里河 2022） (overloaded above 30 households)" in page.content.decode()


def test_the_shipped_rule_set_is_named_in_english():
    import datetime as dt

    from django.utils import translation

    from lianfang.workforce.models import GridRuleSet

    rules = GridRuleSet.in_force(dt.date(2026, 11, 30))
    assert rules.name_en == "Four-level responsibility (Qilihe 2022)"
    with translation.override("zh-hans"):
        assert rules.display_name == "四级包保（七里河 2022）"
    with translation.override("en"):
        assert rules.display_name == "Four-level responsibility (Qilihe 2022)"
