"""Admin for the news part.  Posts and issues are written on the editors' pages; here,
mostly lookups, deletions (audited) and the bounce action, which goes through the service.

Subscribers: editors see how many there are in each state, never an address (the roles
table says "by number"); administrators see the list, by number, and mark bounces.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from whatworks.core.admin import AuditedAdmin
from whatworks.core.audit_actions import AuditAction
from whatworks.core.http import request_user
from whatworks.core.services.audit import audit_record
from whatworks.news.models import (
    PROFILE_PERSONAL,
    AuthorProfile,
    Issue,
    Post,
    Subscriber,
    Tag,
    Topic,
)
from whatworks.news.services.subscribers import subscriber_mark_bounced


@admin.register(AuthorProfile)
class AuthorProfileAdmin(AuditedAdmin):
    personal_fields = PROFILE_PERSONAL
    list_display = ("display_name", "job_title", "is_public")
    prepopulated_fields = {"slug": ("display_name",)}
    raw_id_fields = ("user",)


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ("name", "slug")


@admin.register(Topic)
class TopicAdmin(AuditedAdmin):
    """The topics subscribers may choose; an issue may be sent to one of them."""

    list_display = ("name", "slug", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Post)
class PostAdmin(AuditedAdmin):
    list_display = ("title", "author", "publish_at")
    search_fields = ("title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Issue)
class IssueAdmin(AuditedAdmin):
    list_display = ("title", "status", "sent_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def can_see_subscriber_rows(request: HttpRequest) -> bool:
    """Only administrators see subscribers one by one (still by number, never by address)."""
    return bool(request.user.is_active and request.user.is_superuser)


@admin.register(Subscriber)
class SubscriberAdmin(AuditedAdmin):
    list_display = ("__str__", "status", "created_at", "confirmed_at")
    list_filter = ("status",)
    exclude = ("email",)
    readonly_fields = ("status", "created_at", "confirmed_at", "unsubscribed_at", "bounced_at")
    actions = ("mark_bounced",)
    counts_template = "admin/news/subscriber/counts.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        if obj is not None and not can_see_subscriber_rows(request):
            return False
        return super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return can_see_subscriber_rows(request) and super().has_delete_permission(request, obj)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if can_see_subscriber_rows(request):
            # The subscriber list is a read of personal data: audited, with the count shown.
            response = super().changelist_view(request, extra_context)
            changelist = getattr(response, "context_data", {}).get("cl")
            if changelist is not None:
                audit_record(
                    actor=request_user(request),
                    action=AuditAction.NEWS_SUBSCRIBERS_LISTED,
                    changes={
                        "shown": len(changelist.result_list),
                        "matching": changelist.result_count,
                    },
                )
            return response
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)  # Django refuses
        counts = dict(Subscriber.objects.values_list("status").annotate(n=Count("id")).order_by())
        rows = [(label, counts.get(value, 0)) for value, label in Subscriber.Status.choices]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Newsletter subscribers"),
            "rows": rows,
            "total": sum(counts.values()),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.counts_template, context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        if getattr(response, "status_code", 200) == 200:
            audit_record(
                actor=request_user(request),
                action=AuditAction.NEWS_SUBSCRIBER_VIEWED,
                changes={"subscriber": int(object_id) if object_id.isdigit() else object_id},
            )
        return response

    @admin.action(description=_("Mark the selected addresses as bounced"))
    def mark_bounced(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            subscriber_mark_bounced(actor=request_user(request), email=subscriber.email)
        messages.success(request, _("Marked %(n)d address(es) as bounced.") % {"n": len(queryset)})
