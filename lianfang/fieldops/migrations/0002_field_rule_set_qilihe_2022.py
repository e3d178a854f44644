"""Ship the field rule set of the Qilihe operation (March 2022): shift patterns, gate rules per
tier, fever threshold, disinfection intervals. Values frozen here (fieldops.rules.QILIHE_2022 is
the same data, used to restore it in tests that flush the database)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

_SEALED_GATE = {
    "in": {"free": ["emergency", "delivery"], "pass": ["medical"]},
    "out": {"free": ["emergency", "delivery"], "pass": ["medical"]},
}
_CONTROLLED_GATE = {
    "in": {"free": ["return_home", "emergency", "delivery", "duty", "medical"], "pass": []},
    "out": {"free": ["emergency", "delivery", "duty"], "pass": ["medical"]},
}
_PUBLIC_AREAS = ["小区出入口", "单元门和楼道", "电梯", "垃圾收集点"]

QILIHE_2022 = {
    "code": "qilihe-2022",
    "name": "一线工作规则（七里河 2022）",
    "source": (
        "Qilihe district operation, Lanzhou, March 2022: 24-hour watch and patrol of the gates of sealed and "
        "controlled areas, information registration, personnel screening, environmental disinfection (issue 8); "
        "gate rules from the tier definitions of ../shared/docs/domain.md §1-§2 (sealed: 'area closed, nobody "
        "leaves home, services come to the door' — only valid passes, deliveries and emergencies pass; controlled: "
        "'nobody leaves the area'); the 9th-edition and 20-measures high/medium tiers take the sealed/controlled "
        "rules; symptoms from the 9th-edition protocol (发热、干咳、乏力、咽痛、嗅（味）觉减退、腹泻等) [verify]; "
        "disinfection twice a day in sealed and once a day in controlled compounds (local practice) [verify]"
    ),
    "effective_from": dt.date(2020, 1, 1),
    "shift_patterns": {
        "three-8h": {
            "name": "三班倒（8小时）",
            "name_en": "Three 8-hour shifts",
            "shifts": [["00:00", 8], ["08:00", 8], ["16:00", 8]],
        },
        "two-12h": {"name": "两班倒（12小时）", "name_en": "Two 12-hour shifts", "shifts": [["08:00", 12], ["20:00", 12]]},
    },
    "default_shift_pattern": "three-8h",
    "duty_tiers": ["sealed", "controlled", "high", "medium"],
    "check_in_grace_minutes": 15,
    "early_check_in_minutes": 30,
    "gate_rules": {"sealed": _SEALED_GATE, "high": _SEALED_GATE, "controlled": _CONTROLLED_GATE, "medium": _CONTROLLED_GATE},
    "patrol_round_minutes": 120,
    "fever_threshold": Decimal("37.3"),
    "abnormal_symptoms": ["fever", "cough", "sore_throat", "fatigue", "loss_of_smell", "breathing", "diarrhoea", "muscle_pain"],
    "check_in_deadline_hour": 20,
    "disinfection": {
        "sealed": {"interval_hours": 12, "places": _PUBLIC_AREAS},
        "high": {"interval_hours": 12, "places": _PUBLIC_AREAS},
        "controlled": {"interval_hours": 24, "places": _PUBLIC_AREAS},
        "medium": {"interval_hours": 24, "places": _PUBLIC_AREAS},
    },
}


def forwards(apps, schema_editor):
    FieldRuleSet = apps.get_model("fieldops", "FieldRuleSet")
    FieldRuleSet.objects.update_or_create(
        code=QILIHE_2022["code"], defaults={k: v for k, v in QILIHE_2022.items() if k != "code"}
    )


def backwards(apps, schema_editor):
    apps.get_model("fieldops", "FieldRuleSet").objects.filter(code=QILIHE_2022["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("fieldops", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
