"""Mark newsletter addresses as bounced so that nothing more is sent to them.

    whatworks newsletter_bounces address@example.org other@example.org
    whatworks newsletter_bounces --file bounces.txt      (one address a line; - for stdin)
    whatworks newsletter_bounces --mbox /var/mail/bounces
        (reads the delivery-status notifications, RFC 3464, in an mbox file: every
        recipient reported "Action: failed" with a 5.x.x status is marked; run it from a
        scheduler on the mailbox the newsletter's Return-Path delivers to)

Exit codes: 0 done (unknown addresses are reported, not an error); 2 bad arguments or a
mailbox that cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from whatworks.news.bounces import addresses_from_mbox
from whatworks.news.services.subscribers import subscriber_mark_bounced


class Command(BaseCommand):
    help = "Mark newsletter addresses as bounced (they get no more issues)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addresses", nargs="*", help="e-mail addresses that bounced")
        parser.add_argument("--file", help="a file with one address a line, or - for stdin")
        parser.add_argument(
            "--mbox", help="an mbox file of delivery-status notifications (bounce messages)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        addresses = list(options["addresses"])
        source = "command"
        if options.get("file"):
            handle = (
                sys.stdin if options["file"] == "-" else open(options["file"], encoding="utf-8")  # noqa: SIM115
            )
            with handle:
                addresses += [line.strip() for line in handle if line.strip()]
        if options.get("mbox"):
            path = Path(options["mbox"])
            if not path.is_file():
                raise CommandError(f"No mailbox file at {path}.", returncode=2)
            found, read = addresses_from_mbox(path)
            self.stdout.write(f"{read} message(s) read; {len(found)} failed recipient(s) found.")
            addresses += found
            source = "mailbox"
            if not addresses:
                return
        if not addresses:
            raise CommandError("Give at least one address, --file or --mbox.", returncode=2)
        marked = unknown = 0
        for address in dict.fromkeys(a.lower() for a in addresses):
            if subscriber_mark_bounced(actor=None, email=address, source=source) is None:
                unknown += 1
            else:
                marked += 1
        self.stdout.write(f"{marked} address(es) marked as bounced; {unknown} not on the list.")
