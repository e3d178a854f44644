"""Yes/no filters of the workforce, zones and fieldops API refuse a value that is neither (core's
FilterBackend): a 400 naming the parameter, not an unfiltered 200."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url,name",
    [
        ("/api/v1/rule-sets/", "shipped"),
        ("/api/v1/assignments/", "current"),
        ("/api/v1/workers/", "has_account"),
        ("/api/v1/fieldops/gates/", "is_active"),
        ("/api/v1/fieldops/checkpoints/", "is_active"),
        ("/api/v1/fieldops/disinfection-schedules/", "is_active"),
        ("/api/v1/fieldops/check-ins/", "abnormal"),
        ("/api/v1/fieldops/people/", "needs_verification"),
    ],
)
def test_a_yes_no_filter_refuses_abc(population, community_staff, api_for, url, name):
    response = api_for(community_staff).get(url, {name: "abc"})
    assert response.status_code == 400, url
    assert list(response.json()) == [name] and "abc" in response.json()[name][0], url
    assert api_for(community_staff).get(url, {name: "true"}).status_code == 200, url
