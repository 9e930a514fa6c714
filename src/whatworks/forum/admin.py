"""Conversations in the admin (audited); votes and analysis runs are read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from whatworks.core.admin import AuditedAdmin
from whatworks.forum.models import AnalysisState, Conversation


@admin.register(Conversation)
class ConversationAdmin(AuditedAdmin):
    list_display = ("question", "slug", "opens_at", "closes_at", "moderation")
    search_fields = ("question", "slug")
    prepopulated_fields = {"slug": ("question",)}
    exclude = ("created_by",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        AnalysisState.objects.get_or_create(conversation=obj)  # the debounce flag's row
