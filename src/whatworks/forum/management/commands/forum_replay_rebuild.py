"""``manage.py forum_replay_rebuild SLUG ... | --all``: replay Pol.is's updates from the first
vote and store a fresh analysis run.

A conversation's Pol.is state (``AnalysisReplay``) is stepped with the new votes on each
analysis run and rebuilt by itself when the code version changes; this command rebuilds it
on demand (to check a state, or after changing the votes' records).  Exit codes: 0 done, 1
an unknown slug.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from whatworks.forum.models import Conversation
from whatworks.forum.services.analysis import analysis_replay_rebuild


class Command(BaseCommand):
    help = "Rebuild conversations' Pol.is replay state from the first vote."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slugs", nargs="*", help="Conversations' slugs.")
        parser.add_argument("--all", action="store_true", help="Every conversation.")

    def handle(self, *args: Any, slugs: list[str], **options: Any) -> None:
        if options["all"] == bool(slugs):
            raise CommandError("Give conversation slugs or --all, not both or neither.")
        conversations = Conversation.objects.order_by("pk")
        if slugs:
            conversations = conversations.filter(slug__in=slugs)
            missing = sorted(set(slugs) - set(conversations.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No conversation with slug {', '.join(missing)}.")
        for conversation in conversations:
            run = analysis_replay_rebuild(conversation=conversation)
            groups = (run.result.get("analysis") or {}).get("groups", [])
            self.stdout.write(
                f"{conversation.slug}: {run.result.get('replay_updates', 0)} updates, "
                f"{len(groups)} groups, {run.duration_ms} ms."
            )
