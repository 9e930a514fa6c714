"""Chain the audit log by hash and make it append-only (see core/auditlog.py)."""

from django.db import migrations, models


def chain_existing(apps, schema_editor):
    from whatworks.core import auditlog

    AuditEntry = apps.get_model("core", "AuditEntry")
    db = schema_editor.connection.alias
    previous = ""
    for entry in AuditEntry.objects.using(db).order_by("id").iterator(chunk_size=2000):
        digest = auditlog.entry_hash(auditlog.fields_of(entry), previous)
        AuditEntry.objects.using(db).filter(pk=entry.pk).update(
            prev_hash=previous, entry_hash=digest
        )
        previous = digest


def install(apps, schema_editor):
    from whatworks.core import auditlog

    auditlog.guards_install(schema_editor.connection)


def remove(apps, schema_editor):
    from whatworks.core import auditlog

    auditlog.guards_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(
                blank=True, max_length=64, verbose_name="previous entry's hash"
            ),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.CheckConstraint(
                condition=~models.Q(entry_hash=""),
                name="core_auditentry_hashed",
                violation_error_message="An audit entry is written by audit_record only.",
            ),
        ),
        migrations.RunPython(install, remove),
    ]
