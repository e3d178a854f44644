"""Fixtures of the workforce tests: a small hand-built grid over the shared ``population`` fixture.

``grid`` (day ``START`` = 2022-03-20, checked on ``DAY`` = 2022-03-27):

- 西园街道 leader ``leader`` (street staff): L1 for 下西园 and 上西园.
- ``cadre`` (city-level cadre, party member, from 兰州市财政局): deployed to 下西园, L2 for 下西园.
- ``staff_a`` (community staff, 下西园): deployed to 下西园, L3 for 阳光小区 (compound_a).
- ``staff_b`` (community staff and grid worker, 上西园): deployed to 上西园, L3 for 园林小区 (compound_b).
- ``rep_a`` (household representative, based in 阳光小区): L4 for h1 and h2.
- ``rep_b`` (household representative, based in 园林小区): no household yet.
Gaps: h3 has no representative; 上西园 has no L2.
"""

from __future__ import annotations

import datetime as dt

import pytest

START = dt.date(2022, 3, 20)
DAY = dt.date(2022, 3, 27)


@pytest.fixture
def grid(population):
    from lianfang.divisions.models import Division
    from lianfang.workforce import services as s

    street = Division.objects.get(code="620103001")
    xia = Division.objects.get(code="620103001001")
    shang = Division.objects.get(code="620103001002")
    a, b = population["compound_a"], population["compound_b"]
    leader = s.worker_create(
        actor=None,
        name="郑书记",
        categories=["street_staff", "party_member"],
        base_division=street,
        phone="13900000001",
        position="党工委书记",
    )
    cadre = s.worker_create(
        actor=None,
        name="钱干部",
        categories=["city_cadre", "party_member"],
        base_division=street,
        phone="13900000002",
        sending_organisation="兰州市财政局",
    )
    staff_a = s.worker_create(
        actor=None, name="孙社工", categories=["community_staff"], base_division=xia, phone="13900000003"
    )
    staff_b = s.worker_create(
        actor=None,
        name="周网格",
        categories=["community_staff", "grid_worker"],
        base_division=shang,
        phone="13900000004",
    )
    rep_a = s.worker_create(
        actor=None,
        name="吴代表",
        categories=["household_representative"],
        base_division=a,
        phone="13900000005",
        id_number="620103198001010013",
    )
    rep_b = s.worker_create(
        actor=None, name="冯代表", categories=["household_representative"], base_division=b, phone="13900000006"
    )
    s.deployment_create(actor=None, worker=cadre, division=xia, starts_on=START)
    s.deployment_create(actor=None, worker=staff_a, division=xia, starts_on=START)
    s.deployment_create(actor=None, worker=staff_b, division=shang, starts_on=START)
    s.assignment_create(actor=None, level=1, worker=leader, division=xia, starts_on=START)
    s.assignment_create(actor=None, level=1, worker=leader, division=shang, starts_on=START)
    s.assignment_create(actor=None, level=2, worker=cadre, division=xia, starts_on=START)
    s.assignment_create(actor=None, level=3, worker=staff_a, division=a, starts_on=START)
    s.assignment_create(actor=None, level=3, worker=staff_b, division=b, starts_on=START)
    s.assignment_create(
        actor=None, level=4, worker=rep_a, households=[population["h1"], population["h2"]], starts_on=START
    )
    return {
        **population,
        "street": street,
        "xia": xia,
        "shang": shang,
        "leader": leader,
        "cadre": cadre,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "rep_a": rep_a,
        "rep_b": rep_b,
    }


@pytest.fixture
def representative(grid):
    """A signed-in household representative (role without a division subtree) linked to ``rep_a``."""
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.conftest import PASSWORD
    from lianfang.workforce.services import worker_link_user

    user = User.objects.create_user(username="rep", password=PASSWORD, display_name="吴代表")
    RoleAssignment.objects.create(
        user=user, role="household_representative", division=grid["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    worker_link_user(actor=None, worker=grid["rep_a"], user=user)
    return user
