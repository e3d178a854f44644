"""Ship the grid rule set of the Qilihe operation (March 2022)."""

import datetime as dt

from django.db import migrations

QILIHE_2022 = {
    "code": "qilihe-2022",
    "name": "四级包保 (七里河 2022)",
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


def forwards(apps, schema_editor):
    GridRuleSet = apps.get_model("workforce", "GridRuleSet")
    code = QILIHE_2022["code"]
    GridRuleSet.objects.update_or_create(code=code, defaults={k: v for k, v in QILIHE_2022.items() if k != "code"})


def backwards(apps, schema_editor):
    apps.get_model("workforce", "GridRuleSet").objects.filter(code=QILIHE_2022["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0002_no_overlapping_periods")]
    operations = [migrations.RunPython(forwards, backwards)]
