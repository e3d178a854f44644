"""The list pages' filter forms read in the page's language (new-user trial): the empty choice of a
select names what it means (“全部状态” / “Any status”, core.filters.empty_choice_label; a yes/no
select's “全部” / “All”), never Django's “---------” or “Unknown”, and the submit button reads
“筛选” / “Apply filters” (core/_filter_button.html), never Django admin's “过滤器”."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    "assistance:tickets",
    "zones:index",
    "zones:infections",
    "fieldops:people",
    "registry:residents",
    "workforce:workers",
    "workforce:assignments",
    "workforce:deployments",
]


def first_options(html: str) -> dict[str, str]:
    """name → the text of the first option of each select in ``html``."""
    found = {}
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        found[name] = re.search(r"<option[^>]*>([^<]*)</option>", body).group(1).strip()
    return found


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_filter_forms_have_no_django_defaults(population, community_staff, client_for, name, language):
    response = client_for(community_staff).get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("---------", "过滤器", ">Unknown<", ">未知<", '<option value="">—<', "筛选列表", "Filter list"):
        assert text not in html, (name, text)
    assert all(first_options(html).values()), first_options(html)  # every empty choice says what it means
    button = {"zh-hans": "筛选", "en": "Apply filters"}[language]  # the shared button, on every list
    assert re.search(r'data-testid="apply-filters">([^<]*)<', html).group(1) == button, name


@pytest.mark.parametrize(
    ("language", "status", "overdue", "button"),
    [("zh-hans", "全部状态", "全部", "筛选"), ("en", "Any status", "All", "Apply filters")],
)
def test_ticket_filters_are_named(population, community_staff, client_for, language, status, overdue, button):
    html = client_for(community_staff).get(reverse("assistance:tickets"), HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()
    assert first_options(html) == {"status": status, "category": first_options(html)["category"], "overdue": overdue}
    assert first_options(html)["category"] == {"zh-hans": "全部类别", "en": "Any category"}[language]
    assert re.search(r'data-testid="apply-filters">([^<]*)<', html).group(1) == button


@pytest.mark.parametrize(
    ("language", "tier", "button"), [("zh-hans", "全部等级", "筛选"), ("en", "Any tier", "Apply filters")]
)
def test_zones_filters_are_named(population, community_staff, client_for, language, tier, button):
    html = client_for(community_staff).get(reverse("zones:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert first_options(html)["tier"] == tier
    assert re.search(r'data-testid="apply-filters">([^<]*)<', html).group(1) == button


def test_registry_resident_filters_are_named(population, community_staff, client_for):
    html = client_for(community_staff).get(reverse("registry:residents"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    options = first_options(html.content.decode())
    assert options["flag"] == "全部重点人群"
    assert options["residence_status"] == "全部居住状态"


@pytest.mark.parametrize(
    ("language", "category", "level"), [("zh-hans", "全部类别", "全部层级"), ("en", "Any category", "Any level")]
)
def test_workforce_filters_are_named(population, community_staff, client_for, language, category, level):
    """New-user trial: workforce's hand-written selects said “All levels” where the others say “Any …”."""
    client = client_for(community_staff)
    workers = client.get(reverse("workforce:workers"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert first_options(workers)["category"] == category
    assignments = client.get(reverse("workforce:assignments"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert first_options(assignments)["level"] == level
    chosen = client.get(reverse("workforce:assignments") + "?level=4", HTTP_ACCEPT_LANGUAGE=language)
    assert re.search(r'<option value="4" selected>', chosen.content.decode())  # the chosen level stays chosen


@pytest.mark.parametrize(
    ("language", "action", "button"), [("zh-hans", "全部操作", "筛选"), ("en", "Any action", "Apply filters")]
)
def test_audit_log_filters_are_named(district_commander, client_for, language, action, button):
    """New-user trial: /audit/'s empty choice read “—” and its button “筛选列表” / “Filter list”."""
    html = client_for(district_commander).get(reverse("core:audit_log"), HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()
    assert first_options(html)["action"] == action
    assert re.search(r'data-testid="apply-filters">([^<]*)<', html).group(1) == button


@pytest.mark.parametrize(("language", "recipient"), [("zh-hans", "全部包保责任人"), ("en", "Any responsible person")])
def test_fieldops_alert_recipient_filter_is_named(population, community_staff, client_for, language, recipient):
    """New-user trial 8: the alert's recipient filter read “Any for” in English."""
    html = client_for(community_staff).get(reverse("fieldops:alerts"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert first_options(html)["recipient"] == recipient
