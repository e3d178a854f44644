"""Ship the service rule set of the Qilihe operation (March 2022) as data.

Values are frozen here (a migration never changes); ``load`` is idempotent (matched by code, values
brought back to these). Limits marked "issue 7" are the defaults of the issue (emergency accepted
within 5 min and someone on site within 15 min; urgent medicine 4 h; medicine and groceries 24 h);
the others are Lianfang defaults chosen to keep every ticket on a clock and may be changed by a local
variant.
"""

import datetime as dt

from django.db import migrations

ISSUE = "issue 7 §3 (Qilihe operation, March 2022: 'ensure residents' normal needs')"
LOCAL = "Lianfang default (no official figure): every ticket on a clock"

RULE_SET = {
    "code": "qilihe-2022",
    "name": "诉求服务时限 (七里河 2022)",
    "source": (
        "Qilihe district operation, Lanzhou, March 2022 (四级联防联控, 保障群众基本生活): "
        "emergency accepted within 5 min, someone on site within 15 min; urgent medicine 4 h; "
        "medicine and groceries 24 h (issue 7 §3); daily check-ins for elderly people living alone, "
        "people with chronic illness and people without a smartphone in sealed areas (issue 7 §5); "
        "docs/domain.md §1, §7"
    ),
    "effective_from": dt.date(2020, 1, 1),
    "care_tiers": ["sealed", "high"],
    "check_in_flags": ["elderly_alone", "no_smartphone", "chronic_illness"],
    "refill_lead_days": 3,
    "pack_sizes": [
        {"max_people": 2, "label": "小份（1-2人）"},
        {"max_people": 4, "label": "中份（3-4人）"},
        {"max_people": None, "label": "大份（5人及以上）"},
    ],
}

# (category or "" for any, priority, step, minutes, escalate every minutes, source)
LIMITS = [
    ("", "emergency", "accept", 5, 5, ISSUE),
    ("", "emergency", "on_site", 15, 5, ISSUE),
    ("medicine", "urgent", "accept", 30, 30, LOCAL),
    ("medicine", "urgent", "fulfil", 240, 60, ISSUE),
    ("medicine", "normal", "accept", 120, 120, LOCAL),
    ("medicine", "normal", "fulfil", 1440, 240, ISSUE),
    ("groceries", "normal", "accept", 120, 120, LOCAL),
    ("groceries", "normal", "fulfil", 1440, 240, ISSUE),
    ("", "urgent", "accept", 30, 30, LOCAL),
    ("", "urgent", "fulfil", 240, 60, LOCAL),
    ("", "normal", "accept", 120, 120, LOCAL),
    ("", "normal", "fulfil", 1440, 240, LOCAL),
]


def load(apps, schema_editor=None):
    SlaRuleSet = apps.get_model("assistance", "SlaRuleSet")
    SlaLimit = apps.get_model("assistance", "SlaLimit")
    defaults = {k: v for k, v in RULE_SET.items() if k != "code"}
    rule_set, _ = SlaRuleSet.objects.update_or_create(
        code=RULE_SET["code"], defaults={**defaults, "is_builtin": True, "district": None}
    )
    for category, priority, step, minutes, every, source in LIMITS:
        SlaLimit.objects.update_or_create(
            rule_set=rule_set,
            category=category,
            priority=priority,
            step=step,
            defaults={"minutes": minutes, "escalate_every_minutes": every, "source": source},
        )


def unload(apps, schema_editor):
    SlaRuleSet = apps.get_model("assistance", "SlaRuleSet")
    SlaRuleSet.objects.filter(code=RULE_SET["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
