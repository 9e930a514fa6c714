from typing import Any

from django.core.management.base import BaseCommand

from whatworks.events.services import offers_expire


class Command(BaseCommand):
    help = (
        "Expire offers of places not accepted in time and offer the places to the next "
        "people waiting. Run it from a scheduler, e.g. every 10 minutes."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = offers_expire()
        self.stdout.write(f"{count} offer(s) expired.")
