"""Delete pilot datasets and shadow scores past their deletion date.  Run daily from cron.

Reports and result bundles (aggregates) remain.  Exit codes: 0 on success (whether or not
anything was due).
"""

from typing import Any

from django.core.management.base import BaseCommand

from whatworks.pilots.services.datasets import datasets_delete_expired
from whatworks.pilots.services.shadow import shadow_scores_delete_expired


class Command(BaseCommand):
    help = "Delete pilot datasets past their deletion date (run daily from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = datasets_delete_expired(actor=None)
        self.stdout.write(f"{count} expired pilot dataset(s) deleted.\n")
        scores = shadow_scores_delete_expired(actor=None)
        self.stdout.write(f"{scores} expired file(s) of shadow scores deleted.\n")
