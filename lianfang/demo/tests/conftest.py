"""The demo world, built once per test module on the real database and rolled back at its end: the
real Qilihe divisions, a generated population at a tiny scale, the demo users, the demo scenario."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

SCALE, SEED = 0.01, 42


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """``{"district", "report", "counts"}``: the scenario's report and the table counts right after it.

    Each test runs inside its own savepoint (pytest-django's ``db``) within this module's transaction.
    Built in zh-Hans, as ``make demo`` builds it, whatever language an earlier test left active.
    """
    from lianfang.conftest import QILIHE, SHARED_DIVISIONS, restore_shipped_data
    from lianfang.demo.services import scenario_run
    from lianfang.divisions.models import Division
    from lianfang.divisions.services import load_divisions
    from lianfang.registry.generator import generate_population

    with django_db_blocker.unblock(), transaction.atomic(), translation.override("zh-hans"):
        restore_shipped_data()
        if not Division.objects.filter(code=QILIHE).exists():
            load_divisions(actor=None, source=SHARED_DIVISIONS, code=QILIHE)
        district = Division.objects.get(code=QILIHE)
        generate_population(actor=None, district=district, scale=SCALE, seed=SEED)
        call_command("create_demo_users", "--code", QILIHE, stdout=_Null())
        report = scenario_run(district=district, seed=SEED)
        yield {"district": district, "report": report, "counts": table_counts()}
        transaction.set_rollback(True)


def table_counts() -> dict[str, int]:
    """Row count of every table of the project's apps (to show that a re-run wrote nothing)."""
    from django.apps import apps

    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in {"zones", "screening", "assistance", "fieldops", "workforce", "registry", "core"}
    }


class _Null:
    def write(self, *_args, **_kwargs):
        return 0

    def flush(self):
        return None
