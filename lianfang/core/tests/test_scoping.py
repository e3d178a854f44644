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
