"""The shipped grid rule set's name in Chinese brackets: "四级包保（七里河 2022）" (was "四级包保 (七里河
2022)", new-user trial 7). A name changed locally is left as it is."""

from django.db import migrations

OLD, NEW = "四级包保 (七里河 2022)", "四级包保（七里河 2022）"


def rename(apps, schema_editor, old=OLD, new=NEW):
    apps.get_model("workforce", "GridRuleSet").objects.filter(code="qilihe-2022", name=old).update(name=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("workforce", "0004_covering_index_for_coverage")]

    operations = [migrations.RunPython(rename, rename_back)]
