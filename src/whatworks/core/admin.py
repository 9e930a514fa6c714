"""The admin site for editors and administrators.

Every write made here lands in the audit log, with what was there before and after:
adds, changes (fields and many-to-many, e.g. group membership and group permissions),
inline rows added, changed and removed, deletions one by one and in bulk, and passwords
set from the admin.  Django's own admin history (``LogEntry``) is not the audit log.

Every registered admin either extends :class:`AuditedAdmin` or refuses every write
(``ReadOnlyAdmin``); ``tests/core/test_admin_audit.py`` checks the whole registry.
Personal data never goes into the log: e-mail fields, passwords and the fields an admin
names in ``personal_fields`` are recorded as changed, without their values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist
from django.core.files import File
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_static import admin as otp_static_admin  # noqa: F401 - registers
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as otp_totp_admin  # noqa: F401 - registers
from django_otp.plugins.otp_totp.models import TOTPDevice

from whatworks.core.audit_actions import AuditAction
from whatworks.core.http import request_user
from whatworks.core.models import AuditEntry, Organisation, TaskRecord, User
from whatworks.core.services.audit import NOT_RECORDED, audit_label, audit_record

#: What the audit log says instead of a personal value.


def audit_value(value: Any) -> Any:
    """A value as the audit log keeps it: plain JSON, objects by name or number."""
    if isinstance(value, Permission):
        return f"{value.content_type.app_label}.{value.codename}"
    if isinstance(value, Group):
        return value.name
    if isinstance(value, models.Model):
        return audit_label(value) if isinstance(value, User) else str(value.pk)
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        return sorted((audit_value(item) for item in value), key=str)
    if isinstance(value, FieldFile | File):
        return value.name or ""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class BoundedDateChangeList(ChangeList):
    """Django's change list, answering a date outside the calendar as a bad filter.

    Django turns ``?created_at__year=9999`` (or 31 December 9999) into the date after it,
    which does not exist: an OverflowError, a server error.  Here it is a bad filter, which
    the admin answers by showing the list unfiltered with its "?e=1" notice.
    """

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class SafeChangeListMixin:
    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BoundedDateChangeList


class AuditedAdmin(SafeChangeListMixin, admin.ModelAdmin):
    """Writes an audit entry for every add, change and delete made through the admin."""

    #: Fields whose values are personal data: recorded as changed, never their values.
    personal_fields: tuple[str, ...] = ()
    #: False where ``save_model`` goes through a service that writes the audit entry.
    audit_saves: bool = True

    def _is_personal(self, model: type[models.Model], name: str) -> bool:
        if name in self.personal_fields or name.startswith("password"):
            return True
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field
            return False
        return isinstance(field, models.EmailField)

    def form_changes(self, form: Any, *, created: bool) -> dict[str, Any]:
        """Before/after of each field the form changed (every filled field when adding)."""
        model = form._meta.model
        names = (
            [name for name, value in form.cleaned_data.items() if value not in (None, "", [])]
            if created
            else list(form.changed_data)
        )
        summary: dict[str, Any] = {}
        for name in names:
            if name not in form.fields:
                continue
            if self._is_personal(model, name):
                summary[name] = {"before": None if created else NOT_RECORDED, "after": NOT_RECORDED}
                continue
            before = None if created else form.initial.get(name)
            if before is not None and name in form.fields:
                field = form.fields[name]
                if hasattr(field, "queryset") and isinstance(before, list | tuple):
                    before = [
                        item
                        if isinstance(item, models.Model)
                        else field.queryset.model._default_manager.filter(pk=item).first()
                        for item in before
                    ]
            summary[name] = {
                "before": audit_value(before),
                "after": audit_value(form.cleaned_data.get(name)),
            }
        return summary

    def snapshot(self, obj: models.Model) -> dict[str, Any]:
        """An object's stored fields as the audit log may keep them (for deletions)."""
        values: dict[str, Any] = {}
        for field in obj._meta.concrete_fields:
            if self._is_personal(type(obj), field.name):
                continue
            values[field.name] = audit_value(getattr(obj, field.attname))
        return values

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        inline_plan = [self._inline_plan(formset) for formset in formsets]
        super().save_related(request, form, formsets, change)
        actor: User = request_user(request)
        obj = form.instance
        if self.audit_saves:
            audit_record(
                actor=actor,
                action=f"{obj._meta.model_name}.{'changed' if change else 'created'}_in_admin",
                target=obj,
                changes=self.form_changes(form, created=not change),
            )
        for plan in inline_plan:
            for kind, inline_form, snapshot in plan:
                inline_obj = inline_form.instance
                name = inline_obj._meta.model_name
                if kind == "deleted":
                    audit_record(
                        actor=actor,
                        action=f"{name}.deleted_in_admin",
                        target=None,
                        changes={
                            "object": snapshot,
                            "object_type": inline_obj._meta.label_lower,
                            "parent": f"{obj._meta.label_lower} #{obj.pk}",
                        },
                    )
                    continue
                changes = self.form_changes(inline_form, created=kind == "created")
                changes["parent"] = f"{obj._meta.label_lower} #{obj.pk}"
                audit_record(
                    actor=actor,
                    action=f"{name}.{kind}_in_admin",
                    target=inline_obj,
                    changes=changes,
                )

    def _inline_plan(self, formset: Any) -> list[tuple[str, Any, dict[str, Any]]]:
        """What each inline form is about to do, read before the formset saves."""
        plan: list[tuple[str, Any, dict[str, Any]]] = []
        deleted = set(map(id, getattr(formset, "deleted_forms", [])))
        for form in formset.forms:
            if id(form) in deleted:
                if form.instance.pk is not None:
                    snapshot = {"id": form.instance.pk, **self.snapshot(form.instance)}
                    plan.append(("deleted", form, snapshot))
            elif form.has_changed():
                plan.append(("created" if form.instance.pk is None else "changed", form, {}))
        return plan

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                actor=request_user(request),
                action=f"{obj._meta.model_name}.deleted_in_admin",
                target=obj,
                changes={"before": self.snapshot(obj)},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnlyAdmin(SafeChangeListMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    personal_fields = ("full_name",)
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

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's page, with an audit entry when the stored password changed."""
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if user is not None and before is not None and user.password != before:
                audit_record(
                    actor=request_user(request),
                    action=AuditAction.USER_PASSWORD_SET_IN_ADMIN,
                    target=user,
                    changes={
                        "password": {"before": NOT_RECORDED, "after": NOT_RECORDED},
                        "usable": user.has_usable_password(),
                    },
                )
        return response


# Django's auth admin registers Group when it is imported; put the audited admin in its place.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    """Roles are groups; changing one here (members are on the user's page) is audited."""


#: What django-axes keeps about a sign-in attempt is personal data (address, client).
AXES_PERSONAL = ("username", "ip_address", "user_agent", "http_accept", "get_data", "post_data")


def _audited_axes(model: type[models.Model], base: type[admin.ModelAdmin[Any]]) -> None:
    """Replace django-axes' admin for ``model``: deleting a record (an unlock) is audited."""
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    audited = type(base.__name__, (AuditedAdmin, base), {"personal_fields": AXES_PERSONAL})
    admin.site.register(model, audited)


_audited_axes(AccessAttempt, axes_admin.AccessAttemptAdmin)
_audited_axes(AccessLog, axes_admin.AccessLogAdmin)
_audited_axes(AccessFailureLog, axes_admin.AccessFailureLogAdmin)


class SecondFactorAdmin(AuditedAdmin):
    """Someone who lost their phone: an administrator removes the app (audited); nobody
    reads or sets a secret here (the person sets up a new app on their own page)."""

    list_display = ("user", "name", "confirmed", "last_used_at")
    list_filter = ("confirmed",)
    fields = ("user", "name", "confirmed", "last_used_at", "created_at")
    readonly_fields = fields
    raw_id_fields = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)
    admin.site.register(_device, SecondFactorAdmin)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "region")
    list_filter = ("kind", "region")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


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
