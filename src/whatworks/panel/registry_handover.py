"""The panel's one crossing into the research registry: a study's change between waves.

A study may be linked to a registry project.  Its change between waves (mean change per
site with 95% paired t intervals, from ``study_results``) is turned into the registry's
documented result bundle (``docs/results-bundle.md``, schema ``whatworks.results/1``) and
imported into the project's draft results report through the registry's own service,
``results_import_bundle``.  This is the only module of the panel that imports the
registry, its ``services`` and ``selectors`` (named in the import-linter contract's
``ignore_imports``): who is on a project's team, who may see it, its results reports and
a project by identifier are the registry's own rules, asked here.  The panel's writes that
use them (linking a study, sending its results) are in ``services/handover.py``.

Only the project's team (or an administrator) may link a study or send its results: the
registry checks this again when the bundle is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import User
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
    study to it; ``services.handover.study_link_project`` checks the team first)."""
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


def bundle_import(*, actor: User, project: Any, bundle: dict[str, Any]) -> Any:
    """Import ``bundle`` into the project's draft results report through the registry's own
    service; its refusals (a registered version, a draft not yet published, a project not
    withdrawn, the team) come back as ``PanelError``.  Returns the registry's report."""
    try:
        return results_import_bundle(actor=actor, project=project, bundle=bundle)
    except RegistryError as exc:
        raise PanelError(list(exc.messages)) from None
    except PermissionDeniedError as exc:
        raise PanelError(exc.message) from None
