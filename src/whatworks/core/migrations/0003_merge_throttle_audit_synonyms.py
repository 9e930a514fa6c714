"""Join the three core migrations written side by side (throttle counters, the audit
chain, search synonyms); none depends on another."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_chain"),
        ("core", "0002_search_synonyms"),
        ("core", "0002_throttlecounter"),
    ]

    operations: list[migrations.operations.base.Operation] = []
