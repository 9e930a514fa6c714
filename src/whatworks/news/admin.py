"""Admin for the news part.  Posts and issues are written on the editors' pages; here,
mostly lookups, and the bounce action, which goes through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from whatworks.core.admin import AuditedAdmin
from whatworks.core.services import audit_record
from whatworks.news.models import AuthorProfile, Issue, Post, Subscriber, Tag
from whatworks.news.services import subscriber_mark_bounced


@admin.register(AuthorProfile)
class AuthorProfileAdmin(AuditedAdmin):
    audited_fields = ("slug", "display_name", "job_title", "is_public")
    list_display = ("display_name", "job_title", "is_public")
    prepopulated_fields = {"slug": ("display_name",)}
    raw_id_fields = ("user",)


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    audited_fields = ("name", "slug")
    list_display = ("name", "slug")


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "publish_at")
    search_fields = ("title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "sent_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "created_at", "confirmed_at")
    list_filter = ("status",)
    search_fields = ("email",)
    actions = ("mark_bounced",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """The subscriber list is a read of personal data: audited, with the count shown."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="news.subscribers_listed",
                changes={
                    "shown": len(changelist.result_list),
                    "matching": changelist.result_count,
                },
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        if getattr(response, "status_code", 200) == 200:
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="news.subscriber_viewed",
                changes={"subscriber": int(object_id) if object_id.isdigit() else object_id},
            )
        return response

    @admin.action(description=_("Mark the selected addresses as bounced"))
    def mark_bounced(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            subscriber_mark_bounced(actor=request.user, email=subscriber.email)  # type: ignore[arg-type]
        messages.success(request, _("Marked %(n)d address(es) as bounced.") % {"n": len(queryset)})
