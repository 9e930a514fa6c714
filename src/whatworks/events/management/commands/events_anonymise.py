from typing import Any

from django.core.management.base import BaseCommand

from whatworks.events.services.registrations import registrations_anonymise


class Command(BaseCommand):
    help = (
        "Anonymise attendees of events that ended more than WHATWORKS_EVENTS_RETENTION_DAYS "
        "days ago. Run it daily from a scheduler."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override the setting.")

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        count = registrations_anonymise(days=days)
        self.stdout.write(f"{count} registration(s) anonymised.")
