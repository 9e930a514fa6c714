"""Demo content: the eight protocols of the Centre's first month, in its own words.

One is amended (the family group conference trial), one embargoed (the Southvale pilot),
one withdrawn (the care leavers study), three have published results (Schwartz Rounds met
its criteria; the Northmoor pilot did not; the family group conference trial's are those
its registered plan gives on synthetic data) and one is overdue.  The two trials are
analysed in the platform by their registered plans (``demo_trials.py``).  The Schwartz
Rounds results carry a correction: results r2 supersede r1, which stay public.
Idempotent: a project is found by its title; nothing that exists is touched.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from whatworks.core.demo import Writer
from whatworks.core.models import Organisation, User
from whatworks.core.services.organisations import organisation_create
from whatworks.registry import demo_trials
from whatworks.registry.demo_content import (
    CARE_LEAVERS,
    CHANGE,
    FGC_JUSTIFICATION,
    FGC_V1,
    FGC_V2,
    NORTHMOOR,
    NORTHMOOR_RESULTS,
    PILOT_CONFIG,
    SCHWARTZ,
    SCHWARTZ_CORRECTION_JUSTIFICATION,
    SOUTHVALE,
    SURVEY,
    WORKLOAD,
)
from whatworks.registry.models import Project, ProjectStatus, StudyType, Topic
from whatworks.registry.services.pilot_experiments import protocol_draft_add_pilot_experiment
from whatworks.registry.services.projects import (
    project_create,
    project_publish,
    project_update,
    project_withdraw,
)
from whatworks.registry.services.protocols import protocol_draft_save, protocol_register
from whatworks.registry.services.results import results_import_bundle, results_publish

SIX_LAS = (
    ("Ashbourne Metropolitan Borough Council (demo)", "ashbourne", "north-west"),
    ("Brackley City Council (demo)", "brackley", "east-midlands"),
    ("Carrow County Council (demo)", "carrow", "east"),
    ("Dunmere Borough Council (demo)", "dunmere", "north-east"),
    ("Eastwick London Borough (demo)", "eastwick", "london"),
    ("Fernhill Council (demo)", "fernhill", "south-west"),
)


def _organisation(name: str, slug: str, region: str) -> Organisation:
    found = Organisation.objects.filter(slug=slug).first()
    return found or organisation_create(
        actor=None, name=name, slug=slug, kind=Organisation.Kind.LOCAL_AUTHORITY, region=region
    )


def _project(
    *,
    researcher: User | None,
    content: dict[str, Any],
    summary: str,
    study_type: str,
    topic: str,
    sites: list[Organisation],
    data_collection_ends_days: int,
) -> Project:
    project = project_create(
        actor=researcher,
        title=content["title"],
        summary=summary,
        study_type=study_type,
        topic=topic,
        partner_sites=sites,
        data_collection_ends=timezone.localdate() + timedelta(days=data_collection_ends_days),
    )
    protocol_draft_save(actor=researcher, project=project, content=content)
    return project


def _set_status(researcher: User, project: Project, status: str) -> None:
    project_update(
        actor=researcher,
        project=project,
        title=project.title,
        summary=project.summary,
        status=status,
        study_type=project.study_type,
        topic=project.topic,
        partner_sites=list(project.partner_sites.all()),
        team=list(project.team.all()),
        links=project.links,
        data_collection_ends=project.data_collection_ends,
        results_due=project.results_due,
    )


@transaction.atomic
def load(*, stdout: Writer) -> None:
    researcher = User.objects.filter(email="researcher@demo.test").first()
    editor = User.objects.filter(email="editor@demo.test").first()
    if researcher is None:
        stdout.write("  registry: no demo researcher account; skipped\n")
        return
    existing = set(Project.objects.values_list("title", flat=True))
    sites = {slug: _organisation(name, slug, region) for name, slug, region in SIX_LAS}
    northmoor = Organisation.objects.filter(slug="northmoor").first()
    southvale = Organisation.objects.filter(slug="southvale").first()
    created = 0

    def make(content: dict[str, Any], **kwargs: Any) -> Project | None:
        nonlocal created
        if content["title"] in existing:
            return None
        created += 1
        return _project(researcher=researcher, content=content, **kwargs)

    if p := make(
        NORTHMOOR,
        summary="Can a model trained on a council's own records predict "
        "which referrals escalate, accurately and fairly?",
        study_type=StudyType.PILOT,
        topic=Topic.DATA,
        sites=[s for s in [northmoor] if s],
        data_collection_ends_days=-30,
    ):
        protocol_draft_add_pilot_experiment(actor=researcher, project=p, config=PILOT_CONFIG)
        protocol_register(actor=researcher, project=p)
        project_publish(actor=editor, project=p)
        report = results_import_bundle(actor=researcher, project=p, bundle=NORTHMOOR_RESULTS)
        results_publish(actor=editor, report=report)
    if p := make(
        SOUTHVALE,
        summary="The same question as the Northmoor pilot, in a second "
        "authority with a different front door.",
        study_type=StudyType.PILOT,
        topic=Topic.DATA,
        sites=[s for s in [southvale] if s],
        data_collection_ends_days=240,
    ):
        protocol_draft_add_pilot_experiment(actor=researcher, project=p, config=PILOT_CONFIG)
        protocol_register(
            actor=researcher, project=p, embargo_until=timezone.localdate() + timedelta(days=180)
        )
        project_publish(actor=editor, project=p)
    if p := make(
        {**SCHWARTZ, "trial_analysis": demo_trials.SCHWARTZ_PLAN},
        summary="Do monthly Schwartz Rounds improve social workers' "
        "wellbeing and make them less likely to leave?",
        study_type=StudyType.QUASI_EXPERIMENT,
        topic=Topic.WORKFORCE,
        sites=[sites["ashbourne"], sites["carrow"], sites["eastwick"], sites["fernhill"]],
        data_collection_ends_days=-60,
    ):
        protocol_register(actor=researcher, project=p)
        project_publish(actor=editor, project=p)
        demo_trials.schwartz_results(project=p, researcher=researcher, editor=editor)
    if p := make(
        FGC_V1,
        summary="Does offering a family group conference when a council "
        "considers care proceedings keep more children safely at home?",
        study_type=StudyType.RANDOMISED_TRIAL,
        topic=Topic.CHILD_PROTECTION,
        sites=[sites["brackley"], sites["dunmere"], sites["eastwick"]],
        data_collection_ends_days=900,
    ):
        protocol_register(actor=researcher, project=p)
        project_publish(actor=editor, project=p)
        protocol_draft_save(actor=researcher, project=p, content=FGC_V2)
        protocol_register(actor=researcher, project=p, justification=FGC_JUSTIFICATION)
        _set_status(researcher, p, ProjectStatus.COLLECTING)
    if p := make(
        CHANGE,
        summary="Six local authorities introduce strengths-based practice "
        "with multi-disciplinary teams; does it reduce child protection plans?",
        study_type=StudyType.QUASI_EXPERIMENT,
        topic=Topic.SYSTEMS,
        sites=list(sites.values()),
        data_collection_ends_days=700,
    ):
        protocol_register(actor=researcher, project=p)
        project_publish(actor=editor, project=p)
    if p := make(
        SURVEY,
        summary="Would social workers trust and use a model's risk score?",
        study_type=StudyType.SURVEY,
        topic=Topic.DATA,
        sites=[],
        data_collection_ends_days=45,
    ):
        protocol_register(actor=researcher, project=p)
        project_publish(actor=editor, project=p)
    if p := make(
        CARE_LEAVERS,
        summary="How young people leaving children's homes experience Staying Close support.",
        study_type=StudyType.QUALITATIVE,
        topic=Topic.CHILDREN_IN_CARE,
        sites=[sites["dunmere"]],
        data_collection_ends_days=365,
    ):
        protocol_register(actor=researcher, project=p)
        project_publish(actor=editor, project=p)
        project_withdraw(
            actor=editor,
            project=p,
            reason="The provider closed its Staying Close service before fieldwork began, so "
            "the young people the study was designed around could not be recruited. No data "
            "were collected.",
        )
    if p := make(
        WORKLOAD,
        summary="Does weighting cases by complexity share work more evenly within teams?",
        study_type=StudyType.PILOT,
        topic=Topic.WORKFORCE,
        sites=[s for s in [northmoor] if s],
        data_collection_ends_days=-420,
    ):
        protocol_register(actor=researcher, project=p)
        project_publish(actor=editor, project=p)
        _set_status(researcher, p, ProjectStatus.ANALYSING)
    corrected = _correct_schwartz(researcher=researcher, editor=editor)
    demo_trials.load(stdout=stdout, researcher=researcher, editor=editor)
    stdout.write(
        f"  registry: {created} project(s) created"
        + (", the Schwartz Rounds results corrected" if corrected else "")
        + "\n"
    )


def _correct_schwartz(*, researcher: User, editor: User | None) -> bool:
    """Correct the Schwartz Rounds results once (found by title; skipped if corrected)."""
    project = Project.objects.filter(title=SCHWARTZ["title"]).first()
    if project is None or not project.team.filter(pk=researcher.pk).exists():
        return False
    return demo_trials.schwartz_correct(
        project=project,
        researcher=researcher,
        editor=editor,
        justification=SCHWARTZ_CORRECTION_JUSTIFICATION,
    )
