"""E-mail each team whose results are due soon or overdue, once for each state.  Run daily
from cron.

Exit codes: 0 on success (whether or not anyone was told).
"""

from typing import Any

from django.core.management.base import BaseCommand

from whatworks.registry.services.reminders import results_reminders_send


class Command(BaseCommand):
    help = "Tell teams whose results are due soon or overdue (once per state; run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = results_reminders_send()
        for project, state in sent:
            self.stdout.write(f"{project.reference}: told the team the results are {state}\n")
        self.stdout.write(f"{len(sent)} team(s) told.\n")
