from django.contrib import admin

from whatworks.calls.models import Application, Call, Criterion, Question
from whatworks.core.admin import AuditedAdmin


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1


@admin.register(Call)
class CallAdmin(AuditedAdmin):
    list_display = ("title", "opens_at", "closes_at", "project_ref", "published")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title",)
    inlines = (CriterionInline, QuestionInline)


@admin.register(Application)
class ApplicationAdmin(AuditedAdmin):
    personal_fields = ("answers",)
    list_display = ("__str__", "call", "organisation", "status", "submitted_at")
    list_filter = ("status", "call")
    readonly_fields = (
        "call",
        "applicant",
        "organisation",
        "status",
        "answers",
        "submitted_at",
        "decided_at",
    )
