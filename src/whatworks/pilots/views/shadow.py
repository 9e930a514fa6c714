"""The shadow phase's pages: freeze a run's model, score later extracts, evaluate forward.

Thin views as in the other views: each fetches through a selector (404 for pilots the user may
not see), calls one service and reports a :class:`PilotError` as a message.  The heavy work
(fitting, scoring, evaluating) is done by workers (the ``SHADOW_*`` jobs).
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from whatworks.core.audit_actions import AuditAction
from whatworks.core.http import AuthedHttpRequest
from whatworks.pilots.errors import PilotError
from whatworks.pilots.selectors import (
    dataset_get_for_user,
    pilot_get_for_user,
    run_get_for_user,
    shadow_model_get_for_user,
    shadow_phase,
    shadow_scores_file_get_for_user,
    shadow_scores_get_for_user,
)
from whatworks.pilots.services import pilots, shadow

FORWARD_LABELS = {
    "precision": gettext_lazy("Precision"),
    "recall": gettext_lazy("Recall"),
    "flag_rate": gettext_lazy("Share flagged"),
    "roc_auc": gettext_lazy("ROC AUC"),
    "average_precision": gettext_lazy("Average precision"),
}


@require_GET
@login_required
def shadow_page(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    pilot = pilot_get_for_user(user=request.user, pilot_id=pilot_id)
    pilots.pilot_access_record(
        actor=request.user, target=pilot, action=AuditAction.PILOT_SHADOW_VIEWED
    )
    phase = shadow_phase(pilot)
    for entry in phase["models"]:
        validation = entry["model"].meta.get("validation", {})
        entry["validation"] = [
            (label, validation.get(key) or {}) for key, label in FORWARD_LABELS.items()
        ]
    return render(
        request,
        "pilots/shadow.html",
        {
            "pilot": pilot,
            "upload_url": reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}),
            **phase,
        },
    )


def _back(pilot_id: str) -> HttpResponse:
    return redirect("pilots:shadow", pilot_id=pilot_id)


@require_POST
@login_required
def shadow_freeze(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    run = run_get_for_user(user=request.user, pilot_id=pilot_id, run_id=request.POST.get("run"))
    try:
        shadow.shadow_freeze_start(actor=request.user, run=run)
    except PilotError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The model will be frozen in the background."))
    return _back(pilot_id)


@require_POST
@login_required
def shadow_score(request: AuthedHttpRequest, pilot_id: str) -> HttpResponse:
    model: Any = shadow_model_get_for_user(
        user=request.user, pilot_id=pilot_id, model_id=request.POST.get("model")
    )
    dataset = dataset_get_for_user(
        user=request.user, pilot_id=pilot_id, dataset_id=request.POST.get("dataset")
    )
    try:
        shadow.shadow_score_start(actor=request.user, model=model, dataset=dataset)
    except PilotError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The extract will be scored in the background."))
    return _back(pilot_id)


@require_POST
@login_required
def shadow_evaluate(request: AuthedHttpRequest, pilot_id: str, scores_id: str) -> HttpResponse:
    scores = shadow_scores_get_for_user(user=request.user, pilot_id=pilot_id, scores_id=scores_id)
    dataset = dataset_get_for_user(
        user=request.user, pilot_id=pilot_id, dataset_id=request.POST.get("dataset")
    )
    try:
        shadow.shadow_evaluate_start(actor=request.user, scores=scores, dataset=dataset)
    except PilotError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The scores will be evaluated in the background."))
    return _back(pilot_id)


@require_GET
@login_required
def shadow_scores_download(
    request: AuthedHttpRequest, pilot_id: str, scores_id: str
) -> HttpResponse:
    """A scoring's scores as CSV, for those who may see the shadow page (404 for anyone
    else, and once the file is deleted); each download is recorded in the audit log."""
    scores = shadow_scores_file_get_for_user(
        user=request.user, pilot_id=pilot_id, scores_id=scores_id
    )
    body = io.StringIO()
    shadow.shadow_scores_export(actor=request.user, scores=scores, handle=body)
    response = HttpResponse(body.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="shadow-scores-{scores.pk}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
