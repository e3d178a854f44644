"""Bad query values on the service-request pages and API are a 400 naming the parameter and the
value, in the reader's language: never silently ignored, clamped or answered with a 404."""

import re

import pytest
from django.urls import reverse

from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import service_request_accept

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
LABELS = {"open": "仅未办结诉求", "overdue": "超时", "mine": "我的"}  # the ticket filters' labels


def bad_query(response) -> list[str]:
    """The 400 page's lines ``<label> (<parameter>): <message>`` (tags stripped)."""
    assert response.status_code == 400
    body = response.content.decode()
    listed = re.search(r'<ul data-testid="bad-query">(.*?)</ul>', body, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", line).strip() for line in re.findall(r"<li>(.*?)</li>", listed, re.S)]


@pytest.fixture
def ticket(grid):
    """A ticket of h1, accepted by the community staff."""
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="other", description="修门", channel="qr"
    )
    return service_request_accept(actor=grid["staff_user"], ticket=ticket)


@pytest.mark.parametrize("value", ["abc", "0", "367", "-1", "7.5", "９"])
def test_board_days_out_of_range_or_not_a_number_is_a_400_naming_it(grid, client_for, value):
    client = client_for(grid["staff_user"])
    lines = bad_query(client.get(reverse("assistance:index"), {"days": value}, **ZH))
    assert lines == [f"天数（days）：“{value}”不是 1 到 366 之间的天数"]
    english = client.get(reverse("assistance:index"), {"days": value}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad_query(english) == [f"Days (days): “{value}” is not a number of days from 1 to 366"]


@pytest.mark.parametrize(("value", "shown"), [("", "7"), ("1", "1"), ("366", "366"), (" 30 ", "30")])
def test_board_days_in_range_is_used(grid, client_for, value, shown):
    response = client_for(grid["staff_user"]).get(reverse("assistance:index"), {"days": value}, **ZH)
    assert response.status_code == 200
    assert response.context["days"] == int(shown)


@pytest.mark.parametrize("name", ["assistance:index", "assistance:qr_sheet"])
def test_malformed_area_code_is_a_400_naming_it(grid, client_for, name):
    client = client_for(grid["staff_user"])
    lines = bad_query(client.get(reverse(name), {"code": "abc"}, **ZH))
    assert lines == ["区划代码（code）：“abc”不是区划代码（应为1至20位数字）"]


@pytest.mark.parametrize("name", ["assistance:index", "assistance:qr_sheet"])
@pytest.mark.parametrize("code", ["620103001002", "620103001001999", "6", "110105"])
def test_area_code_out_of_scope_or_unknown_is_a_400_naming_it(grid, client_for, name, code):
    """New-user trial: an unknown code inside the user's area (620103001001999) or a prefix of it (6)
    showed the board with the bare code as its heading; 上西园 (620103001002, not theirs) and another
    district answered a bare 404. Now the 400 every list answers (core.filters.query_scoped_code)."""
    client = client_for(grid["staff_user"])
    for language, line in (
        ("zh-hans", f"区划代码（code）：“{code}”不是您可查看的区划的代码"),
        ("en", f"Division code (code): “{code}” is not the code of a division you may see"),
    ):
        assert bad_query(client.get(reverse(name), {"code": code}, HTTP_ACCEPT_LANGUAGE=language)) == [line]


def test_area_code_above_or_inside_the_users_scope_shows_the_board(grid, client_for):
    client = client_for(grid["staff_user"])
    places = (("620103001001", "下西园社区"), ("620103", "七里河区"), (grid["compound_a"].code, "阳光小区"))
    for code, heading in places:
        page = client.get(reverse("assistance:index"), {"code": code}, **ZH)
        assert page.status_code == 200
        assert page.context["division"].code == code
        assert heading in page.content.decode()


@pytest.mark.parametrize("name", ["open", "overdue", "mine"])
@pytest.mark.parametrize("value", ["abc", "zz", "maybe", "2x", "yes please"])
def test_ticket_yes_no_filters_refuse_anything_else(grid, ticket, client_for, api_for, name, value):
    page = client_for(grid["staff_user"]).get(reverse("assistance:tickets"), {name: value}, **ZH)
    message = f"“{value}”不是“是”或“否”（可用 true/false、1/0、yes/no、on/off）"
    assert bad_query(page) == [f"{LABELS[name]}（{name}）：{message}"]
    api = api_for(grid["staff_user"]).get("/api/v1/service-requests/", {name: value}, **ZH)
    assert (api.status_code, api.json()) == (400, {name: [message]})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"overdue": "true"}, 0),
        ({"overdue": "0"}, 1),
        ({"overdue": "unknown"}, 1),
        ({"open": "TRUE"}, 1),
        ({"open": "false"}, 0),
        ({"open": "1", "mine": "yes"}, 1),
        ({"mine": "no"}, 1),
        ({"open": ""}, 1),
    ],
)
def test_ticket_yes_no_filters_still_filter(grid, ticket, client_for, api_for, query, expected):
    page = client_for(grid["staff_user"]).get(reverse("assistance:tickets"), query, **ZH)
    assert page.status_code == 200 and page.context["page"].paginator.count == expected
    api = api_for(grid["staff_user"]).get("/api/v1/service-requests/", query, **ZH)
    assert api.status_code == 200 and api.json()["count"] == expected


@pytest.mark.parametrize("name", ["assistance:new", "assistance:medicine_new"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "“abc”不是编号（应为整数）"),
        ("0", "“0”不是编号（编号从1开始）"),
        ("99999999999999999999", "“99999999999999999999”不是编号（数值过大）"),
    ],
)
def test_household_that_is_not_an_id_is_a_400_naming_it(grid, client_for, name, value, message):
    response = client_for(grid["staff_user"]).get(reverse(name), {"household": value}, **ZH)
    assert bad_query(response) == [f"住户（household）：{message}"]


@pytest.mark.parametrize("name", ["assistance:new", "assistance:medicine_new"])
def test_household_out_of_scope_is_still_a_404(grid, client_for, name):
    h3 = grid["h3"]  # 上西园: not the community staff's
    assert client_for(grid["staff_user"]).get(reverse(name), {"household": h3.pk}, **ZH).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("household", "x", "“x”不是编号（应为整数）"), ("resident", "0", "“0”不是编号（编号从1开始）")],
)
def test_api_create_names_a_household_or_resident_that_is_not_an_id(grid, api_for, field, value, message):
    body = {"household": grid["h1"].pk, "category": "other", field: value}
    response = api_for(grid["staff_user"]).post("/api/v1/service-requests/", body, format="json", **ZH)
    assert (response.status_code, response.json()) == (400, {field: [message]})


def test_api_create_for_a_household_out_of_scope_or_unknown_is_the_same_400(grid, api_for):
    """Fourth new-user trial: another community's household answered 404, an unknown id 400 would
    not have: both are now a field error on ``household`` naming the id, in the same words."""
    from lianfang.assistance.models import ServiceRequest

    api = api_for(grid["staff_user"])
    h3 = grid["h3"].pk  # 上西园: not the community staff's
    for household in (h3, 9_999_999):
        body = {"household": household, "category": "other", "description": "修门"}
        response = api.post("/api/v1/service-requests/", body, format="json", **ZH)
        assert (response.status_code, response.json()) == (400, {"household": [f"{household} 不存在或不在您的范围内"]})
    english = api.post(
        "/api/v1/service-requests/", {"household": h3, "category": "other"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json() == {"household": [f"{h3} does not exist or is outside your scope"]}
    assert not ServiceRequest.objects.exists()
