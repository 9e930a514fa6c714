import getpass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from whatworks.core.errors import CoreError
from whatworks.core.roles import Role
from whatworks.core.services.users import roles_sync, user_create


class Command(BaseCommand):
    help = (
        "Create an administrator account. The password comes from WHATWORKS_ADMIN_PASSWORD "
        "or is asked for."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True, help="The administrator's e-mail address.")
        parser.add_argument("--name", default="", help="Their full name.")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        password = settings.WHATWORKS_ADMIN_PASSWORD or self._ask()
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(
                "The password is not strong enough: " + " ".join(exc.messages)
            ) from None
        roles_sync()
        try:
            user = user_create(
                actor=None,
                email=email,
                password=password,
                full_name=name,
                roles=frozenset({Role.ADMIN}),
            )
        except CoreError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Administrator {user.email} created.")

    def _ask(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ. Run the command again.")
        return first
