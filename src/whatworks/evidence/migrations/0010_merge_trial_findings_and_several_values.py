"""Joins two migrations made side by side: registered trials' findings as reported
(0008_finding_as_reported) and several age groups, needs and settings (0009)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0008_finding_as_reported"),
        ("evidence", "0009_intervention_many_ages_needs_settings"),
    ]

    operations: list[migrations.operations.base.Operation] = []
