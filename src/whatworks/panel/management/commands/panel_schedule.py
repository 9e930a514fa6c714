"""Open and close the polls whose scheduled time has come.  Run every few minutes from cron.

Setting a poll's times queues a check for each one (the worker runs it when it is due);
this command is the safety net when no worker ran.  It is safe to run at any time: it acts
only on what is due.  Exit codes: 0 on success (whether or not anything was due), 1 if a
due poll could not be opened (e.g. it has no questions; the message says which).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from whatworks.panel.services.schedule import panel_schedule_apply


class Command(BaseCommand):
    help = "Open and close the panel's scheduled polls that are due (run from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = panel_schedule_apply()
        self.stdout.write(
            f"{len(report.opened)} poll(s) opened, {len(report.closed)} closed"
            + (f" ({len(report.held)} with results held back)" if report.held else "")
            + "."
        )
        if report.problems:
            raise CommandError("; ".join(report.problems))
