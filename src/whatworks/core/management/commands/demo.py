from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from whatworks.core.demo import DemoError, demo_load


class Command(BaseCommand):
    help = "Migrate, then load demo content and one demo account per role (never in production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-migrate", action="store_true", help="Skip `migrate`.")

    def handle(self, *args: Any, no_migrate: bool = False, **options: Any) -> None:
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            demo_load(stdout=self.stdout)
        except DemoError as exc:
            raise CommandError(exc.message) from None
