"""The shipped report rule set and layouts, loaded by migration 0002 (and their bodies' English
names by migration 0003).

Tests that flush the database (``transaction=True``, ``live_server``) remove migration data; call
:func:`ensure_shipped` to restore them (ReportRuleSet.in_force and the layouts page do).
"""

from __future__ import annotations

import importlib

MIGRATION = "lianfang.reports.migrations.0002_shipped"
ISSUERS_MIGRATION = "lianfang.reports.migrations.0003_layout_issuer_en"


def shipped_keys() -> tuple[list[str], list[str]]:
    """``(rule set keys, layout keys)`` shipped by migration 0002."""
    migration = importlib.import_module(MIGRATION)
    return [v["key"] for v in migration.RULE_SETS], [v["key"] for v in migration.LAYOUTS]


def ensure_shipped() -> None:
    """Create the shipped rule set and layouts when any is missing, with the values frozen in
    migrations 0002 and 0003 (idempotent)."""
    from django.apps import apps  # noqa: PLC0415

    from lianfang.reports.models import ReportLayout, ReportRuleSet  # noqa: PLC0415

    rule_keys, layout_keys = shipped_keys()
    if ReportRuleSet.objects.filter(key__in=rule_keys).count() == len(rule_keys) and ReportLayout.objects.filter(
        key__in=layout_keys, is_builtin=True
    ).count() == len(layout_keys):
        return
    importlib.import_module(MIGRATION).load(apps)
    importlib.import_module(ISSUERS_MIGRATION).load(apps)
