from typing import Any

from django.core.management.base import BaseCommand

from whatworks.events.services.registrations import holds_expire, offers_expire


class Command(BaseCommand):
    help = (
        "Expire offers of places not accepted in time and registrations whose address was "
        "not confirmed in time, and offer the places to the next people waiting. Run it "
        "from a scheduler, e.g. every 10 minutes."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        lapsed = holds_expire()
        count = offers_expire()
        self.stdout.write(f"{count} offer(s) expired.")
        self.stdout.write(f"{lapsed} unconfirmed registration(s) lapsed.")
