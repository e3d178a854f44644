"""Pages that take a day through DivisionDayForm (new-user trial): those that show what is — the
daily sheet and its exports, the grid's coverage, its gaps and problems — refuse a day to come with a
400 naming the day on ``on`` by its label (日期（on）：“…”尚未到来: core.filters.future_day_error, as
/api/v1/coverage/ and the reports do); the planning pages — the gap-fill proposal and a household's
chain (a scheduled hand-over) — still take one. Today is answered everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianfang.workforce.tests.test_queries import EN, ZH, errors

pytestmark = pytest.mark.django_db

REFUSING = [
    "/workforce/grid/",
    "/workforce/grid/gaps/?level=4",
    "/workforce/grid/problems/?kind=outside",
    "/workforce/sheet/",
    "/workforce/sheet/export/",
    "/workforce/sheet/units/",
]


def tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def with_day(url: str, day: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}on={day}"


@pytest.mark.parametrize("url", REFUSING)
def test_views_of_what_is_refuse_a_day_to_come(grid, street_officer, client_for, url):
    client = client_for(street_officer)
    day = tomorrow()
    assert errors(client.get(with_day(url, day), **ZH)) == [f"日期（on）：“{day}”尚未到来"]
    assert errors(client.get(with_day(url, "9998-12-31"), **EN)) == ["Date (on): “9998-12-31” is in the future"]
    assert client.get(with_day(url, timezone.localdate().isoformat())).status_code == 200


def test_coverage_date_picker_offers_no_day_to_come(grid, street_officer, client_for):
    from lianfang.workforce.forms import DivisionDayForm

    assert DivisionDayForm().fields["on"].widget.attrs["max"] == timezone.localdate().isoformat()
    assert "max" not in DivisionDayForm(future=True).fields["on"].widget.attrs
    # the pages' own day field (workforce/_division_day_form.html) too (new-user trial 8: no max)
    for url in ("/workforce/grid/", "/workforce/sheet/"):
        page = client_for(street_officer).get(url).content.decode()
        assert f'name="on" value="{timezone.localdate().isoformat()}" max="{timezone.localdate().isoformat()}"' in page


def test_gap_fill_proposal_plans_a_day_to_come(grid, street_officer, client_for):
    client = client_for(street_officer)
    day = tomorrow()
    response = client.get(f"/workforce/grid/proposal/?code=620103001001&on={day}", **ZH)
    assert response.status_code == 200
    assert response.context["day"].isoformat() == day
    # its link to the coverage goes to today's (the coverage shows no day to come)
    today = timezone.localdate().isoformat()
    assert response.context["coverage_url"] == f"/workforce/grid/?code=620103001001&on={today}"
    assert client.get(response.context["coverage_url"]).status_code == 200


def test_household_chain_shows_a_day_to_come(grid, street_officer, client_for):
    response = client_for(street_officer).get(f"/workforce/grid/household/{grid['h1'].pk}/?on={tomorrow()}")
    assert response.status_code == 200
    assert response.context["day"].isoformat() == tomorrow()
