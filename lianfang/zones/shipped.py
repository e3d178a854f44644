"""The shipped rule sets (8th-edition era, 9th edition, 20 measures), loaded by migration 0002.

Tests that flush the database (``transaction=True``, ``live_server``) remove migration data; call
:func:`ensure_shipped_rule_sets` (or use the ``rule_sets`` fixture in zones' tests) to restore them.
"""

from __future__ import annotations

import importlib

SHIPPED_KEYS = ("nhc-8th-era", "nhc-9th", "twenty-measures")


def ensure_shipped_rule_sets() -> None:
    """Create the shipped rule sets when missing, with the values frozen in migration 0002 (idempotent)."""
    from django.apps import apps  # noqa: PLC0415

    from lianfang.zones.models import RuleSet  # noqa: PLC0415

    if RuleSet.objects.filter(key__in=SHIPPED_KEYS, is_builtin=True).count() == len(SHIPPED_KEYS):
        return
    migration = importlib.import_module("lianfang.zones.migrations.0002_shipped_rule_sets")
    migration.load(apps)
