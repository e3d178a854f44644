"""Scope: an outsider gets 404 (or a 400 naming a code they asked for) or an empty list everywhere;
community staff see their community only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianfang.reports import services
from lianfang.reports.tests.conftest import SHANG, XIA, XIYUAN

pytestmark = pytest.mark.django_db

PAGES = [
    ("reports:overview", {}),
    ("reports:daily", {}),
    ("reports:daily_export", {"format": "json"}),
    ("reports:trends", {}),
    ("reports:layout", {"key": "health-commission-daily"}),
    ("reports:layout_export", {"key": "health-commission-daily", "format": "json"}),
    ("reports:records", {"source": "control_areas"}),
]


def _url(name, params, code=None):
    kwargs = {k: params[k] for k in ("key", "source") if k in params}
    query = {k: v for k, v in params.items() if k not in kwargs}
    if code:
        query["code"] = code
    text = "&".join(f"{k}={v}" for k, v in query.items())
    return reverse(name, kwargs=kwargs) + (f"?{text}" if text else "")


@pytest.mark.parametrize(("name", "params"), PAGES)
def test_outsider_gets_404_or_400(scene, client_for, outsider, name, params):
    """No division of their own: 404; a code they may not see: the 400 naming it (new-user trial 14),
    after a layout they may not use (404: not theirs)."""
    client = client_for(outsider)
    assert client.get(_url(name, params)).status_code == 404
    assert client.get(_url(name, params, code=XIYUAN)).status_code == (404 if "key" in params else 400)


@pytest.mark.parametrize(("name", "params"), PAGES)
def test_community_staff_get_400_outside_their_community(scene, client_for, community_staff, name, params):
    client = client_for(community_staff)
    for code in ("620103", XIYUAN, SHANG):
        assert client.get(_url(name, params, code=code)).status_code == 400, (name, code)
    assert client.get(_url(name, params, code=XIA)).status_code == 200, name
    assert client.get(_url(name, params)).status_code == 200, name  # their own community by default


def test_outsider_lists_are_empty(scene, client_for, api_for, outsider, district_commander):
    services.daily_report_close(actor=district_commander, division=scene["street"], day=scene["day"])
    assert 'data-testid="layouts"' in client_for(outsider).get(reverse("reports:layouts")).content.decode()
    assert "health-commission-daily" not in client_for(outsider).get(reverse("reports:layouts")).content.decode()
    assert XIYUAN not in client_for(outsider).get(reverse("reports:daily_list")).content.decode()
    api = api_for(outsider)
    assert api.get("/api/v1/reports/layouts/").json()["count"] == 0
    assert api.get("/api/v1/reports/days/").json()["count"] == 0
    for path in ("/api/v1/reports/overview/", "/api/v1/reports/daily/", "/api/v1/reports/trends/"):
        assert api.get(path).status_code == 404
        assert api.get(f"{path}?code={XIYUAN}").status_code == 400
    assert api.get("/api/v1/reports/layouts/health-commission-daily/rows/").status_code == 404
    assert api.post("/api/v1/reports/daily/close/", {"code": XIYUAN, "date": scene["day"]}).status_code == 404


def test_other_community_staff_do_not_see_a_closed_day(scene, client_for, street_officer, other_community_staff):
    services.daily_report_close(actor=street_officer, division=scene["xia"], day=scene["day"])
    page = client_for(other_community_staff).get(reverse("reports:daily_list")).content.decode()
    assert XIA not in page


def test_community_figures_are_scoped(scene, client_for, community_staff):
    html = client_for(community_staff).get(reverse("reports:overview")).content.decode()
    assert 'data-testid="overview-division">下西园社区<' in html
    assert 'data-testid="n-residents">7<' in html  # 下西园 only (阳光小区 4 + 幸福小区 3)
    assert "上西园" not in html


def test_records_of_a_source_are_scoped(field_scene, client_for, community_staff):
    page = client_for(community_staff).get(reverse("reports:records", args=["screened_people"])).content.decode()
    assert "赵*乡" in page  # h2, in 下西园
    assert "钱*乡" not in page  # h3, in 上西园


def test_unknown_source_and_bad_input(scene, client_for, district_commander):
    client = client_for(district_commander)
    assert client.get(reverse("reports:records", args=["nothing"])).status_code == 404
    assert client.get(f"{reverse('reports:daily')}?date=2022-13-01").status_code == 400
    assert client.get(f"{reverse('reports:daily')}?date=2999-01-01").status_code == 400
    assert client.get(f"{reverse('reports:overview')}?code=abc").status_code == 400
    bad = client.get(f"{reverse('reports:records', args=['positive_pools'])}?state=lost")
    assert bad.status_code == 400 and "lost" in bad.content.decode()
    assert client.get(f"{reverse('reports:overview')}?code={scene['compound_a'].code}").status_code == 400


def test_a_grid_worker_reads_the_daily_report_of_their_part(scene, client_for, api_for):
    """New-user trial: a grid worker (scope: one compound) got 404 on /reports/daily/. They read their
    community's report cut to their compound, told so; another community is a 400 naming it."""
    import datetime as dt

    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.core.navigation import items_for

    grid = User.objects.create_user("grid-a")
    RoleAssignment.objects.create(
        user=grid, role="grid_worker", division=scene["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    client = client_for(grid)
    zh = client.get(reverse("reports:daily"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200 and zh.context["division"].code == XIA
    name = scene["compound_a"].short_name
    assert (
        f'<p class="flash" data-testid="daily-part">这些数字只涵盖下西园社区中您可查看的部分：下西园社区 › {name}。</p>'
        in (zh.content.decode())
    )
    en = client.get(reverse("reports:daily"), HTTP_ACCEPT_LANGUAGE="en")
    assert f"The figures cover only the part of 下西园社区 you may see: 下西园社区 › {name}." in en.content.decode()
    assert reverse("reports:daily") in [url for url, _label in items_for(grid)]
    for code in (SHANG, XIYUAN):
        assert client.get(f"{reverse('reports:daily')}?code={code}").status_code == 400


def test_representatives_daily_report_says_it_counts_their_households(population, client_for):
    """New-user trial 11: a household representative read their community's report, titled with the
    community, its figures only for their households, and nothing said so."""
    import datetime as dt

    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.workforce.services import assignment_create, worker_create, worker_link_user

    rep = worker_create(
        actor=None,
        name="吴代表",
        categories=["household_representative"],
        base_division=population["compound_a"],
        phone="13900000005",
    )
    assignment_create(
        actor=None, level=4, worker=rep, households=[population["h1"], population["h2"]], starts_on=dt.date(2020, 1, 1)
    )
    user = User.objects.create_user(username="rep", display_name="吴代表")
    RoleAssignment.objects.create(
        user=user, role="household_representative", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    worker_link_user(actor=None, worker=rep, user=user)
    client = client_for(user)
    zh = client.get(f"{reverse('reports:daily')}?code={XIA}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200
    part = zh.content.decode().split('data-testid="daily-part">', 1)[1].split("</p>", 1)[0]
    assert part == "这些数字只涵盖下西园社区中您可查看的部分：您负责的2户。"
    en = client.get(f"{reverse('reports:daily')}?code={XIA}", HTTP_ACCEPT_LANGUAGE="en")
    assert "The figures cover only the part of 下西园社区 you may see: the 2 households in your care." in (
        en.content.decode()
    )
