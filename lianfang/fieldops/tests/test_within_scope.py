"""``within`` naming a division the caller does not reach is a 400 naming parameter and value in
the workforce, zones and fieldops API lists (core.filters.ScopedWithinFilter, as in the registry),
never an empty list; their own place (and a part of it) still filters."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/workers/",
    "/api/v1/teams/",
    "/api/v1/deployments/",
    "/api/v1/assignments/",
    "/api/v1/control-areas/",
    "/api/v1/infections/",
    "/api/v1/fieldops/gates/",
    "/api/v1/fieldops/shifts/",
    "/api/v1/fieldops/checkpoints/",
    "/api/v1/fieldops/people/",
    "/api/v1/fieldops/alerts/",
    "/api/v1/fieldops/notices/",
]


@pytest.mark.parametrize("url", LISTS)
def test_out_of_scope_within_is_a_400_naming_it(population, community_staff, api_for, url):
    api = api_for(community_staff)
    response = api.get(url, {"within": "620103001002"})
    assert response.status_code == 400, url
    assert response.json() == {"within": ["“620103001002”不是您可查看的区划的代码"]}, url
    response = api.get(url, {"within": "620103999999"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"within": ["“620103999999” is not the code of a division you may see"]}, url
    assert api.get(url, {"within": "620103001001"}).status_code == 200, url
    assert api.get(url, {"within": population["compound_a"].code}).status_code == 200, url
