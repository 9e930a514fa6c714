"""Delete trial data past their deletion date.  Run daily from cron.

The analyses' bundles and the results reports (aggregates) remain.  Exit codes: 0 on
success (whether or not anything was due).
"""

from typing import Any

from django.core.management.base import BaseCommand

from whatworks.registry.services.trial_data import trial_datasets_delete_expired


class Command(BaseCommand):
    help = "Delete trial data past their deletion date (run daily from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = trial_datasets_delete_expired(actor=None)
        self.stdout.write(f"{count} expired trial dataset(s) deleted.\n")
