# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""A big first load re-creates the registry tables' indexes after its inserts (core.bulk.indexes_deferred).

The threshold is lowered so a four-row roster counts as "big"; the rows, the indexes and the
constraints are those of the real database.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from lianfang.registry.tests.fixtures.importing import english, issues, run_import  # noqa: F401

pytestmark = pytest.mark.django_db

TABLES = ("registry_household", "registry_resident")


def sqlite_indexes() -> dict[str, str]:
    """name → CREATE statement of the registry tables' explicit indexes (SQLite)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (%s, %s)",
            TABLES,
        )
        return dict(cursor.fetchall())


@pytest.fixture
def dropped(monkeypatch):
    """Lower the threshold to one row and record the index names each deferral dropped."""
    from lianfang.core import bulk

    monkeypatch.setattr(bulk, "DEFER_INDEXES_MIN_ROWS", 1)
    seen: list[list[str]] = []
    real = bulk.indexes_deferred

    def recording(*models):
        manager = real(*models)

        class Recorder:
            def __enter__(self):
                names = manager.__enter__()
                seen.append(names)
                return names

            def __exit__(self, *exc):
                return manager.__exit__(*exc)

        return Recorder()

    monkeypatch.setattr(bulk, "indexes_deferred", recording)
    return seen


def test_first_load_into_empty_tables_rebuilds_the_indexes(run_import, dropped, population):
    from lianfang.registry.models import Household, ImportStatus, Resident

    Resident.objects.filter(guardian__isnull=False).delete()  # a guardian is protected while a ward points to them
    Resident.objects.all().delete()
    Household.objects.all().delete()
    before = sqlite_indexes() if connection.vendor == "sqlite" else {}
    batch = run_import("utf8_bom.csv")
    assert issues(batch) == []
    assert batch.status == ImportStatus.COMMITTED, batch.message
    assert (batch.counts["households_created"], batch.counts["residents_created"]) == (2, 4)
    assert (Household.objects.count(), Resident.objects.count()) == (2, 4)
    if connection.vendor == "sqlite":
        assert len(dropped) == 1
        assert sorted(dropped[0]) == sorted(before)  # all 20 explicit indexes of both tables
        assert len(before) == 20
        assert sqlite_indexes() == before  # re-created exactly
    else:
        assert dropped == [[]]  # PostgreSQL keeps its indexes (a drop would lock out every reader)
    liu = Resident.objects.select_related("household").get(name="刘一")
    assert (liu.household.room, liu.id_masked) == ("501", "6201**********0013")


def test_small_load_into_a_fuller_table_keeps_the_indexes(run_import, dropped, population):
    from lianfang.registry.models import ImportStatus

    batch = run_import("utf8_bom.csv")  # 4 new residents, 7 already there; 2 households, 3 there
    assert batch.status == ImportStatus.COMMITTED, batch.message
    assert dropped == [[]]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only: a no-op on PostgreSQL")
def test_a_unique_index_that_no_longer_holds_rolls_everything_back(population):
    from lianfang.core import bulk
    from lianfang.registry.models import Resident

    before = sqlite_indexes()
    zhang = Resident.objects.get(name="张三")
    with pytest.raises(IntegrityError), transaction.atomic(), bulk.indexes_deferred(Resident) as names:
        assert "resident_unique_document" in names
        assert not any(name in sqlite_indexes() for name in names)
        Resident.objects.filter(name="李四").update(id_hash=zhang.id_hash)  # a duplicate document
    assert sqlite_indexes() == before
    assert Resident.objects.filter(id_hash=zhang.id_hash).count() == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused():
    from lianfang.core import bulk
    from lianfang.registry.models import Resident

    if connection.vendor != "sqlite":
        with bulk.indexes_deferred(Resident) as names:
            assert names == []
        return
    with pytest.raises(RuntimeError, match="inside transaction.atomic"), bulk.indexes_deferred(Resident):
        pass


def test_generated_population_into_empty_tables_rebuilds_the_indexes(qilihe, dropped):
    """The population generator (make demo) loads a district the same way: same rows as with the indexes
    kept up (seed and scale of tests/test_generator.py), indexes back afterwards."""
    import datetime as dt

    from lianfang.registry.generator import generate_population
    from lianfang.registry.models import Household, Resident

    before = sqlite_indexes() if connection.vendor == "sqlite" else {}
    report = generate_population(actor=None, district=qilihe, scale=0.005, seed=3, today=dt.date(2026, 11, 29))
    assert (report.households, report.residents) == (Household.objects.count(), Resident.objects.count())
    assert report.residents > 2_500
    assert dropped[0] == (sorted(before) if connection.vendor == "sqlite" else [])
    if connection.vendor == "sqlite":
        assert sqlite_indexes() == before
    assert (
        Resident.objects.filter(id_hash__gt="").values("id_hash").distinct().count()
        == Resident.objects.filter(id_hash__gt="").count()
    )
