"""A day before the first grid rule set took effect is a 400 naming the day, on pages and in the API
(was a 500: GridRuleSet.DoesNotExist from the coverage, problems and proposal reads)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ZH = "“2000-01-01”没有生效的包保规则（最早的包保规则于 2020-01-01 生效）。"
EN = "No grid rule set was in force on “2000-01-01” (the first took effect on 2020-01-01)."


def test_api_coverage_before_any_rule_set_is_a_400_naming_the_day(grid, street_officer, api_for):
    api = api_for(street_officer)
    response = api.get("/api/v1/coverage/", {"on": "2000-01-01"})
    assert response.status_code == 400
    assert response.json() == {"on": [ZH]}
    response = api.get("/api/v1/coverage/", {"on": "2000-01-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"on": [EN]}


@pytest.mark.parametrize(
    "path",
    ["/workforce/grid/", "/workforce/grid/problems/?kind=overloaded&", "/workforce/grid/proposal/"],
)
def test_pages_before_any_rule_set_are_a_400_naming_the_day(grid, street_officer, client_for, path):
    sep = "" if path.endswith("&") else "?"
    response = client_for(street_officer).get(f"{path}{sep}on=2000-01-01")
    assert response.status_code == 400
    assert f"日期（on）：{ZH}" in response.content.decode()


def test_assignment_before_any_rule_set_names_starts_on(grid):
    import datetime as dt

    from django.core.exceptions import ValidationError
    from django.utils import translation

    from lianfang.workforce import services

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.assignment_create(
            actor=None, level=3, worker=grid["staff_a"], division=grid["compound_a"], starts_on=dt.date(2000, 1, 1)
        )
    assert exc.value.message_dict == {"starts_on": [EN]}
