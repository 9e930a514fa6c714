"""The admin shows the registry read-only: every change goes through the services.

A registered protocol version cannot be changed or deleted from here (nor anywhere else:
see ``guards.py``); projects and results are changed on the registry's own pages, which
apply the team checks and write the audit log.
"""

from __future__ import annotations

from django.contrib import admin

from whatworks.core.admin import ReadOnlyAdmin
from whatworks.registry.models import Project, ProtocolVersion, ResultsReport


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "study_type", "status", "published_at", "embargo_until")
    list_filter = ("study_type", "status", "topic")
    search_fields = ("reference", "title")


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "registered_at", "sha256")
    search_fields = ("project__reference",)
    list_select_related = ("project",)


@admin.register(ResultsReport)
class ResultsReportAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "number",
        "protocol_version",
        "corrects",
        "overall_verdict",
        "published_at",
    )
    list_select_related = ("project", "protocol_version", "corrects__project")
