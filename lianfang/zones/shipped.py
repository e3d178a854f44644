"""The shipped rule sets (8th-edition era, 9th edition, 20 measures), loaded by migration 0002.

Tests that flush the database (``transaction=True``, ``live_server``) remove migration data; call
:func:`ensure_shipped_rule_sets` (or use the ``rule_sets`` fixture in zones' tests) to restore them.

The texts people read (sources and notes) are :data:`TEXTS`, translated, see :func:`display_text`.
"""

from __future__ import annotations

import functools
import importlib

from django.utils.translation import gettext_lazy as _

SHIPPED_KEYS = ("nhc-8th-era", "nhc-9th", "twenty-measures")


def _migration():
    return importlib.import_module("lianfang.zones.migrations.0002_shipped_rule_sets")


def ensure_shipped_rule_sets() -> None:
    """Create the shipped rule sets when missing, with the values frozen in migration 0002 (idempotent)."""
    from django.apps import apps  # noqa: PLC0415

    from lianfang.zones.models import RuleSet  # noqa: PLC0415

    if RuleSet.objects.filter(key__in=SHIPPED_KEYS, is_builtin=True).count() == len(SHIPPED_KEYS):
        return
    _migration().load(apps)


# --------------------------------------------------------------------------------------- display texts
#
# Migration 0002 stores notes written for developers (English, citing the repository's domain notes,
# with "[verify]" markers); they stay in the database as shipped. People read these texts instead,
# through gettext (msgid in English, zh-Hans in the catalogue), keyed by a stable code:
# ("rule_set" | "quarantine", rule set key), ("tier", rule set key, tier key) or
# ("lift", rule set key, tier key, entered_by). A row shows its text only while its stored value is
# still the one 0002 shipped (a shipped set, or a local variant's unedited copy); a changed value
# shows as entered.


TEXTS = {
    ("rule_set", "nhc-8th-era"): _(
        "State Council Joint Prevention and Control Mechanism, Comprehensive Group: COVID-19 Prevention and "
        "Control Protocol, 8th edition (《新型冠状病毒肺炎防控方案（第八版）》, 联防联控机制综发〔2021〕51号), "
        "2021-05; and the drawing and lifting of sealed, controlled and precaution areas from 2021 to June 2022."
    ),
    ("rule_set", "nhc-9th"): _(
        "State Council Joint Prevention and Control Mechanism, Comprehensive Group: COVID-19 Prevention and "
        "Control Protocol, 9th edition (《新型冠状病毒肺炎防控方案（第九版）》, 联防联控机制综发〔2022〕71号), "
        "2022-06."
    ),
    ("rule_set", "twenty-measures"): _(
        "State Council Joint Prevention and Control Mechanism, Comprehensive Group: Notice on further "
        "optimising COVID-19 prevention and control measures for scientific and targeted control "
        "(《关于进一步优化新冠肺炎疫情防控措施 科学精准做好防控工作的通知》, the 20 measures), 2022-11."
    ),
    ("quarantine", "nhc-8th-era"): _(
        "COVID-19 Prevention and Control Protocol, 8th edition: close contacts 14 days of centralized "
        "isolation (tests on days 1, 4, 7 and 14), then 7 days of home health monitoring (tests on days 2 "
        "and 7); secondary contacts 7 days of centralized isolation (tests on days 1, 4 and 7). A regional "
        "round finishes within 24 hours: Guide to organising regional nucleic acid testing, 3rd edition "
        "(《区域新型冠状病毒核酸检测组织实施指南（第三版）》), 2022-03."
    ),
    ("quarantine", "nhc-9th"): _(
        "COVID-19 Prevention and Control Protocol, 9th edition: close contacts 7 days of centralized "
        "isolation and 3 days of home health monitoring (“7+3”; tests on days 1, 2, 3, 5 and 7 in isolation "
        "and on day 3 at home); secondary contacts 7 days of home isolation (tests on days 1, 4 and 7)."
    ),
    ("quarantine", "twenty-measures"): _(
        "The 20 measures: close contacts 5 days of centralized isolation and 3 days of home isolation "
        "(“5+3”); secondary contacts are no longer traced."
    ),
    ("tier", "nhc-8th-era", "sealed"): _(
        "Sealed-area measures of the 8th-edition era; the first whole-area screening within 24 hours "
        "(National Health Commission, 2022-06)."
    ),
    ("tier", "nhc-8th-era", "controlled"): _(
        "Controlled-area measures of the 8th-edition era: a positive found inside turns the area sealed at "
        "once; the first whole-area screening within 48 hours (National Health Commission, 2022-06)."
    ),
    ("tier", "nhc-8th-era", "precaution"): _(
        "Precaution-area measures of the 8th-edition era: the rest of the district around sealed and controlled areas."
    ),
    ("tier", "nhc-9th", "high"): _(
        "COVID-19 Prevention and Control Protocol, 9th edition: a high-risk area is in principle one "
        "residential compound; the first whole-area screening within 24 hours."
    ),
    ("tier", "nhc-9th", "medium"): _(
        "COVID-19 Prevention and Control Protocol, 9th edition: the first whole-area screening within 48 hours."
    ),
    ("tier", "nhc-9th", "low"): _(
        "COVID-19 Prevention and Control Protocol, 9th edition: the rest of the county around high- and "
        "medium-risk areas."
    ),
    ("tier", "twenty-measures", "high"): _(
        "The 20 measures: a high-risk area is drawn as a stairwell or a building and may not be enlarged at will."
    ),
    ("tier", "twenty-measures", "low"): _("The 20 measures: the rest of the county around high-risk areas."),
    ("lift", "nhc-8th-era", "sealed", "any"): _(
        "8th-edition era: a sealed area lifts when no new infection has been found in it for 14 days, the "
        "last close contact is more than 14 days past exposure and negative, and a whole-area round within "
        "the 2 days before lifting was all negative."
    ),
    ("lift", "nhc-8th-era", "controlled", "any"): _(
        "8th-edition era: a controlled area lifts when no new infection has been found in it for 14 days, "
        "the last close contact is more than 14 days past exposure and negative, and a whole-area round "
        "within the 2 days before lifting was all negative."
    ),
    ("lift", "nhc-8th-era", "precaution", "any"): _(
        "8th-edition era: the precaution area lifts when every sealed and controlled area of the district has lifted."
    ),
    ("lift", "nhc-9th", "high", "any"): _(
        "9th edition: a high-risk area becomes medium-risk after 7 days with no new infection and an "
        "all-negative whole-area round on day 7."
    ),
    ("lift", "nhc-9th", "medium", "downgraded"): _(
        "9th edition: a medium-risk area downgraded from high risk becomes low-risk after 3 more days with no "
        "new infection."
    ),
    ("lift", "nhc-9th", "medium", "declared"): _(
        "9th edition: a medium-risk area becomes low-risk after 7 days with no new infection and an "
        "all-negative whole-area round on day 7."
    ),
    ("lift", "nhc-9th", "low", "any"): _(
        "9th edition: low-risk areas lift when every high- and medium-risk area of the county has lifted."
    ),
    ("lift", "twenty-measures", "high", "any"): _(
        "The 20 measures: a high-risk area lifts after 5 days with no new infection."
    ),
    ("lift", "twenty-measures", "low", "any"): _(
        "The 20 measures: low-risk areas lift when every high-risk area has lifted."
    ),
}


@functools.cache
def _shipped_values() -> dict[tuple, str]:
    """``{code: stored value}`` as migration 0002 ships it."""
    values = {}
    for rs in _migration().RULE_SETS:
        values[("rule_set", rs["key"])] = rs["source"]
        values[("quarantine", rs["key"])] = rs["quarantine_source"]
        for tier in rs["tiers"]:
            values[("tier", rs["key"], tier["key"])] = tier["source"]
        for rule in rs["lift_rules"]:
            values[("lift", rs["key"], rule["tier"], rule["entered_by"])] = rule["source"]
    return values


def display_text(code: tuple, stored: str) -> str:
    """The text people read for a shipped note: ``TEXTS[code]`` in the active language while ``stored``
    is the value migration 0002 shipped under ``code`` (see the comment above), else ``stored``.

    ``code``'s rule set key is the shipped set's (a local variant's ``origin_key``); an unknown code
    returns ``stored``.
    """
    if code in TEXTS and _shipped_values().get(code) == stored:
        return str(TEXTS[code])
    return stored
