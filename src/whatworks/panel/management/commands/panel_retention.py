"""Apply the panel's retention rules.  Run daily from cron.

Deletes sign-ups never confirmed, removes the identity of members who left (keeping their
anonymised answers) and drops the tokens and member links of invitations to long-closed
polls; see ``whatworks.panel.services.retention``.  Exit codes: 0 on success (whether or
not anything was due).
"""

from typing import Any

from django.core.management.base import BaseCommand

from whatworks.panel.services.retention import panel_retention_apply


class Command(BaseCommand):
    help = "Apply the panel's retention rules (run daily from cron)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--unconfirmed-days", type=int, default=None)
        parser.add_argument("--left-days", type=int, default=None)
        parser.add_argument("--closed-poll-days", type=int, default=None)

    def handle(
        self,
        *args: Any,
        unconfirmed_days: int | None,
        left_days: int | None,
        closed_poll_days: int | None,
        **options: Any,
    ) -> None:
        report = panel_retention_apply(
            actor=None,
            unconfirmed_days=unconfirmed_days,
            left_days=left_days,
            closed_poll_days=closed_poll_days,
        )
        self.stdout.write(
            f"{report.unconfirmed_deleted} unconfirmed sign-up(s) deleted, "
            f"{report.rejoin_requests_anonymised} stale rejoin request(s) and "
            f"{report.left_anonymised} member(s) who left anonymised, "
            f"{report.invitations_cleared} invitation(s) of closed polls cleared.\n"
        )
