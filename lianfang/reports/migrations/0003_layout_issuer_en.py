"""Report layouts name the body they go to in English too (``issuer_en``); the shipped layouts get
the English names of their bodies (before: a mapping keyed on the shipped Chinese text)."""

from django.db import migrations, models

SHIPPED_ISSUERS_EN = {
    "区卫生健康局": "District Health Commission",
    "公安分局": "District Public Security Sub-bureau",
    "区疫情防控指挥部": "District Epidemic Prevention and Control Command",
}


def load(apps, schema_editor=None):
    """Give the shipped layouts whose body is a shipped one, and no English name yet, its English
    name (idempotent; reports.shipped.ensure_shipped calls it after migration 0002's load)."""
    layout = apps.get_model("reports", "ReportLayout")
    for issuer, english in SHIPPED_ISSUERS_EN.items():
        layout.objects.filter(is_builtin=True, issuer=issuer, issuer_en="").update(issuer_en=english)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_shipped"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportlayout",
            name="issuer_en",
            field=models.CharField(blank=True, max_length=120, verbose_name="submitted to (English)"),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
