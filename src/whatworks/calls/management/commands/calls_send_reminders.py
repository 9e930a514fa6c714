"""E-mail applicants whose draft is not submitted when their call closes soon.

Exit code 0 always (the count is printed).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from whatworks.calls.services.applications import REMINDER_HOURS, reminders_send


class Command(BaseCommand):
    help = (
        "E-mail each applicant whose application is still a draft when its call closes "
        f"within --hours (default {REMINDER_HOURS}). Each draft is reminded once, so run it "
        "often, e.g. hourly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=REMINDER_HOURS)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{reminders_send(hours=options['hours'])} reminder(s) sent.")
