"""Coverage reads (level, path, worker) of the active assignments in index order: a covering index."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('workforce', '0003_grid_rule_set_qilihe_2022'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='responsibilityassignment',
            name='assignment_level_path_idx',
        ),
        migrations.AddIndex(
            model_name='responsibilityassignment',
            index=models.Index(fields=['level', 'path', 'worker', 'starts_on', 'ends_on'], name='assignment_cover_idx'),
        ),
    ]
