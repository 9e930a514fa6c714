"""Release research protocols whose embargo date has come.  Run daily from cron.

Exit codes: 0 on success (whether or not anything was due).
"""

from typing import Any

from django.core.management.base import BaseCommand

from whatworks.registry.services.projects import embargoes_release


class Command(BaseCommand):
    help = "Release research protocols whose embargo date has come (run daily from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        released = embargoes_release(actor=None)
        for project in released:
            self.stdout.write(
                f"Released {project.reference} (embargoed until {project.embargo_until})\n"
            )
        self.stdout.write(f"{len(released)} embargo(es) released.\n")
