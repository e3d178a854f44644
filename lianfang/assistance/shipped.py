"""The shipped service rule set (``qilihe-2022``), loaded by migration 0002.

Tests that flush the database (``transaction=True``, ``live_server``) remove migration data; call
:func:`ensure_shipped_rule_sets` (the assistance tests' autouse fixture does) to restore it.
"""

from __future__ import annotations

import importlib

SHIPPED_CODES = ("qilihe-2022",)


def ensure_shipped_rule_sets() -> None:
    """Create the shipped service rule sets when missing, with the values frozen in migration 0002,
    the name of migration 0004 and the English name of migration 0005."""
    from django.apps import apps  # noqa: PLC0415

    from lianfang.assistance.models import SlaRuleSet  # noqa: PLC0415

    if SlaRuleSet.objects.filter(code__in=SHIPPED_CODES, is_builtin=True).count() == len(SHIPPED_CODES):
        return
    importlib.import_module("lianfang.assistance.migrations.0002_shipped_rule_set").load(apps)
    importlib.import_module("lianfang.assistance.migrations.0004_shipped_rule_set_name_brackets").rename(apps)
    importlib.import_module("lianfang.assistance.migrations.0005_rule_set_name_en").load(apps)
