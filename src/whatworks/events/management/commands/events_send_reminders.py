from typing import Any

from django.core.management.base import BaseCommand

from whatworks.events.services.feedback import feedback_send_due
from whatworks.events.services.staff import certificates_send, reminders_send


class Command(BaseCommand):
    help = (
        "E-mail a reminder to each confirmed attendee of an event that starts within "
        "WHATWORKS_EVENTS_REMINDER_HOURS (online events: with the joining link). Each person "
        "is reminded once, so run it often, e.g. every 10 minutes with events_expire_offers. "
        "After an event it e-mails each person checked in their certificate of attendance, "
        "and the event's feedback survey where staff made one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{reminders_send()} reminder(s) sent.")
        self.stdout.write(f"{certificates_send()} certificate(s) of attendance sent.")
        self.stdout.write(f"{feedback_send_due()} feedback survey invitation(s) sent.")
