"""Database triggers that refuse UPDATE and DELETE of registered records (see guards.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from whatworks.registry import guards

    guards.install(schema_editor.connection)


def remove(apps, schema_editor):
    from whatworks.registry import guards

    guards.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
