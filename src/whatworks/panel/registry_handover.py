"""The panel's one crossing into the research registry: a study's change between waves.

A study may be linked to a registry project.  Its change between waves (mean change per
site with 95% paired t intervals, from ``study_results``) is turned into the registry's
documented result bundle (``docs/results-bundle.md``, schema ``whatworks.results/1``) and
imported into the project's draft results report through the registry's own service,
``results_import_bundle``.  This is the only module of the panel that imports the
registry, its ``services`` and ``selectors`` (named in the import-linter contract's
``ignore_imports``): who is on a project's team, who may see it, its results reports and
a project by identifier are the registry's own rules, asked here.

Only the project's team (or an administrator) may link a study or send its results: the
registry checks this again when the bundle is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel import study_results
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Study
from whatworks.registry import selectors as registry_selectors
from whatworks.registry.errors import RegistryError
from whatworks.registry.services.results import results_import_bundle


def can_hand_over(user: User | Any, project: Any) -> bool:
    """Whether ``user`` may link a study to the registry project or send it the study's
    results: the project's team only (administrators count as on every team)."""
    if project is None:
        return False
    return registry_selectors.is_team_member(user, project)


def can_see_project(user: User | Any, project: Any) -> bool:
    """Whether ``user`` may see the registry project in full (the registry's rule: its
    team, editors, or anyone once it is public)."""
    if project is None:
        return False
    return registry_selectors.can_see_versions(user, project)


def project_by_reference(reference: str) -> Any:
    """The registry's project with this identifier, or ``None`` (the panel's demo links its
    study to it; ``study_link_project`` checks the team first)."""
    if not reference:
        return None
    return registry_selectors.project_by_reference(reference)


@dataclass(frozen=True)
class RegistryTarget:
    """What a linked project offers to export into: its versions and their outcomes."""

    reference: str
    title: str
    versions: tuple[int, ...]
    outcomes: tuple[tuple[str, str], ...]
    #: Results are published and no draft (e.g. a correction) is open for more.
    published_results: bool


def target_for(study: Study) -> RegistryTarget | None:
    """The linked project's registered versions (newest first) and the latest's outcomes."""
    project = study.registry_project
    if project is None:
        return None
    versions = list(project.versions.order_by("-number"))
    outcomes: list[tuple[str, str]] = []
    if versions:
        content = versions[0].content if isinstance(versions[0].content, dict) else {}
        for outcome in content.get("outcomes", []):
            if isinstance(outcome, dict) and outcome.get("key"):
                key = str(outcome["key"])
                outcomes.append((key, f"{outcome.get('name') or key} ({key})"))
    # published results never change: only a draft (the first, or a correction) takes more
    closed = (
        registry_selectors.public_results(project) is not None
        and registry_selectors.draft_results(project) is None
    )
    return RegistryTarget(
        reference=project.reference,
        title=project.title,
        versions=tuple(v.number for v in versions),
        outcomes=tuple(outcomes),
        published_results=closed,
    )


@transaction.atomic
def study_link_project(*, actor: User, study: Study, reference: str) -> Study:
    """Link a study to a registry project by its identifier (``""`` unlinks it).

    Only someone on the project's team may link to it; a study already linked can be
    relinked only by someone on the current project's team too.
    """
    reference = reference.strip().upper()
    current = study.registry_project
    if current is not None and not can_hand_over(actor, current):
        raise PanelError(_("Only the linked project's team can change the link."))
    project = None
    if reference:
        project = registry_selectors.project_by_reference(reference)
        if project is None or not can_hand_over(actor, project):
            # the same answer whether it does not exist or is someone else's
            raise PanelError(
                _("No research project %(ref)s on whose team you are.") % {"ref": reference}
            )
    study.registry_project = project
    study.save(update_fields=["registry_project"])
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_STUDY_LINKED if project else AuditAction.PANEL_STUDY_UNLINKED,
        target=study,
        changes={"project": project.reference if project else None},
    )
    return study


def study_bundle(*, study: Study, protocol_version: int, outcome: str) -> dict[str, Any]:
    """The result bundle for the study's change between waves, as JSON-ready data."""
    project = study.registry_project
    if project is None:
        raise PanelError(_("Link the study to a research project first."))
    change = study_results.wave_change(study)
    if change is None:
        raise PanelError(_("Two waves with the same measure and answers in both are needed."))
    try:
        bundle = study_results.change_bundle(
            change,
            project_reference=project.reference,
            protocol_version=protocol_version,
            outcome=outcome,
        )
    except ValueError as exc:
        raise PanelError(str(exc)) from None
    return _keep_other_outcomes(project, bundle)


def _keep_other_outcomes(project: Any, bundle: dict[str, Any]) -> dict[str, Any]:
    """Carry over a draft report's results for other outcomes (an import replaces a draft).

    Only a draft that answers to the same protocol version is merged; its summary and end
    of data collection are kept when it has them.
    """
    report = registry_selectors.draft_results(project)
    if report is None or report.protocol_version.number != bundle["protocol_version"]:
        return bundle
    ours = {r["outcome"] for r in bundle["results"]}
    others = [r for r in report.results or [] if r.get("outcome") not in ours]
    merged = dict(bundle)
    merged["results"] = [*others, *bundle["results"]]
    if report.summary:
        merged["summary"] = report.summary
    if report.data_collection_ended:
        merged["data_collection_ended"] = report.data_collection_ended.isoformat()
    return merged


@transaction.atomic
def study_results_send(*, actor: User, study: Study, protocol_version: int, outcome: str) -> Any:
    """Import the study's change into the linked project's draft results report.

    Returns the registry's ``ResultsReport``.  Refused (``PanelError``) unless the actor is
    on the project's team; the registry's own checks (a registered version, a draft that is
    not yet published, a project not withdrawn) come back as ``PanelError`` too.
    """
    project = study.registry_project
    if project is None:
        raise PanelError(_("Link the study to a research project first."))
    if not can_hand_over(actor, project):
        raise PanelError(_("Only the research project's team can send it results."))
    bundle = study_bundle(study=study, protocol_version=protocol_version, outcome=outcome)
    try:
        report = results_import_bundle(actor=actor, project=project, bundle=bundle)
    except RegistryError as exc:
        raise PanelError(list(exc.messages)) from None
    except PermissionDeniedError as exc:
        raise PanelError(exc.message) from None
    audit_record(
        actor=actor,
        action=AuditAction.PANEL_STUDY_RESULTS_SENT,
        target=study,
        changes={
            "project": project.reference,
            "protocol_version": protocol_version,
            "outcome": outcome,
        },
    )
    return report
