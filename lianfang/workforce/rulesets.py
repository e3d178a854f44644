"""The grid rule sets shipped with Lianfang (data, installed by migration 0003).

``install_shipped_rule_sets()`` writes any that are missing (matched by code, never overwriting local
edits); GridRuleSet.in_force calls it when the table is empty (a fresh test database flushed by a
transactional test), so the shipped rules are always there.
"""

from __future__ import annotations

import datetime as dt

QILIHE_2022 = {
    "code": "qilihe-2022",
    "name": "四级包保（七里河 2022）",
    "name_en": "Four-level responsibility (Qilihe 2022)",  # migration 0006
    "source": (
        "Qilihe district operation, Lanzhou, March 2022: L1 street/town leadership → community; "
        "L2 cadre → community or compound; L3 community staff → compound; L4 household representative "
        "→ about 10-30 households (docs/domain.md §1, §6)"
    ),
    "effective_from": dt.date(2020, 1, 1),
    "level_categories": {
        "1": ["street_staff"],
        "2": ["city_cadre", "district_cadre", "street_staff"],
        "3": ["community_staff", "grid_worker"],
        "4": ["household_representative"],
    },
    "target_households": 20,
    "overload_threshold": 30,
}
SHIPPED_RULE_SETS = (QILIHE_2022,)


def install_shipped_rule_sets(model=None) -> int:
    """Create the shipped rule sets that are missing; returns how many were created. ``model`` is the
    (historical) GridRuleSet model in a migration, the current one otherwise."""
    if model is None:
        from lianfang.workforce.models import GridRuleSet as model  # noqa: PLC0415, N813

    created = 0
    fields = {f.name for f in model._meta.get_fields()}  # a historical model may lack later fields (name_en)
    for data in SHIPPED_RULE_SETS:
        _obj, new = model.objects.get_or_create(
            code=data["code"], defaults={k: v for k, v in data.items() if k != "code" and k in fields}
        )
        created += new
    return created
