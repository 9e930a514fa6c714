"""The admin site for editors and administrators.

Saves made here write audit entries like every service does; the audit log and task
records are read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models, transaction
from django.http import HttpRequest

from whatworks.core.models import AuditEntry, Organisation, TaskRecord, User
from whatworks.core.services import audit_record, diff_fields


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit entry for every add, change and delete made through the admin."""

    audited_fields: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = type(obj).objects.filter(pk=obj.pk).first() if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action=f"{obj._meta.model_name}.{'changed' if change else 'created'}_in_admin",
                target=obj,
                changes=diff_fields(before, obj, list(self.audited_fields)),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action=f"{obj._meta.model_name}.deleted_in_admin",
                target=obj,
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    audited_fields = ("email", "full_name", "organisation", "is_active", "is_staff", "is_superuser")
    ordering = ("email",)
    list_display = ("email", "full_name", "organisation", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "organisation")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal details", {"fields": ("full_name", "organisation")}),
        ("Roles", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    audited_fields = ("name", "slug", "kind", "region")
    list_display = ("name", "kind", "region")
    list_filter = ("kind", "region")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id", "actor_label")
    date_hierarchy = "created_at"


@admin.register(TaskRecord)
class TaskRecordAdmin(ReadOnlyAdmin):
    list_display = ("label", "kind", "owner", "progress", "created_at")
    list_filter = ("kind",)
