"""GET /healthz: 200 when the database and the task queue answer, 503 otherwise.

Anyone (a load balancer, a monitor) learns only ok / unavailable; what failed, how many
workers are alive and the version are for signed-in administrators who gave their
second factor.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from whatworks import __version__


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    from whatworks.core.models import WorkerHeartbeat
    from whatworks.core.tasks_support import queue_probe

    checks: dict[str, str] = {}
    workers = 0
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unavailable"
    if checks["database"] == "ok":
        try:
            # A savepoint: on PostgreSQL a failed query would otherwise abort the request's
            # transaction, and every later query (the session, the second factor) with it.
            with transaction.atomic():
                queue_probe()
                checks["task_queue"] = "ok"
                alive_since = timezone.now() - timedelta(
                    seconds=settings.WHATWORKS_WORKER_LOST_AFTER_SECONDS
                )
                workers = WorkerHeartbeat.objects.filter(last_seen__gte=alive_since).count()
        except DatabaseError:
            checks["task_queue"] = "unavailable"
    else:
        checks["task_queue"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    answer: dict[str, object] = {"status": "ok" if healthy else "unavailable"}
    if _sees_details(request):
        answer.update(checks=checks, workers_alive=workers, version=__version__)
    return JsonResponse(answer, status=200 if healthy else 503)


def _sees_details(request: HttpRequest) -> bool:
    from whatworks.core.mfa import is_verified

    user = request.user
    return bool(user.is_authenticated and user.is_superuser and is_verified(request))
