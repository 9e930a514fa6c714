from django import forms
from django.contrib import admin
from django.db import models

from whatworks.core.admin import AuditedAdmin
from whatworks.events.models import Event, Question, Registration


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1


@admin.register(Event)
class EventAdmin(AuditedAdmin):
    list_display = ("title", "kind", "starts_at", "capacity", "project_ref", "published")
    list_filter = ("kind", "published")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title", "project_ref")
    inlines = (QuestionInline,)
    # Joining links are https (and Django 6 assumes it): no deprecation warning on the form.
    formfield_overrides = {
        models.URLField: {"form_class": forms.URLField, "assume_scheme": "https"},
    }


@admin.register(Registration)
class RegistrationAdmin(AuditedAdmin):
    personal_fields = ("name", "answers")
    list_display = ("__str__", "event", "status", "created_at")
    list_filter = ("status",)
    readonly_fields = ("key", "status", "offer_expires_at", "anonymised_at")
