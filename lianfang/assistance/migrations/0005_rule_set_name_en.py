"""Service rule sets are named in English too (``name_en``); the shipped set gets its English name
(new-user trial 13: the ticket page showed 诉求服务时限（七里河 2022） on English pages). A local set
keeps a blank English name and shows its Chinese one until someone enters it."""

from django.db import migrations, models

SHIPPED_NAMES_EN = {"qilihe-2022": "Service time limits (Qilihe 2022)"}


def load(apps, schema_editor=None):
    """Give the shipped sets without an English name theirs (idempotent; assistance.shipped calls it)."""
    rule_set = apps.get_model("assistance", "SlaRuleSet")
    for code, english in SHIPPED_NAMES_EN.items():
        rule_set.objects.filter(code=code, is_builtin=True, name_en="").update(name_en=english)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0004_shipped_rule_set_name_brackets")]

    operations = [
        migrations.AddField(
            model_name="slaruleset",
            name="name_en",
            field=models.CharField(blank=True, max_length=120, verbose_name="name (English)"),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
