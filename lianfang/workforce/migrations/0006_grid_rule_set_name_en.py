"""Grid rule sets are named in English too (``name_en``); the shipped set gets its English name
(new-user trial 14: /workforce/grid/ showed 四级包保（七里河 2022） on English pages). A local set
keeps a blank English name and shows its Chinese one until someone enters it."""

from django.db import migrations, models

SHIPPED_NAMES_EN = {"qilihe-2022": "Four-level responsibility (Qilihe 2022)"}


def load(apps, schema_editor=None):
    """Give the shipped sets without an English name theirs (idempotent; rulesets.install_shipped_rule_sets
    writes the same name for a set it creates)."""
    rule_set = apps.get_model("workforce", "GridRuleSet")
    for code, english in SHIPPED_NAMES_EN.items():
        rule_set.objects.filter(code=code, name_en="").update(name_en=english)


class Migration(migrations.Migration):
    dependencies = [("workforce", "0005_shipped_rule_set_name_brackets")]

    operations = [
        migrations.AddField(
            model_name="gridruleset",
            name="name_en",
            field=models.CharField(blank=True, max_length=120, verbose_name="name (English)"),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
