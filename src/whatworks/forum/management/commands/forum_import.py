"""``manage.py forum_import DIR --conversation SLUG``: load a Pol.is open-data export.

Creates the conversation (closed, as a record of a past conversation) if no conversation
has that slug, or loads into an existing one without statements or votes; then stores an
analysis run.  Exit codes: 0 done, 1 the folder or the conversation could not be used.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from whatworks.forum import analytics
from whatworks.forum.errors import ForumError
from whatworks.forum.models import Conversation
from whatworks.forum.services.analysis import analysis_run
from whatworks.forum.services.importing import conversation_for_export
from whatworks.forum.services.polis import conversation_import


class Command(BaseCommand):
    help = "Import a Pol.is open-data export folder into a conversation."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", help="Folder with comments.csv and votes.csv.")
        parser.add_argument("--conversation", required=True, help="The conversation's slug.")
        parser.add_argument(
            "--no-analysis", action="store_true", help="Do not compute an analysis run."
        )

    def handle(self, *args: Any, directory: str, conversation: str, **options: Any) -> None:
        try:
            data = analytics.export_read(directory)
        except (analytics.PolisFormatError, OSError) as exc:
            raise CommandError(f"Cannot read {directory}: {exc}") from None
        target = Conversation.objects.filter(slug=conversation).first()
        try:
            if target is None:
                target = conversation_for_export(actor=None, slug=conversation, data=data)
            counts = conversation_import(actor=None, conversation=target, data=data)
        except ForumError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Imported {counts['statements']} statements, {counts['participants']} "
            f"participants and {counts['votes']} votes into {target.slug}."
        )
        if not options["no_analysis"]:
            run = analysis_run(conversation_id=target.pk)
            groups = (run.result.get("analysis") or {}).get("groups", [])
            self.stdout.write(f"Analysis stored: {len(groups)} groups.")
