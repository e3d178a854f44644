"""The shipped service rule set's name in Chinese brackets: "诉求服务时限（七里河 2022）" (was
"诉求服务时限 (七里河 2022)" in migration 0002, new-user trial 7). A name changed locally is left as it is."""

from django.db import migrations

OLD, NEW = "诉求服务时限 (七里河 2022)", "诉求服务时限（七里河 2022）"


def rename(apps, schema_editor=None, old=OLD, new=NEW):
    apps.get_model("assistance", "SlaRuleSet").objects.filter(code="qilihe-2022", name=old).update(name=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0003_dashboard_indexes")]

    operations = [migrations.RunPython(rename, rename_back)]
