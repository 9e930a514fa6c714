"""Results corrections: several reports per project, each correction pointing at the one
it corrects.

SQLite rebuilds the table for these changes (copy, drop, rename), which drops its triggers
without firing them; the guards are lifted first and installed again at the end, so the
published rows stay protected on both databases (see ``guards.py``).
"""

import django.db.models.deletion
from django.db import migrations, models


def guards_remove(apps, schema_editor):
    from whatworks.registry import guards

    guards.remove(schema_editor.connection)


def guards_install(apps, schema_editor):
    from whatworks.registry import guards

    guards.install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0002_immutability_triggers'),
    ]

    operations = [
        migrations.RunPython(guards_remove, guards_install),
        migrations.AlterModelOptions(
            name='resultsreport',
            options={'ordering': ['project', 'number'], 'verbose_name': 'results report', 'verbose_name_plural': 'results reports'},
        ),
        migrations.AddField(
            model_name='resultsreport',
            name='corrects',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='corrected_by', to='registry.resultsreport', verbose_name='corrects'),
        ),
        migrations.AddField(
            model_name='resultsreport',
            name='justification',
            field=models.TextField(blank=True, verbose_name='justification for the correction'),
        ),
        migrations.AddField(
            model_name='resultsreport',
            name='number',
            field=models.PositiveIntegerField(default=1, verbose_name='number'),
        ),
        migrations.AlterField(
            model_name='resultsreport',
            name='project',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='results_reports', to='registry.project', verbose_name='project'),
        ),
        migrations.AddConstraint(
            model_name='resultsreport',
            constraint=models.UniqueConstraint(fields=('project', 'number'), name='registry_results_number'),
        ),
        migrations.AddConstraint(
            model_name='resultsreport',
            constraint=models.UniqueConstraint(condition=models.Q(('corrects__isnull', True)), fields=('project',), name='registry_results_one_original'),
        ),
        migrations.AddConstraint(
            model_name='resultsreport',
            constraint=models.UniqueConstraint(condition=models.Q(('published_at__isnull', True)), fields=('project',), name='registry_results_one_draft'),
        ),
        migrations.AddConstraint(
            model_name='resultsreport',
            constraint=models.CheckConstraint(condition=models.Q(('corrects__isnull', True), models.Q(('justification', ''), _negated=True), _connector='OR'), name='registry_correction_has_justification'),
        ),
        migrations.RunPython(guards_install, guards_remove),
    ]
