"""Print the current sign-in code of the demo accounts (for reviewers without an app)."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from whatworks.core.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the 6-digit code the demo accounts' authenticator app would show now."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.WHATWORKS_ENV == "production":
            raise CommandError("There are no demo accounts in production.")
        key = base64.b32decode(DEMO_TOTP_SECRET.replace(" ", ""))
        self.stdout.write(f"{totp(key):06d}\n")
        self.stdout.write("(valid for about 30 seconds; each code signs in once per account)\n")
