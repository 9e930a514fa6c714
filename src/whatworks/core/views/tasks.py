"""A background task's page: status and progress, refreshed by htmx until it finishes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from whatworks.core.http import AuthedHttpRequest
from whatworks.core.selectors import task_record_get_for_user
from whatworks.core.tasks_support import task_state


@require_GET
@login_required
def task_detail(request: AuthedHttpRequest, record_id: str) -> HttpResponse:
    record = task_record_get_for_user(user=request.user, record_id=record_id)
    template = "core/_task_status.html" if request.htmx else "core/task_detail.html"
    return render(request, template, {"record": record, "state": task_state(record)})
