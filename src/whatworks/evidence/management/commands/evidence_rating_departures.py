"""List every current rating that departs from the rating rules, with its reason."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from whatworks.evidence.selectors import rating_departures


class Command(BaseCommand):
    help = (
        "List every current Evidence Store rating that departs from what the rating rules "
        "give, with the reason recorded (or that it needs review)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--needs-review",
            action="store_true",
            help="Only departures without a reason, or whose evidence changed since.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        found = rating_departures()
        if options["needs_review"]:
            found = [d for d in found if d.needs_review]
        if not found:
            self.stdout.write("No rating departs from the rules.")
            return
        for item in found:
            rating, given = item.rating, item.rules
            parts = []
            if item.departure.effectiveness == "without":
                parts.append(f"how big {rating.effectiveness} (the rules cannot judge)")
            elif item.departure.effectiveness:
                parts.append(
                    f"how big {rating.effectiveness}, {item.departure.effectiveness} "
                    f"the rules ({given.effectiveness})"
                )
            if item.departure.strength:
                parts.append(
                    f"how sure {rating.strength}, {item.departure.strength} "
                    f"the rules ({given.strength})"
                )
            reason = (
                f"because {rating.departure_reason}" if rating.departure_reason else "NO REASON"
            )
            review = " [needs review]" if item.needs_review else ""
            self.stdout.write(
                f"{rating.intervention.slug} / {rating.domain}: {'; '.join(parts)}; "
                f"{reason}{review}"
            )
        self.stdout.write(f"{len(found)} rating(s) depart from the rules.")
