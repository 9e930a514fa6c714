from typing import Any

from django.core.management.base import BaseCommand

from whatworks.core.throttle import throttle_purge


class Command(BaseCommand):
    help = "Delete rate-limit counters older than two days (run daily from the scheduler)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = throttle_purge()
        self.stdout.write(f"{deleted} old rate-limit counter{'s' if deleted != 1 else ''} deleted.")
