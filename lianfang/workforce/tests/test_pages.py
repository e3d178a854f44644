"""Pages: scope per persona (404 / empty for outsiders), reveal, writes from the pages, query budgets."""

from __future__ import annotations

import re

import pytest

from lianfang.core.models import AuditEntry
from lianfang.registry.models import Household
from lianfang.workforce.models import ResponsibilityAssignment, Worker
from lianfang.workforce.tests.conftest import DAY

pytestmark = pytest.mark.django_db

ON = {"on": DAY.isoformat()}


def _names(response, testid: str) -> set[str]:
    table = response.content.decode().split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r'/workforce/workers/\d+/">([^<]+)<', table))


def test_household_representative_sees_only_their_households(grid, representative, client_for):
    from lianfang.core.scoping import scope_for

    assert set(Household.objects.visible_to(representative)) == {grid["h1"], grid["h2"]}
    assert scope_for(representative).codes == ()  # the role opens no division subtree
    client = client_for(representative)
    mine = client.get("/workforce/")
    assert mine.status_code == 200
    assert mine.content.decode().count("/workforce/grid/household/") == 2
    chain = client.get(f"/workforce/grid/household/{grid['h1'].pk}/")
    assert chain.status_code == 200
    html = chain.content.decode()
    assert "139****0005" in html and "13900000005" not in html and "reveal-phone" not in html
    assert client.get(f"/workforce/grid/household/{grid['h3'].pk}/").status_code == 404
    detail = client.get(f"/registry/households/{grid['h1'].pk}/")
    assert detail.status_code == 200
    assert "1101**********002X" in detail.content.decode() and "11010519491231002X" not in detail.content.decode()
    assert client.get(f"/registry/households/{grid['h3'].pk}/").status_code == 404
    assert client.get("/workforce/sheet/").status_code == 404  # no division to see
    assert client.get("/workforce/grid/").status_code == 404
    # Workers: only the chain of their own households.
    assert set(Worker.objects.visible_to(representative).values_list("name", flat=True)) == {"吴代表"}
    assert client.post(f"/workforce/workers/{grid['rep_a'].pk}/reveal/phone/").status_code == 403


def test_workers_by_persona(grid, community_staff, other_community_staff, street_officer, outsider, client_for):
    everyone = {"郑书记", "钱干部", "孙社工", "周网格", "吴代表", "冯代表"}
    expected = {
        community_staff: {"郑书记", "钱干部", "孙社工", "吴代表"},  # deployed, based or responsible in 下西园
        other_community_staff: {"郑书记", "周网格", "冯代表"},
        street_officer: everyone,
        outsider: set(),
    }
    for user, names in expected.items():
        response = client_for(user).get("/workforce/workers/")
        assert response.status_code == 200
        assert _names(response, "workers") == names, user


@pytest.mark.parametrize(
    "url",
    [
        "/workforce/grid/?code=620103001001",
        "/workforce/grid/gaps/?code=620103001001&level=4",
        "/workforce/grid/gaps/?code=620103001001&level=2",
        "/workforce/grid/problems/?code=620103001001&kind=outside",
        "/workforce/grid/problems/?code=620103001001&kind=overloaded",
        "/workforce/grid/proposal/?code=620103001001",
        "/workforce/sheet/?code=620103001001",
        "/workforce/sheet/units/?code=620103001001",
        "/workforce/grid/household/{h1}/",
        "/workforce/workers/{cadre}/",
        "/workforce/teams/{team}/",
    ],
)
def test_outsider_and_other_community_get_404(grid, url, community_staff, other_community_staff, outsider, client_for):
    from lianfang.workforce.services import team_create

    team = team_create(actor=None, name="志愿服务队", base_division=grid["xia"], members=[grid["staff_a"]])
    url = url.format(h1=grid["h1"].pk, cadre=grid["staff_a"].pk, team=team.pk)
    assert client_for(community_staff).get(url).status_code == 200
    assert client_for(other_community_staff).get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404


@pytest.mark.parametrize(
    ("url", "testid"),
    [
        ("/workforce/workers/", "workers"),
        ("/workforce/teams/", "teams"),
        ("/workforce/deployments/", "deployments"),
        ("/workforce/assignments/", "assignments"),
    ],
)
def test_lists_empty_for_outsider(grid, url, testid, outsider, client_for):
    response = client_for(outsider).get(url)
    assert response.status_code == 200
    body = response.content.decode().split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    assert "/workforce/workers/" not in body and "/workforce/teams/" not in body


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/workforce/", 10),
        ("/workforce/workers/", 12),
        ("/workforce/teams/", 10),
        ("/workforce/deployments/", 10),
        ("/workforce/assignments/", 10),
        ("/workforce/grid/", 16),
        ("/workforce/grid/gaps/?level=4", 12),
        ("/workforce/grid/gaps/?level=3", 18),
        ("/workforce/grid/problems/?kind=outside", 12),
        ("/workforce/grid/problems/?kind=overloaded", 12),
        ("/workforce/grid/proposal/", 30),
        ("/workforce/sheet/", 12),
        ("/workforce/sheet/units/", 10),
    ],
)
def test_query_budgets(grid, url, budget, street_officer, client_for, django_assert_max_num_queries):
    from lianfang.workforce.services import team_create

    team_create(actor=None, name="志愿服务队", base_division=grid["xia"], members=[grid["staff_a"], grid["cadre"]])
    client = client_for(street_officer)
    separator = "&" if "?" in url else "?"
    with django_assert_max_num_queries(budget):
        response = client.get(f"{url}{separator}on={DAY.isoformat()}")
    assert response.status_code == 200


def test_bad_input_is_a_clear_400(grid, street_officer, client_for):
    client = client_for(street_officer)
    for url in (
        "/workforce/grid/?on=2022-13-01",
        "/workforce/grid/gaps/?level=9",
        "/workforce/grid/gaps/?level=x",
        "/workforce/grid/problems/?kind=nope",
        "/workforce/workers/?deployed_within=abc",
        "/workforce/sheet/units/?level=7",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert 'data-testid="errors"' in response.content.decode()


def test_deployed_within_out_of_scope_or_unknown_is_a_400_naming_it(grid, community_staff, client_for, api_for):
    """New-user trial 8: another community or an unknown code gave 200 and an empty list."""
    for code in ("620103001002", "620103999999"):
        page = client_for(community_staff).get("/workforce/workers/", {"deployed_within": code})
        assert page.status_code == 400 and code in page.content.decode(), code
        api = api_for(community_staff).get("/api/v1/workers/", {"deployed_within": code})
        assert (
            api.status_code == 400
            and list(api.json()) == ["deployed_within"]
            and code in api.json()["deployed_within"][0]
        )
    own = client_for(community_staff).get("/workforce/workers/", {"deployed_within": "620103001001"})
    assert own.status_code == 200


def test_reveal_worker_phone_is_audited(grid, community_staff, outsider, client_for):
    url = f"/workforce/workers/{grid['rep_a'].pk}/reveal/phone/"
    response = client_for(community_staff).post(url)
    assert response.status_code == 200 and "13900000005" in response.content.decode()
    entry = AuditEntry.objects.get(action="view_pii", object_type="workforce.worker")
    assert entry.detail["field"] == "phone" and entry.object_id == str(grid["rep_a"].pk)
    assert client_for(community_staff).post(f"/workforce/workers/{grid['rep_a'].pk}/reveal/id/").status_code == 200
    assert client_for(community_staff).post(f"/workforce/workers/{grid['rep_a'].pk}/reveal/name/").status_code == 400
    assert client_for(outsider).post(url).status_code == 404


def test_assign_and_hand_over_from_the_chain_page(grid, community_staff, other_community_staff, client_for):
    h3 = grid["h3"]
    url = f"/workforce/grid/household/{h3.pk}/"
    assert client_for(community_staff).post(url, {"to_worker": grid["rep_b"].pk, "on": "2022-04-01"}).status_code == 404
    client = client_for(other_community_staff)
    page = client.get(url)
    assert f'value="{grid["rep_b"].pk}"' in page.content.decode()
    response = client.post(url, {"to_worker": grid["rep_b"].pk, "on": "2022-04-01"})
    assert response.status_code == 302
    a = ResponsibilityAssignment.objects.get(household=h3, level=4)
    assert (a.worker, a.starts_on.isoformat(), a.ends_on) == (grid["rep_b"], "2022-04-01", None)
    # Handing over to someone outside the user's scope: refused with a message, nothing written.
    response = client.post(url, {"to_worker": grid["rep_a"].pk, "on": "2022-04-05"})
    assert response.status_code == 400
    assert ResponsibilityAssignment.objects.filter(household=h3).count() == 1
    from lianfang.workforce.services import worker_create

    new = worker_create(
        actor=None, name="褚代表", categories=["household_representative"], base_division=grid["compound_b"]
    )
    assert client.post(url, {"to_worker": new.pk, "on": "2022-04-05", "reason": "搬家"}).status_code == 302
    history = list(ResponsibilityAssignment.objects.filter(household=h3).order_by("starts_on"))
    assert [(a.worker.name, str(a.starts_on), str(a.ends_on)) for a in history] == [
        ("冯代表", "2022-04-01", "2022-04-04"),
        ("褚代表", "2022-04-05", "None"),
    ]


def test_proposal_page_confirms_only_ticked_lines(grid, street_officer, community_staff, client_for):
    url = "/workforce/grid/proposal/?code=620103001&on=2022-03-27"
    page = client_for(street_officer).get(url)
    tokens = re.findall(r'name="item" value="([^"]+)"', page.content.decode())
    assert len(tokens) == 2
    l4 = next(t for t in tokens if t.startswith("4:"))
    assert (
        client_for(community_staff).post(url.replace("620103001&", "620103001002&"), {"item": [l4]}).status_code == 404
    )
    response = client_for(street_officer).post(url, {"item": [l4]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[0][1] == 302
    assert [str(m) for m in response.context["messages"]] == ["1 assignment created."]  # not "1 assignments"
    assert ResponsibilityAssignment.objects.get(household=grid["h3"]).worker == grid["rep_b"]
    assert not ResponsibilityAssignment.objects.filter(level=2, division=grid["compound_b"]).exists()
    again = client_for(street_officer).post(url, {"item": [l4]}, follow=True)
    assert "冯代表" in again.content.decode()  # the clash is named in the error message


def test_admin_lists_are_read_only(grid, client_for):
    from lianfang.accounts.models import User

    admin = User.objects.create_superuser("root", password="x")  # noqa: S106
    client = client_for(admin)
    for model in ("worker", "deployment", "team", "responsibilityassignment", "gridruleset"):
        assert client.get(f"/admin/workforce/{model}/").status_code == 200
        assert client.get(f"/admin/workforce/{model}/add/").status_code == 403
    assert client.get(f"/admin/workforce/worker/{grid['rep_a'].pk}/change/").status_code == 200


def test_grid_worker_sees_the_sheet_of_their_community_counting_only_their_rows(grid, client_for):
    from lianfang.conftest import _user
    from lianfang.workforce.services import deployment_create, worker_create

    volunteer = worker_create(actor=None, name="卫志愿", categories=["volunteer"], base_division=grid["xia"])
    deployment_create(actor=None, worker=volunteer, division=grid["compound_a"], starts_on=DAY)
    user = _user("gridworker", "grid_worker", grid["compound_a"].code)
    client = client_for(user)
    response = client.get("/workforce/sheet/", ON)
    assert response.status_code == 200
    html = response.content.decode()
    # The heading names what is counted: their compound in the community, not the whole community.
    assert 'data-testid="sheet-division">下西园社区阳光小区<' in html
    # Only the deployment inside their compound is counted, not the community's two others.
    assert re.search(r'data-testid="cell-620103001001-total-total">1<', html)
    assert client.get("/workforce/sheet/", {"code": "620103001002", **ON}).status_code == 404
    assert client.get("/workforce/grid/", {"code": "620103001001", **ON}).status_code == 404


def test_index_for_outsider_shows_nothing(grid, outsider, client_for):
    response = client_for(outsider).get("/workforce/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/workforce/grid/household/" not in html and 'data-testid="my-responsibilities"' not in html
    assert "您尚未被分配角色或包保责任。" in html


@pytest.mark.parametrize("role", ["community_staff", "stationed_cadre"])
def test_sheet_units_open_for_community_level_users(grid, role, client_for):
    """The sheet's "communities" and "compounds" figures open for community staff and stationed cadres
    of the community (as create_demo_users makes them), with the units counted; the street is not theirs."""
    from lianfang.conftest import _user

    client = client_for(_user("unit-user", role, grid["xia"].code))
    expected = {5: ["下西园社区"], 6: ["阳光小区"]}
    for level, names in expected.items():
        for code in ("620103001001", grid["compound_a"].code, None):  # a compound code is cut to its community
            query = {"level": level, **ON, **({"code": code} if code else {})}
            response = client.get("/workforce/sheet/units/", query)
            assert response.status_code == 200, (role, level, code)
            html = response.content.decode()
            assert f'data-testid="units-count">{len(names)}<' in html
            table = html.split('data-testid="units"', 1)[1].split("</table>", 1)[0]
            assert re.findall(r'/divisions/\d+/">([^<]+)<', table) == names
        assert client.get("/workforce/sheet/units/", {"code": "620103001", "level": level, **ON}).status_code == 404
    # The sheet links to exactly these lists.
    sheet = client.get("/workforce/sheet/", ON).content.decode()
    links = set(re.findall(r'href="(/workforce/sheet/units/[^"]+)"', sheet))
    assert links == {
        f"/workforce/sheet/units/?code=620103001001&amp;on={DAY.isoformat()}&amp;level=5",
        f"/workforce/sheet/units/?code=620103001001&amp;on={DAY.isoformat()}&amp;level=6",
    }


def test_representative_choices_for_street_and_community_users(grid, street_officer, community_staff, client_for):
    """The hand-over form offers the representatives based in the household's compound, with their load,
    to a street officer and to the community's staff alike."""

    def options(user, household) -> list[str]:
        html = client_for(user).get(f"/workforce/grid/household/{household.pk}/").content.decode()
        select = html.split('<select name="to_worker"', 1)[1].split("</select>", 1)[0]
        return re.findall(r'<option value="\d+">([^<]+)</option>', select)

    a, b = grid["compound_a"].name, grid["compound_b"].name  # place names, never codes (fourth trial)
    assert options(street_officer, grid["h1"]) == [f"吴代表 · {a} · 2 户"]
    assert options(community_staff, grid["h1"]) == [f"吴代表 · {a} · 2 户"]
    assert options(street_officer, grid["h3"]) == [f"冯代表 · {b} · 0 户"]


def test_bad_values_and_refusals_are_named_in_the_reader_language(grid, street_officer, representative, client_for):
    client = client_for(street_officer)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    bad_day = client.get("/workforce/grid/?on=abc", **zh)
    assert bad_day.status_code == 400
    body = bad_day.content.decode()
    assert "日期（on）：“abc”不是日期（格式为 YYYY-MM-DD）" in body and "输入一个有效的日期" not in body
    english = client.get("/workforce/grid/?on=abc", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Date (on): “abc” is not a date (YYYY-MM-DD)" in english
    unknown = client.post(f"/workforce/workers/{grid['rep_a'].pk}/reveal/name/", **zh)
    assert unknown.status_code == 400
    assert unknown.content.decode() == "未知字段 name：只能查看 phone（电话）或 id（证件号码）"
    refused = client_for(representative).post(f"/workforce/workers/{grid['rep_a'].pk}/reveal/phone/", **zh)
    page = refused.content.decode()
    assert refused.status_code == 403 and "<h1>无权访问</h1>" in page and "查看未脱敏的证件号码和电话" in page


def test_hand_over_form_names_a_bad_day_and_the_picker_names_places(grid, other_community_staff, client_for):
    """Fourth new-user trial: ``on=2026-02-30`` answered a 400 page without its message (only
    form-wide errors were shown), and the picker showed each representative's division code."""
    url = f"/workforce/grid/household/{grid['h3'].pk}/"
    client = client_for(other_community_staff)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    place = grid["rep_b"].path
    assert f"冯代表 · {grid['compound_b'].name} · " in page and f"· {place} ·" not in page
    response = client.post(url, {"to_worker": grid["rep_b"].pk, "on": "2026-02-30"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    flash = re.search(r'<div class="flash error" role="alert"><p>([^<]*)</p>', response.content.decode()).group(1)
    assert flash == "起始日期：“2026-02-30”不是日期（格式为 YYYY-MM-DD）"
    assert not ResponsibilityAssignment.objects.filter(household=grid["h3"], level=4).exists()
