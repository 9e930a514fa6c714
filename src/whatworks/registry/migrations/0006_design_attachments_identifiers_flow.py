"""Secondary identifiers, results reminders, the results' participant flow, baseline,
harms and plain-language summary, researchers' ORCID iDs and protocol attachments.

SQLite rebuilds the results table to add columns (copy, drop, rename), which drops its
triggers without firing them; the guards are lifted first and installed again at the end,
as in 0003, so published rows stay protected on both databases (see ``guards.py``).
"""

import django.db.models.deletion
import django.utils.timezone
import whatworks.registry.models
import whatworks.registry.storage
from django.conf import settings
from django.db import migrations, models


def guards_remove(apps, schema_editor):
    from whatworks.registry import guards

    guards.remove(schema_editor.connection)


def guards_install(apps, schema_editor):
    from whatworks.registry import guards

    guards.install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0005_project_requests'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(guards_remove, guards_install),
        migrations.AddField(
            model_name='project',
            name='results_notice',
            field=models.CharField(blank=True, max_length=10, verbose_name='results reminder sent'),
        ),
        migrations.AddField(
            model_name='project',
            name='results_notice_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='results reminder sent at'),
        ),
        migrations.AddField(
            model_name='project',
            name='results_notice_due',
            field=models.DateField(blank=True, null=True, verbose_name='results reminder for due date'),
        ),
        migrations.AddField(
            model_name='project',
            name='secondary_ids',
            field=models.JSONField(blank=True, default=dict, verbose_name='identifiers in other registers'),
        ),
        migrations.AddField(
            model_name='resultsreport',
            name='baseline',
            field=models.JSONField(blank=True, default=list, verbose_name='baseline characteristics'),
        ),
        migrations.AddField(
            model_name='resultsreport',
            name='flow',
            field=models.JSONField(blank=True, default=list, verbose_name='participant flow'),
        ),
        migrations.AddField(
            model_name='resultsreport',
            name='harms',
            field=models.TextField(blank=True, verbose_name='harms and unintended effects'),
        ),
        migrations.AddField(
            model_name='resultsreport',
            name='plain_summary',
            field=models.TextField(blank=True, verbose_name='plain-language summary'),
        ),
        migrations.CreateModel(
            name='ResearcherIdentity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('orcid', models.CharField(blank=True, max_length=19, verbose_name='ORCID iD')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='research_identity', to=settings.AUTH_USER_MODEL, verbose_name='person')),
            ],
            options={
                'verbose_name': "researcher's ORCID iD",
                'verbose_name_plural': "researchers' ORCID iDs",
            },
        ),
        migrations.CreateModel(
            name='ProtocolAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('statistical-analysis-plan', 'Statistical analysis plan'), ('analysis-code', 'Analysis code'), ('data-management-plan', 'Data-management plan'), ('ethics-approval', 'Ethics approval')], max_length=30, verbose_name='kind')),
                ('file', models.FileField(max_length=200, storage=whatworks.registry.storage.RegistryPrivateStorage(), upload_to=whatworks.registry.models._attachment_path, verbose_name='file')),
                ('original_name', models.CharField(max_length=200, verbose_name='file name')),
                ('content_type', models.CharField(max_length=100, verbose_name='type')),
                ('size', models.PositiveIntegerField(verbose_name='size in bytes')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='uploaded')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='registry.project', verbose_name='project')),
                ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
            ],
            options={
                'verbose_name': 'protocol attachment',
                'verbose_name_plural': 'protocol attachments',
                'ordering': ['project', 'kind', 'uploaded_at'],
                'constraints': [models.UniqueConstraint(fields=('project', 'kind', 'sha256'), name='registry_attachment_unique')],
            },
        ),
        migrations.RunPython(guards_install, guards_remove),
    ]
