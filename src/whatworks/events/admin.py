from django.contrib import admin

from whatworks.core.admin import AuditedAdmin
from whatworks.events.models import Event, Question, Registration


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1


@admin.register(Event)
class EventAdmin(AuditedAdmin):
    list_display = ("title", "kind", "starts_at", "capacity", "published")
    list_filter = ("kind", "published")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title",)
    inlines = (QuestionInline,)
    audited_fields = ("title", "starts_at", "ends_at", "capacity", "published")


@admin.register(Registration)
class RegistrationAdmin(AuditedAdmin):
    list_display = ("__str__", "event", "status", "created_at")
    list_filter = ("status",)
    readonly_fields = ("key", "status", "offer_expires_at", "anonymised_at")
