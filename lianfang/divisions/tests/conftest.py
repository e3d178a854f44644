"""Fixtures for the divisions pages: control areas in force around the shared ``population``."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def areas_in_force(population, qilihe, district_commander):
    """An 8th-edition-era operation in Qilihe with, in force since 28 March 2022: the district's
    precaution area, a controlled area over 西园街道 (620103001) and a sealed area over 阳光小区
    (population's ``compound_a`` in 下西园). Returns ``{tier key: area}``."""
    from lianfang.divisions.models import Division
    from lianfang.zones.services import operation_open
    from lianfang.zones.shipped import ensure_shipped_rule_sets
    from lianfang.zones.tests.conftest import put_in_force

    ensure_shipped_rule_sets()  # transactional (browser) tests flush the migration's rows
    operation = operation_open(
        actor=district_commander, district=qilihe, name="七里河区疫情处置", started_on=dt.date(2022, 3, 27)
    )
    day = dt.date(2022, 3, 28)
    street = Division.objects.get(code="620103001")
    return {
        key: put_in_force(district_commander, operation, key, nodes, day=day)
        for key, nodes in (
            ("precaution", [qilihe]),
            ("controlled", [street]),
            ("sealed", [population["compound_a"]]),
        )
    }
