"""Writes of the panel's hand-over to the research registry: linking a study to a project
and sending the study's change between waves into the project's draft results report.

The registry's rules and its import are asked through the panel's one crossing,
:mod:`whatworks.panel.registry_handover`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel import registry_handover
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Study


@transaction.atomic
def study_link_project(*, actor: User, study: Study, reference: str) -> Study:
    """Link a study to a registry project by its identifier (``""`` unlinks it).

    Only someone on the project's team may link to it; a study already linked can be
    relinked only by someone on the current project's team too.
    """
    reference = reference.strip().upper()
    current = study.registry_project
    if current is not None and not registry_handover.can_hand_over(actor, current):
        raise PanelError(_("Only the linked project's team can change the link."))
    project = None
    if reference:
        project = registry_handover.project_by_reference(reference)
        if project is None or not registry_handover.can_hand_over(actor, project):
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
    if not registry_handover.can_hand_over(actor, project):
        raise PanelError(_("Only the research project's team can send it results."))
    bundle = registry_handover.study_bundle(
        study=study, protocol_version=protocol_version, outcome=outcome
    )
    report = registry_handover.bundle_import(actor=actor, project=project, bundle=bundle)
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
