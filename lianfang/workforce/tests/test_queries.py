"""Query parameters of the workforce pages: a value that cannot be used is a 400 naming the parameter,
the value and (for a choice) the allowed values in words, in the reader's language; never silently
ignored."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def errors(response) -> list[str]:
    """The lines of the workforce 400 page."""
    body = response.content.decode()
    assert response.status_code == 400, body
    block = body.split('<ul data-testid="errors">', 1)[1].split("</ul>", 1)[0]
    return [item.split("</li>", 1)[0] for item in block.split("<li>")[1:]]


def test_problems_kind_names_the_value_and_the_choices_in_words(grid, street_officer, client_for):
    client = client_for(street_officer)
    assert errors(client.get("/workforce/grid/problems/?kind=zz", **ZH)) == [
        "类型（kind）：“zz”不是可选的值，可选：outside（跨范围包保的责任人）、overloaded（超负荷联户代表）"
    ]
    assert errors(client.get("/workforce/grid/problems/?kind=zz", **EN)) == [
        "Kind (kind): “zz” is not one of the choices: outside (people responsible outside their scope), "
        "overloaded (overloaded representatives)"
    ]
    assert client.get("/workforce/grid/problems/?kind=overloaded").status_code == 200
    assert client.get("/workforce/grid/problems/").context["kind"] == "outside"


def test_gap_and_unit_levels_name_the_value_and_the_levels(grid, street_officer, client_for):
    client = client_for(street_officer)
    assert errors(client.get("/workforce/grid/gaps/?level=x", **EN)) == [
        "Level (level): “x” is not one of the choices: 1 (L1 street/town leadership → community/village), "
        "2 (L2 cadre → community/village or compound), 3 (L3 community staff → compound/village group), "
        "4 (L4 household representative → households)"
    ]
    assert errors(client.get("/workforce/grid/gaps/?level=9", **ZH))[0].startswith(
        "层级（level）：“9”不是可选的值，可选：1（一级：街道（乡镇）领导班子成员 → 社区/村）、2（"
    )
    assert errors(client.get("/workforce/sheet/units/?level=7", **ZH)) == [
        "层级（level）：“7”不是可选的值，可选：5（社区/村）、6（小区/村民小组）"
    ]
    assert errors(client.get("/workforce/sheet/units/?level=compounds", **EN)) == [
        "Level (level): “compounds” is not one of the choices: 5 (Community/village), 6 (Compound/village group)"
    ]
    assert client.get("/workforce/sheet/units/?level=6").context["level"] == 6


def test_division_code_names_the_value(grid, street_officer, client_for, api_for):
    client = client_for(street_officer)
    assert errors(client.get("/workforce/grid/?code=62x", **ZH)) == [
        "区划代码（code）：“62x”不是区划代码（应为1至20位数字）"
    ]
    # full-width digits (a Chinese input method's) read as the code (core.filters.CodeField, NFKC)
    assert client.get("/workforce/sheet/?code=６２０１０３００１", **EN).context["division"].code == "620103001"
    assert errors(client.get("/workforce/sheet/?code=６２０１Ｘ", **EN)) == [
        "Division code (code): “6201X” is not a division code (1 to 20 digits)"
    ]
    response = api_for(street_officer).get("/api/v1/coverage/", {"code": "62x"}, **EN)
    assert response.status_code == 400
    assert response.json() == {"code": ["“62x” is not a division code (1 to 20 digits)"]}


def test_household_chain_day_that_is_not_a_date_is_a_400(grid, community_staff, client_for):
    client = client_for(community_staff)
    url = f"/workforce/grid/household/{grid['h1'].pk}/"
    assert errors(client.get(f"{url}?on=2022-02-30", **EN)) == ["Date (on): “2022-02-30” is not a date (YYYY-MM-DD)"]
    assert errors(client.get(f"{url}?on=abc", **ZH)) == ["日期（on）：“abc”不是日期（格式为 YYYY-MM-DD）"]
    assert client.get(f"{url}?on=2022-03-27").context["day"].isoformat() == "2022-03-27"
