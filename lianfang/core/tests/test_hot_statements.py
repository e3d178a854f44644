"""core.db: the hot path's statements (prepared on PostgreSQL, ``%s`` turned into ``$n`` once)."""

import pytest
from django.db import IntegrityError

from lianfang.core import db
from lianfang.core.models import AuditEntry


def test_raw_sql_numbers_placeholders_and_keeps_literal_percent():
    assert db.raw_sql("SELECT %s, %s WHERE x LIKE 'a%%' AND y = %s") == b"SELECT $1, $2 WHERE x LIKE 'a%' AND y = $3"
    assert db.raw_sql("SELECT 1") == b"SELECT 1"
    assert db.raw_sql("SELECT '省' || %s") == "SELECT '省' || $1".encode()


@pytest.mark.parametrize("sql", ["SELECT %(name)s", "SELECT %d", "SELECT 5 % 2", "SELECT 1 %"])
def test_raw_sql_refuses_other_percent_sequences(sql):
    with pytest.raises(ValueError, match="only %s placeholders"):
        db.raw_sql(sql)


@pytest.mark.django_db
def test_execute_hot_runs_a_statement_with_more_than_fifty_values_many_times():
    """psycopg's ordinary cursor caches the parse of a statement only up to 50 values; the desk's
    registration binds more. The same statement, 60 values, runs and answers right each time."""
    sql = "SELECT " + " + ".join(["%s"] * 60)
    for start in range(3):
        with db.hot_cursor() as cursor:
            db.execute_hot(cursor, sql, list(range(start, start + 60)))
            assert cursor.fetchone()[0] == sum(range(start, start + 60))


@pytest.mark.django_db
def test_insert_one_sets_the_pk_and_unique_violations_are_djangos():
    entry = AuditEntry(action="view", object_type="core.test", object_id="1", reason="50% done", detail={"a": 1})
    db.insert_one(entry)
    assert entry.pk is not None
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.object_type, stored.object_id, stored.reason, stored.detail) == (
        "view",
        "core.test",
        "1",
        "50% done",
        {"a": 1},
    )
    sql = f"INSERT INTO {AuditEntry._meta.db_table} (id, at, action, object_type, object_id, division_code, reason, detail) VALUES (%s, %s, 'view', '', '', '', '', '{{}}')"  # noqa: S608, E501
    with pytest.raises(IntegrityError), db.hot_cursor() as cursor:
        db.execute_hot(cursor, sql, [entry.pk, stored.at])
