from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from whatworks.core.demo import demo_load
from whatworks.core.errors import DemoError


class Command(BaseCommand):
    help = "Migrate, then load demo content and one demo account per role (never in production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-migrate", action="store_true", help="Skip `migrate`.")
        parser.add_argument(
            "--only",
            default=None,
            help="Comma-separated parts (app labels) whose demo content to load; "
            "an empty value loads the accounts alone.",
        )

    def handle(
        self, *args: Any, no_migrate: bool = False, only: str | None = None, **options: Any
    ) -> None:
        parts = None if only is None else frozenset(p.strip() for p in only.split(",") if p.strip())
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            demo_load(stdout=self.stdout, only=parts)
        except DemoError as exc:
            raise CommandError(exc.message) from None
