"""Ship the grid rule set of the Qilihe operation (March 2022): lianfang.workforce.rulesets."""

from django.db import migrations


def forwards(apps, schema_editor):
    from lianfang.workforce.rulesets import install_shipped_rule_sets

    install_shipped_rule_sets(apps.get_model("workforce", "GridRuleSet"))


def backwards(apps, schema_editor):
    apps.get_model("workforce", "GridRuleSet").objects.filter(code="qilihe-2022").delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0002_no_overlapping_periods")]
    operations = [migrations.RunPython(forwards, backwards)]
