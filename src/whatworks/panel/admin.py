"""The panel in the admin site: read-only overviews (writes go through the panel's pages).

Members are deliberately not listed here: their personal data is reached only through
their own pages and the erasure services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from whatworks.panel.models import Poll, Scale, Study


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Poll)
class PollAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "status", "study", "wave", "opened_at", "closed_at")
    list_filter = ("kind", "status")
    search_fields = ("title", "slug")


@admin.register(Study)
class StudyAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "created_at")


@admin.register(Scale)
class ScaleAdmin(ReadOnlyAdmin):
    list_display = ("name", "scoring", "published", "source")
