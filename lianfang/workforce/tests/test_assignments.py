"""Responsibility assignments: database invariants, service validation, hand-over history, chain."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from lianfang.core.models import AuditEntry
from lianfang.workforce import selectors, services
from lianfang.workforce.models import Deployment, EndReason, ResponsibilityAssignment
from lianfang.workforce.tests.conftest import DAY, START

pytestmark = pytest.mark.django_db


def _raw_l4(grid, household, worker, starts_on, ends_on=None):
    """Insert an L4 row directly (no service): only the database can refuse it."""
    return ResponsibilityAssignment.objects.create(
        district=household.district,
        level=4,
        worker=worker,
        division=household.unit,
        household=household,
        community=household.community,
        compound=household.compound,
        path=household.path,
        starts_on=starts_on,
        ends_on=ends_on,
    )


def test_database_refuses_overlapping_l4_periods(grid):
    h1, rep_b = grid["h1"], grid["rep_b"]
    # Open-ended row exists since START: a closed period overlapping it is refused by the exclusion
    # constraint (PostgreSQL) or trigger (SQLite), not only by the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_l4(grid, h1, rep_b, dt.date(2022, 1, 1), dt.date(2022, 3, 20))
    # A second open-ended row: refused too.
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_l4(grid, h1, rep_b, dt.date(2022, 4, 1))
    # A period that ends the day before START does not overlap: accepted.
    before = _raw_l4(grid, h1, rep_b, dt.date(2022, 1, 1), dt.date(2022, 3, 19))
    # Widening it to overlap (an UPDATE) is refused as well.
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponsibilityAssignment.objects.filter(pk=before.pk).update(ends_on=dt.date(2022, 3, 20))
    assert ResponsibilityAssignment.objects.filter(household=h1, level=4).count() == 2


def test_database_refuses_overlapping_unit_periods_and_bad_rows(grid):
    xia, staff_a, leader = grid["xia"], grid["staff_a"], grid["leader"]
    common = {"district": xia.district, "division": xia, "community": xia, "path": xia.code}
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponsibilityAssignment.objects.create(level=1, worker=staff_a, starts_on=dt.date(2022, 5, 1), **common)
    with pytest.raises(IntegrityError), transaction.atomic():  # L1 row naming a household
        ResponsibilityAssignment.objects.create(
            level=1, worker=leader, household=grid["h1"], starts_on=dt.date(2021, 1, 1), **common
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # ends before it starts
        ResponsibilityAssignment.objects.create(
            level=2, worker=leader, starts_on=dt.date(2021, 5, 1), ends_on=dt.date(2021, 4, 1), **common
        )
    # Another level on the same unit is a different slot: allowed.
    ResponsibilityAssignment.objects.create(level=3, worker=staff_a, starts_on=START, **common)


def test_database_refuses_overlapping_deployments(grid):
    cadre, shang = grid["cadre"], grid["shang"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Deployment.objects.create(
            district=shang.district, worker=cadre, division=shang, community=shang, path=shang.code, starts_on=DAY
        )
    with pytest.raises(ValidationError) as err:
        services.deployment_create(actor=None, worker=cadre, division=shang, starts_on=DAY)
    assert "620103001001" in str(err.value)


def test_service_names_the_clash_and_writes_nothing(grid):
    before = ResponsibilityAssignment.objects.count()
    with pytest.raises(ValidationError) as err:
        services.assignment_create(
            actor=None, level=4, worker=grid["rep_b"], households=[grid["h3"], grid["h1"]], starts_on=DAY
        )
    assert "吴代表" in str(err.value) and f"{grid['h1'].pk}" in str(err.value)
    assert ResponsibilityAssignment.objects.count() == before  # h3 was not written either


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"level": 4, "worker": "staff_a", "households": ["h3"]}, "worker"),  # not a representative
        ({"level": 3, "worker": "staff_a", "division": "xia"}, "division"),  # L3 is for compounds
        ({"level": 1, "worker": "leader", "division": "compound_a"}, "division"),  # L1 is for communities
        ({"level": 4, "worker": "rep_b", "division": "compound_b"}, "division"),  # L4 names households
        ({"level": 7, "worker": "rep_b", "households": ["h3"]}, "level"),
    ],
)
def test_assignment_rules(grid, kwargs, field):
    args = {
        k: (grid[v] if isinstance(v, str) else [grid[h] for h in v] if isinstance(v, list) else v)
        for k, v in kwargs.items()
    }
    with pytest.raises(ValidationError) as err:
        services.assignment_create(actor=None, starts_on=DAY, **args)
    assert field in err.value.message_dict


def test_worker_validation_names_field_and_value(grid):
    with pytest.raises(ValidationError) as err:
        services.worker_create(
            actor=None,
            name=" ",
            categories=["city_cadre", "astronaut"],
            base_division=grid["street"],
            phone="12345",
            id_number="440524188001010000",
        )
    errors = err.value.message_dict
    assert set(errors) >= {"name", "categories", "phone", "id_number"}
    assert "astronaut" in errors["categories"][0] and "12345" in errors["phone"][0]
    with pytest.raises(ValidationError) as err:
        services.worker_create(actor=None, name="钱二", categories=["district_cadre"], base_division=grid["street"])
    assert "sending_organisation" in err.value.message_dict


def test_hand_over_keeps_one_answer_for_every_day(grid):
    h1, h2, rep_a, rep_b = grid["h1"], grid["h2"], grid["rep_a"], grid["rep_b"]
    current = list(ResponsibilityAssignment.objects.filter(household__in=[h1, h2], level=4).order_by("pk"))
    on = dt.date(2022, 4, 10)
    new = services.assignment_hand_over(actor=None, assignments=current, to_worker=rep_b, on=on, reason="moved away")
    assert [a.previous_id for a in new] == [a.pk for a in current]
    old = ResponsibilityAssignment.objects.get(pk=current[0].pk)
    assert (old.ends_on, old.end_reason) == (dt.date(2022, 4, 9), EndReason.HANDED_OVER)
    for day, expected in [
        (dt.date(2022, 3, 19), None),
        (START, rep_a),
        (dt.date(2022, 4, 9), rep_a),
        (on, rep_b),
        (dt.date(2026, 1, 1), rep_b),
    ]:
        chain = selectors.responsibility_chain(h1, on=day)
        assert chain[0][0] == 4
        assert (chain[0][1].worker if chain[0][1] else None) == expected, day
    assert AuditEntry.objects.filter(action="hand_over", object_type="workforce.responsibilityassignment").count() == 2


def test_hand_over_refuses_stale_or_same_day(grid):
    current = ResponsibilityAssignment.objects.get(household=grid["h1"], level=4)
    with pytest.raises(ValidationError):  # cannot hand over on the first day (nothing to keep)
        services.assignment_hand_over(actor=None, assignments=[current], to_worker=grid["rep_b"], on=START)
    with pytest.raises(ValidationError):  # a community worker cannot be a representative
        services.assignment_hand_over(actor=None, assignments=[current], to_worker=grid["staff_a"], on=DAY)
    stale = ResponsibilityAssignment.objects.get(pk=current.pk)
    ResponsibilityAssignment.objects.filter(pk=current.pk).update(ends_on=dt.date(2022, 3, 30))  # changed meanwhile
    with pytest.raises(ValidationError):
        services.assignment_hand_over(actor=None, assignments=[stale], to_worker=grid["rep_b"], on=DAY)
    assert ResponsibilityAssignment.objects.filter(household=grid["h1"]).count() == 1


def test_end_leaves_a_gap_from_the_next_day(grid):
    current = ResponsibilityAssignment.objects.get(household=grid["h1"], level=4)
    assert services.assignment_end(actor=None, assignments=[current], ends_on=DAY, reason=EndReason.WITHDRAWN) == 1
    assert selectors.responsibility_chain(grid["h1"], on=DAY)[0][1].worker == grid["rep_a"]
    assert selectors.responsibility_chain(grid["h1"], on=DAY + dt.timedelta(days=1))[0][1] is None
    with pytest.raises(ValidationError):
        services.assignment_end(actor=None, assignments=[current], ends_on=DAY, reason="bored")


def test_responsibility_chain_on_a_day(grid):
    chain = selectors.responsibility_chain(grid["h1"], on=DAY)
    assert [(level, a.worker.name if a else None) for level, a in chain] == [
        (4, "吴代表"),
        (3, "孙社工"),
        (2, "钱干部"),
        (1, "郑书记"),
    ]
    chain = selectors.responsibility_chain(grid["h3"], on=DAY)
    assert [(level, a.worker.name if a else None) for level, a in chain] == [
        (4, None),
        (3, "周网格"),
        (2, None),
        (1, "郑书记"),
    ]
    assert [a for _level, a in selectors.responsibility_chain(grid["h1"], on=dt.date(2022, 3, 1))] == [None] * 4


def test_l2_on_compound_wins_over_community(grid):
    other = services.worker_create(
        actor=None,
        name="李区干",
        categories=["district_cadre"],
        base_division=grid["street"],
        sending_organisation="七里河区民政局",
    )
    services.assignment_create(actor=None, level=2, worker=other, division=grid["compound_a"], starts_on=START)
    assert selectors.responsibility_chain(grid["h1"], on=DAY)[2][1].worker == other
    result = selectors.responsible_for([grid["h1"].pk, grid["h2"].pk, grid["h3"].pk], 2, on=DAY)
    assert {pk: a.worker.name for pk, a in result.items()} == {grid["h1"].pk: "李区干", grid["h2"].pk: "李区干"}


def test_responsible_for_in_bulk(grid, django_assert_max_num_queries):
    from lianfang.registry.models import Household

    ids = [grid["h1"].pk, grid["h2"].pk, grid["h3"].pk]
    with django_assert_max_num_queries(1):
        l4 = selectors.responsible_for(ids, 4, on=DAY)
    assert {pk: a.worker.name for pk, a in l4.items()} == {grid["h1"].pk: "吴代表", grid["h2"].pk: "吴代表"}
    with django_assert_max_num_queries(2):
        l1 = selectors.responsible_for(Household.objects.filter(pk__in=ids).values("pk"), 1, on=DAY)
    assert {pk: a.worker.name for pk, a in l1.items()} == dict.fromkeys(ids, "郑书记")
    l3 = selectors.responsible_for(ids, 3, on=DAY)
    assert {pk: a.worker.name for pk, a in l3.items()} == {
        grid["h1"].pk: "孙社工",
        grid["h2"].pk: "孙社工",
        grid["h3"].pk: "周网格",
    }
    with pytest.raises(ValueError):
        selectors.responsible_for(ids, 5)


def test_deployment_end_is_conditional(grid):
    deployment = Deployment.objects.get(worker=grid["cadre"])
    services.deployment_end(actor=None, deployment=deployment, ends_on=DAY, reason=EndReason.COMPLETED)
    assert Deployment.objects.get(pk=deployment.pk).ends_on == DAY
    stale = Deployment.objects.get(pk=deployment.pk)
    stale.ends_on = None
    with pytest.raises(ValidationError):
        services.deployment_end(actor=None, deployment=stale, ends_on=DAY, reason=EndReason.COMPLETED)


def test_teams(grid):
    team = services.team_create(
        actor=None,
        name="蓝马甲志愿服务队",
        base_division=grid["xia"],
        leader=grid["staff_a"],
        members=[grid["rep_a"]],
        duties="物资配送",
    )
    assert set(team.members.values_list("name", flat=True)) == {"孙社工", "吴代表"}
    with pytest.raises(ValidationError):
        services.team_create(actor=None, name="蓝马甲志愿服务队", base_division=grid["xia"])
    with pytest.raises(ValidationError):
        services.team_members_set(actor=None, team=team, remove=[grid["staff_a"]])
    services.team_members_set(actor=None, team=team, add=[grid["rep_b"]], remove=[grid["rep_a"]])
    assert set(team.members.values_list("name", flat=True)) == {"孙社工", "冯代表"}


def test_link_user_once(grid, outsider):
    services.worker_link_user(actor=None, worker=grid["rep_a"], user=outsider)
    with pytest.raises(ValidationError):
        services.worker_link_user(actor=None, worker=grid["rep_b"], user=outsider)
