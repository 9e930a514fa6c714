"""Registry objects for tests, made through the services as the app makes them."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from tests.factories import user_with_role
from whatworks.core.models import User
from whatworks.core.roles import Role
from whatworks.registry.models import Project, StudyType, Topic
from whatworks.registry.services.projects import project_create, project_publish
from whatworks.registry.services.protocols import protocol_draft_save, protocol_register
from whatworks.registry.services.results import results_import_bundle, results_publish

CONTENT: dict[str, Any] = {
    "title": "Family group conferences: a trial",
    "background": "Why this matters.",
    "research_questions": ["Does it keep children safely at home?"],
    "design": "Randomised, 1:1.",
    "participants_and_sites": "Families in five authorities.",
    "intervention": "A conference within 10 days.",
    "comparison": "Usual practice.",
    "outcomes": [
        {
            "key": "care-entry",
            "name": "Entry to care",
            "kind": "primary",
            "measure": "Became looked after",
            "time_point": "12 months",
            "analysis": "Risk difference, 95% CI",
        },
        {
            "key": "proceedings",
            "name": "Proceedings issued",
            "kind": "secondary",
            "measure": "Proceedings issued",
            "time_point": "12 months",
            "analysis": "Risk difference, 95% CI",
        },
    ],
    "sample_size": "620 children.",
    "analysis_plan": "Intention to treat.",
    "success_criteria": {
        "combine": "all",
        "criteria": [
            {
                "outcome": "care-entry",
                "statistic": "risk difference",
                "comparison": "<=",
                "threshold": 0.0,
            }
        ],
    },
    "ethics_and_data_protection": "Approved.",
    "timeline": "Three years.",
    "study_design": {
        "arms": [
            {"name": "Family group conference", "planned_n": 310},
            {"name": "Usual practice", "planned_n": 310},
        ],
        "randomisation_unit": "family",
        "randomisation_method": "Computer-generated, blocks of four, by the trials unit.",
        "allocation_ratio": "1:1",
        "planned_sample_size": 620,
    },
}


def content(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(CONTENT)
    data.update(changes)
    return data


def design_post(design: dict[str, Any]) -> dict[str, Any]:
    """The draft form's design fields and arms rows, as a browser posts them."""
    post: dict[str, Any] = {
        f"design-{key}": "\n".join(value) if key == "sites" else value
        for key, value in design.items()
        if key not in ("arms", "blinded")
    }
    if design.get("blinded"):
        post["design-blinded"] = list(design["blinded"])
    arms = design.get("arms") or []
    post.update(
        {
            "arms-TOTAL_FORMS": len(arms) + 1,
            "arms-INITIAL_FORMS": len(arms),
            "arms-MIN_NUM_FORMS": 0,
            "arms-MAX_NUM_FORMS": 1000,
        }
    )
    for i, arm in enumerate(arms):
        for key, value in arm.items():
            post[f"arms-{i}-{key}"] = "" if value is None else value
    return post


def researcher() -> User:
    return user_with_role(Role.RESEARCHER)


def editor() -> User:
    return user_with_role(Role.EDITOR)


def draft_project(
    *, author: User | None = None, data: dict[str, Any] | None = None, **kwargs: Any
) -> Project:
    author = author or researcher()
    project = project_create(
        actor=author,
        title=(data or CONTENT)["title"],
        summary="A summary.",
        study_type=kwargs.pop("study_type", StudyType.RANDOMISED_TRIAL),
        topic=kwargs.pop("topic", Topic.CHILD_PROTECTION),
        **kwargs,
    )
    protocol_draft_save(actor=author, project=project, content=data or content())
    return project


def registered_project(
    *,
    author: User | None = None,
    published: bool = True,
    amended: bool = False,
    embargo_until: date | None = None,
    today: date | None = None,
    **kwargs: Any,
) -> Project:
    author = author or researcher()
    project = draft_project(author=author, **kwargs)
    protocol_register(actor=author, project=project, embargo_until=embargo_until, today=today)
    if amended:
        amend(project, author=author)
    if published:
        project_publish(actor=editor(), project=project)
    project.refresh_from_db()
    return project


def amend(project: Project, *, author: User) -> None:
    changed = content()
    changed["outcomes"][0]["time_point"] = "18 months"
    changed["success_criteria"]["criteria"][0]["threshold"] = -0.05
    changed["sample_size"] = "540 children."
    protocol_draft_save(actor=author, project=project, content=changed)
    protocol_register(actor=author, project=project, justification="Slow recruitment.")


def bundle(version: int = 1, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": "whatworks.results/1",
        "protocol_version": version,
        "summary": "What we found.",
        "results": [
            {
                "outcome": "care-entry",
                "statistic": "risk difference",
                "estimate": -0.06,
                "lower": -0.1,
                "upper": -0.02,
            },
            {"outcome": "proceedings", "estimate": -0.02, "lower": -0.05, "upper": 0.01},
        ],
    }
    data.update(changes)
    return data


def project_with_results(*, publish_results: bool = True, **kwargs: Any) -> Project:
    author = kwargs.pop("author", None) or researcher()
    project = registered_project(author=author, **kwargs)
    latest = project.versions.count()
    report = results_import_bundle(actor=author, project=project, bundle=bundle(latest))
    if publish_results:
        results_publish(actor=editor(), report=report)
    project.refresh_from_db()
    return project


def project_kwargs() -> dict[str, object]:
    """For the permission matrix: a public, amended project with published results."""
    return {"reference": project_with_results(amended=True).reference}


def draft_kwargs() -> dict[str, object]:
    """For the permission matrix: a draft never registered (hidden from all but insiders)."""
    return {"reference": draft_project().reference}


def request_create_kwargs() -> dict[str, object]:
    return {**project_kwargs(), "kind": "publish"}


def request_kwargs() -> dict[str, object]:
    """For the permission matrix: a pending request to publish a registered project."""
    from whatworks.registry.services.requests import project_request_create

    project = registered_project(published=False)
    made = project_request_create(actor=project.team.get(), project=project, kind="publish")
    return {"request_id": made.pk}


def version_kwargs() -> dict[str, object]:
    return {**project_kwargs(), "number": 1}


def results_report_kwargs() -> dict[str, object]:
    """For the permission matrix: the first (published) results report of such a project."""
    return {**project_kwargs(), "number": 1}


#: A small PDF (its content, not its name, makes it one) for attachment tests.
PDF_BYTES = b"%PDF-1.4\n% a statistical analysis plan\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def attach(
    project: Project,
    *,
    author: User | None = None,
    kind: str = "statistical-analysis-plan",
    data: bytes = PDF_BYTES,
    name: str = "analysis-plan.pdf",
) -> Any:
    """Attach a document to the project's draft through the service."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from whatworks.registry.services.attachments import attachment_add

    return attachment_add(
        actor=author or project.team.first(),
        project=project,
        kind=kind,
        upload=SimpleUploadedFile(name, data, content_type="application/octet-stream"),
    )


def attached_project(**kwargs: Any) -> Project:
    """A public project whose v1 froze an analysis plan and whose draft holds it too."""
    author = kwargs.pop("author", None) or researcher()
    project = draft_project(author=author)
    attach(project, author=author)
    protocol_register(actor=author, project=project)
    if kwargs.get("published", True):
        project_publish(actor=editor(), project=project)
    project.refresh_from_db()
    return project


def attachment_kwargs() -> dict[str, object]:
    """For the permission matrix: a public project's frozen analysis plan."""
    return {
        "reference": attached_project().reference,
        "number": 1,
        "kind": "statistical-analysis-plan",
    }


def draft_attachment_kwargs() -> dict[str, object]:
    """For the permission matrix: the analysis plan in a public project's draft."""
    return {"reference": attached_project().reference, "kind": "statistical-analysis-plan"}
