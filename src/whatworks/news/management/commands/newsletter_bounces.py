"""Mark newsletter addresses as bounced so that nothing more is sent to them.

    whatworks newsletter_bounces address@example.org other@example.org
    whatworks newsletter_bounces --file bounces.txt      (one address a line; - for stdin)

Exit codes: 0 done (unknown addresses are reported, not an error); 2 bad arguments.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from whatworks.news.services import subscriber_mark_bounced


class Command(BaseCommand):
    help = "Mark newsletter addresses as bounced (they get no more issues)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addresses", nargs="*", help="e-mail addresses that bounced")
        parser.add_argument("--file", help="a file with one address a line, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        addresses = list(options["addresses"])
        if options.get("file"):
            handle = (
                sys.stdin if options["file"] == "-" else open(options["file"], encoding="utf-8")  # noqa: SIM115
            )
            with handle:
                addresses += [line.strip() for line in handle if line.strip()]
        if not addresses:
            raise CommandError("Give at least one address, or --file.", returncode=2)
        marked = unknown = 0
        for address in addresses:
            if subscriber_mark_bounced(actor=None, email=address) is None:
                unknown += 1
            else:
                marked += 1
        self.stdout.write(f"{marked} address(es) marked as bounced; {unknown} not on the list.")
