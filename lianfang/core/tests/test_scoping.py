import pytest

from lianfang.core.models import AppendOnlyError, AuditEntry
from lianfang.core.scoping import code_upper_bound, scope_for


def test_code_upper_bound():
    assert code_upper_bound("620103") == "620104"
    assert code_upper_bound("6299") == "6300"
    assert code_upper_bound("620109") == "620110"
    assert code_upper_bound("999") is None
    with pytest.raises(ValueError):
        code_upper_bound("62a")


@pytest.mark.django_db
def test_scope_of_personas(population, district_commander, community_staff, outsider):
    assert scope_for(district_commander).codes == ("620103",)
    assert scope_for(community_staff).codes == ("620103001001",)
    assert scope_for(outsider).is_empty


@pytest.mark.django_db
def test_expired_assignment_gives_no_scope(qilihe):
    import datetime as dt

    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division

    user = User.objects.create_user("former")
    RoleAssignment.objects.create(
        user=user,
        role="community_staff",
        division=Division.objects.get(code="620103001001"),
        starts_on=dt.date(2022, 3, 1),
        ends_on=dt.date(2022, 5, 1),
    )
    assert scope_for(user).is_empty


@pytest.mark.django_db
def test_audit_log_is_append_only(db):
    from lianfang.core import audit

    entry = audit.record(actor=None, action="test", object_type="x.y", object_id="1")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


@pytest.mark.django_db
def test_audit_log_is_append_only_in_the_database(db):
    from django.db import DatabaseError, connection, transaction

    from lianfang.core import audit

    entry = audit.record(actor=None, action="test", object_type="x.y", object_id="1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET reason = 'x' WHERE id = %s", [entry.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])


@pytest.mark.django_db
def test_reaches_answers_whether_a_division_holds_anything_the_user_may_see(
    population, district_commander, community_staff, outsider
):
    """In scope, above a scope root (a compound's grid worker naming its community), a representative's
    households' divisions: True; another community, an unknown code, no scope: False."""
    import datetime as dt

    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.core.scoping import reaches
    from lianfang.workforce.services import assignment_create, worker_create

    compound_a = population["compound_a"].code  # 阳光小区 in 下西园 (620103001001)
    assert [reaches(community_staff, c) for c in ("620103001001", compound_a, population["unit_a"].code)] == [
        True,
        True,
        True,
    ]
    assert [reaches(community_staff, c) for c in ("620103001002", population["compound_b"].code)] == [False, False]
    assert [reaches(community_staff, c) for c in ("620103001", "620103", "62")] == [True, True, True]  # above
    assert reaches(community_staff, "620103001001999") is False  # unknown, below the root
    assert reaches(community_staff, "") is False
    assert reaches(district_commander, "620103001002") is True
    assert reaches(district_commander, "620102") is False  # another district
    assert reaches(outsider, "620103001001") is False and reaches(AnonymousUser(), "620103") is False

    grid = User.objects.create_user("grid-a")
    RoleAssignment.objects.create(
        user=grid, role="grid_worker", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    assert [reaches(grid, c) for c in (compound_a, "620103001001", "620103001002", population["compound_b"].code)] == [
        True,
        True,
        False,
        False,
    ]

    rep = User.objects.create_user("rep-a")
    RoleAssignment.objects.create(
        user=rep, role="household_representative", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    worker = worker_create(
        actor=None, name="赵代表", categories=["household_representative"], base_division=population["unit_a"], user=rep
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assignment_create(actor=None, level=4, worker=worker, starts_on=yesterday, households=[population["h1"]])
    assert [reaches(rep, c) for c in ("620103001001", population["unit_a"].code, "620103001002")] == [True, True, False]
    assert reaches(rep, population["compound_b"].code) is False
