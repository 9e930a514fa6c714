"""Rebuild every intervention's search entry (after an upgrade that changes the index)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from whatworks.evidence.models import Intervention
from whatworks.evidence.services.store import search_index_refresh


class Command(BaseCommand):
    help = "Rebuild the Evidence Store's search entries and vocabulary from the data."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for intervention in Intervention.objects.iterator():
                search_index_refresh(intervention=intervention)
                count += 1
        self.stdout.write(f"Rebuilt the search entries of {count} interventions.")
