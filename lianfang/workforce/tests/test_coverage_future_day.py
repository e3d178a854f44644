"""The coverage API refuses a day still to come as the reports do (core.filters.future_day_error:
“9998-12-31”尚未到来), instead of answering 200 with today's numbers; today is still answered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("on", ["9998-12-31", None])
def test_coverage_refuses_a_future_day(grid, street_officer, api_for, on):
    on = on or (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    api = api_for(street_officer)
    response = api.get("/api/v1/coverage/", {"code": "620103001001", "on": on})
    assert response.status_code == 400
    assert response.json() == {"on": [f"“{on}”尚未到来"]}
    response = api.get("/api/v1/coverage/", {"code": "620103001001", "on": on}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"on": [f"“{on}” is in the future"]}


def test_coverage_of_today_is_answered(grid, street_officer, api_for):
    today = timezone.localdate().isoformat()
    response = api_for(street_officer).get("/api/v1/coverage/", {"code": "620103001001", "on": today})
    assert response.status_code == 200
    assert (
        response.json()["totals"]
        == api_for(street_officer).get("/api/v1/coverage/", {"code": "620103001001"}).json()["totals"]
    )
