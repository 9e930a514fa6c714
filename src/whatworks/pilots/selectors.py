"""Reads of pilots with their access checks: the one place that decides who sees a pilot.

A pilot is visible to its local authority's LA analysts and to the researchers named on
its project's team.  Nobody else — not other authorities' analysts, not editors, not
administrators — may know it exists: they get 404, never 403.  Researchers (for their own
projects) and administrators may start a pilot; an administrator who is not also a
researcher on the project's team cannot open it afterwards.

Who is on a project's team is the registry's rule, asked through the adapter
(``analytics``), never restated here.  The pilots add one rule on top of it, on purpose:
the registry counts administrators as on every team (``registry.selectors.is_team_member``),
but a pilot holds or points at child-level data, so seeing one takes being *named* on the
project's team (``registry.selectors.projects_naming``), as a researcher.  Starting a pilot
writes no child-level data, so there the registry's rule holds as it is (administrators
may start a pilot of any project).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from whatworks.core.models import Organisation
from whatworks.core.projects import projects_for_user
from whatworks.core.roles import Role
from whatworks.core.services.users import user_roles
from whatworks.core.tasks_support import TaskState, task_state
from whatworks.pilots import analytics
from whatworks.pilots.models import Dataset, DatasetUpload, Pilot, Run

NOT_FOUND = "No such pilot."


def pilots_for_user(*, user: Any) -> QuerySet[Pilot]:
    """Every pilot the user may see (none for visitors and other roles)."""
    if not getattr(user, "is_authenticated", False):
        return Pilot.objects.none()
    roles = user_roles(user)
    condition = Q(pk__in=[])
    if Role.LA_ANALYST in roles and user.organisation_id:
        condition |= Q(organisation_id=user.organisation_id)
    if Role.RESEARCHER in roles:
        # named on the team: the registry's membership, without its administrators' standing
        condition |= Q(project_id__in=analytics.registry_named_project_ids(user))
    return (
        Pilot.objects.filter(condition)
        .distinct()
        .select_related("project", "organisation", "protocol_version")
    )


def pilot_get_for_user(*, user: Any, pilot_id: Any) -> Pilot:
    """The pilot, if the user may see it; otherwise :class:`Http404`."""
    try:
        return pilots_for_user(user=user).get(pk=pilot_id)
    except (Pilot.DoesNotExist, ValidationError, ValueError):
        raise Http404(NOT_FOUND) from None


# --- starting a pilot ---------------------------------------------------------------------
#
# The registry's projects and versions come through the pilots' adapter (``analytics``),
# the one declared crossing into the registry (the layers contract's ``ignore_imports``).


def can_delete_dataset(user: Any, pilot: Pilot) -> bool:
    """The authority's own analysts may delete its data before the retention date."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Role.LA_ANALYST in user_roles(user) and user.organisation_id == pilot.organisation_id


def can_create_pilots(user: Any) -> bool:
    """Researchers (for their own projects) and administrators may start a pilot."""
    if not getattr(user, "is_authenticated", False):
        return False
    roles = user_roles(user)
    return bool(user.is_superuser) or bool(roles & {Role.ADMIN, Role.RESEARCHER})


def projects_for_new_pilot(*, user: Any) -> analytics.PilotProjects:
    """The projects the user may start a pilot of: those the registry counts them on the
    team of (administrators on every team), withdrawn ones left out; none for those who may
    not start pilots.  Which have a registered protocol is told apart."""
    return analytics.registry_projects_for_new_pilot(user=user if can_create_pilots(user) else None)


def can_edit_protocol_draft(user: Any, project: Any) -> bool:
    """Whether the user may edit the project's protocol draft: the registry's own rule
    (its team, administrators counting as on every team; not once withdrawn)."""
    return analytics.registry_can_edit(user, project)


def can_create_pilot_of(user: Any, project: Any) -> bool:
    return projects_for_new_pilot(user=user).offers(project)


def local_authorities() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY).order_by("name")


def run_get_for_user(*, user: Any, pilot_id: Any, run_id: Any) -> Run:
    pilot = pilot_get_for_user(user=user, pilot_id=pilot_id)
    try:
        return pilot.runs.select_related("pilot", "task_record", "dataset").get(pk=run_id)
    except (Run.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such run.") from None


def dataset_get_for_user(*, user: Any, pilot_id: Any, dataset_id: Any) -> Dataset:
    pilot = pilot_get_for_user(user=user, pilot_id=pilot_id)
    try:
        return pilot.datasets.get(pk=dataset_id)
    except (Dataset.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such dataset.") from None


def dataset_upload_get_for_user(*, user: Any, pilot_id: Any, upload_id: Any) -> DatasetUpload:
    pilot = pilot_get_for_user(user=user, pilot_id=pilot_id)
    try:
        return pilot.uploads.select_related("pilot", "task_record", "dataset").get(pk=upload_id)
    except (DatasetUpload.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such upload.") from None


def upload_state(upload: DatasetUpload) -> tuple[str, str, TaskState | None]:
    """An upload's effective status and reason (as :func:`run_state` for runs)."""
    state = task_state(upload.task_record) if upload.task_record is not None else None
    if upload.is_active and state is not None and state.status == "FAILED":
        return DatasetUpload.Status.FAILED, state.error, state
    return upload.status, upload.error, state


def run_state(run: Run) -> tuple[str, str, TaskState | None]:
    """A run's effective status and reason: a run whose task failed (its worker died,
    say) is shown as failed even though the run itself never got to say so."""
    state = task_state(run.task_record) if run.task_record is not None else None
    active = run.status in {Run.Status.QUEUED, Run.Status.RUNNING}
    if active and state is not None and state.status == "FAILED":
        return Run.Status.FAILED, state.error, state
    return run.status, run.error, state


def run_is_active(run: Run) -> bool:
    return run_state(run)[0] in {Run.Status.QUEUED, Run.Status.RUNNING}


def centre_pilots(*, user: Any) -> list[dict[str, Any]]:
    """Every pilot with its latest report's verdict: aggregates only (the Centre's view).

    Only pilots of projects whose results ``user`` may see, as the registry decides it
    (``whatworks.core.projects``): an embargoed project's verdict stays with its team.
    """
    rows = []
    pilots = list(
        Pilot.objects.select_related("project", "organisation", "protocol_version").order_by(
            "organisation__name", "name"
        )
    )
    projects = projects_for_user(user=user, references={p.project.reference for p in pilots})
    for pilot in pilots:
        project = projects.get(pilot.project.reference)
        if project is None or not project.shows_results:
            continue
        run = (
            pilot.runs.filter(status=Run.Status.SUCCEEDED, bundle__isnull=False)
            .order_by("-finished_at")
            .first()
        )
        rows.append(
            {
                "pilot": pilot,
                "run": run,
                "verdict": analytics.verdict_summary(run.bundle) if run and run.bundle else None,
            }
        )
    return rows


# --- the shadow phase ------------------------------------------------------------------


def shadow_model_get_for_user(*, user: Any, pilot_id: Any, model_id: Any) -> Any:
    from whatworks.pilots.models import ShadowModel

    pilot = pilot_get_for_user(user=user, pilot_id=pilot_id)
    try:
        return pilot.shadow_models.select_related("run", "run__dataset").get(pk=model_id)
    except (ShadowModel.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such model.") from None


def shadow_scores_get_for_user(*, user: Any, pilot_id: Any, scores_id: Any) -> Any:
    from whatworks.pilots.models import ShadowScores

    pilot = pilot_get_for_user(user=user, pilot_id=pilot_id)
    try:
        return ShadowScores.objects.select_related("model", "dataset").get(
            pk=scores_id, model__pilot=pilot
        )
    except (ShadowScores.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such scores.") from None


def shadow_scores_file_get_for_user(*, user: Any, pilot_id: Any, scores_id: Any) -> Any:
    """Scores whose file is still held, for those who may see the pilot (the shadow page's
    viewers); otherwise 404."""
    scores = shadow_scores_get_for_user(user=user, pilot_id=pilot_id, scores_id=scores_id)
    if not scores.path or scores.is_deleted:
        raise Http404("No such scores.")
    return scores


def shadow_state(item: Any) -> tuple[str, str]:
    """A frozen model's or a scoring's effective status and reason: one whose task failed
    (its worker died) is shown failed, as runs are."""
    state = task_state(item.task_record) if item.task_record is not None else None
    finished = {"frozen", "scored", "evaluated", "failed"}
    if item.status not in finished and state is not None and state.status == "FAILED":
        return "failed", state.error
    return str(item.status), str(item.error)


def shadow_phase(pilot: Pilot) -> dict[str, Any]:
    """What the shadow page shows: the runs whose model can be frozen, each frozen model
    with its scorings, and the extracts that can be scored or give outcomes."""
    from whatworks.pilots.models import ShadowModel

    frozen_runs = set(pilot.shadow_models.values_list("run_id", flat=True))
    runs = [
        run
        for run in pilot.runs.filter(
            source=Run.Source.PLATFORM, status=Run.Status.SUCCEEDED
        ).select_related("dataset")
        if run.pk not in frozen_runs and run.dataset is not None and not run.dataset.is_deleted
    ]
    models = []
    for model in pilot.shadow_models.select_related("run", "task_record").prefetch_related(
        "scores", "scores__task_record", "scores__dataset", "scores__evaluated_with"
    ):
        status, reason = shadow_state(model)
        scorings = [(scores, *shadow_state(scores)) for scores in model.scores.all()]
        models.append(
            {
                "model": model,
                "status": status,
                "status_label": ShadowModel.Status(status).label,
                "reason": reason,
                "scorings": scorings,
            }
        )
    datasets = list(pilot.datasets.filter(deleted_at__isnull=True))
    return {"runs": runs, "models": models, "datasets": datasets}


def shadow_phases_for(*, project: Any, user: Any) -> list[dict[str, Any]]:
    """The provider of ``core.extensions.results_phases``: each frozen model of the
    project's pilots that ``user`` may see, with its pre-registration and the sentences of
    its latest forward evaluation (``registry/phases.py``)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from whatworks.pilots.models import ShadowModel

    out: list[dict[str, Any]] = []
    models = ShadowModel.objects.filter(
        pilot__in=pilots_for_user(user=user).filter(project=project),
        status=ShadowModel.Status.FROZEN,
    ).select_related("pilot")
    for model in models:
        meta = model.meta
        precision = (meta.get("validation") or {}).get("precision") or {}
        evaluated = model.scores.filter(forward__isnull=False).order_by("-evaluated_at").first()
        summary = _(
            "Pre-registered {when}: model file {sha}, {rule}; validated at precision {value}."
        ).format(
            when=f"{model.frozen_at:%-d %B %Y}" if model.frozen_at else "",
            sha=model.short_id,
            rule=meta.get("flag_rule", ""),
            value="—" if precision.get("value") is None else f"{precision['value']:.2f}",
        )
        out.append(
            {
                "title": _("{pilot}: model {sha}").format(
                    pilot=model.pilot.name, sha=model.short_id
                ),
                "url": reverse("pilots:shadow", kwargs={"pilot_id": model.pilot_id}),
                "summary": summary,
                "sentences": [
                    row["sentence"] for row in (evaluated.forward or {}).get("comparison", [])
                ]
                if evaluated is not None
                else [],
            }
        )
    return out
