"""Writes of the research registry.  Every function is keyword-only, atomic and audited.

Split by process: ``projects`` (create, edit, publish, withdraw, embargo release),
``protocols`` (draft and register, including amendments), ``requests`` (the team asks
editors to publish or withdraw) and ``results``.  ``RegistryError`` (``registry/errors.py``)
is exported here too, for the parts that call these services through their crossing.
"""

from whatworks.registry.errors import RegistryError
from whatworks.registry.services.pilot_experiments import (
    PILOT_ETHICS_STATISTIC,
    PILOT_FAIRNESS_STATISTIC,
    protocol_draft_add_pilot_experiment,
    version_pilot_experiment,
)
from whatworks.registry.services.projects import (
    embargoes_release,
    project_add_partner_site,
    project_create,
    project_delete,
    project_publish,
    project_team_add,
    project_team_remove,
    project_update,
    project_withdraw,
)
from whatworks.registry.services.protocols import protocol_draft_save, protocol_register
from whatworks.registry.services.requests import project_request_create, project_request_decide
from whatworks.registry.services.results import (
    results_correct,
    results_correction_discard,
    results_enter,
    results_import_bundle,
    results_publish,
    results_save,
)

__all__ = [
    "PILOT_ETHICS_STATISTIC",
    "PILOT_FAIRNESS_STATISTIC",
    "RegistryError",
    "embargoes_release",
    "project_add_partner_site",
    "project_create",
    "project_delete",
    "project_publish",
    "project_request_create",
    "project_request_decide",
    "project_team_add",
    "project_team_remove",
    "project_update",
    "project_withdraw",
    "protocol_draft_add_pilot_experiment",
    "protocol_draft_save",
    "protocol_register",
    "results_correct",
    "results_correction_discard",
    "results_enter",
    "results_import_bundle",
    "results_publish",
    "results_save",
    "version_pilot_experiment",
]
