"""Results from a trial bundle: the registered analysis plan, run where the data live
(``whatworks-analytics trial-plan``), checked and turned into the draft results report.

The platform trusts nothing in the bundle it can derive: every figure must follow from the
bundle's own estimates, errors and counts (``whatworks_analytics.trials.bundle.
check_bundle``), the plan must be the registered version's plan, byte for byte (its
SHA-256), and every outcome the plan analyses must be there.  The report's rows are then
derived again from the checked outcomes, with the data fingerprint, the plan's SHA-256 and
the code version in each row's note; the verdicts follow from the version's criteria when
an editor publishes, as for any results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.analytics import (
    TRIAL_BUNDLE_SCHEMA,
    check_bundle,
    plan_sha256,
    registry_results,
)
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ResultsReport
from whatworks.registry.services.common import require_team
from whatworks.registry.services.results import results_save

__all__ = ["is_trial_bundle", "results_import_trial_bundle"]


def is_trial_bundle(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("schema") == TRIAL_BUNDLE_SCHEMA


@transaction.atomic
def results_import_trial_bundle(
    *, actor: User | None, project: Project, bundle: Mapping[str, Any]
) -> ResultsReport:
    """Check a trial bundle against the registered plan and fill the draft results."""
    require_team(actor, project)
    problems = [f"The bundle: {p}." for p in check_bundle(bundle)]
    if bundle.get("project") and bundle.get("project") != project.reference:
        problems.append(
            _("This bundle is for %(project)s, not %(reference)s.")
            % {"project": bundle.get("project"), "reference": project.reference}
        )
    number = bundle.get("protocol_version")
    version = project.versions.filter(number=number).first() if isinstance(number, int) else None
    if version is None:
        problems.append(
            _(
                "%(reference)s has no registered version %(number)s: run the "
                "plan of a registered version (its JSON from the version's "
                "page)."
            )
            % {"reference": project.reference, "number": number}
        )
    else:
        plan = version.content.get("trial_analysis")
        if not plan:
            problems.append(
                _("Version %(number)s registers no trial analysis plan.")
                % {"number": version.number}
            )
        elif plan_sha256(plan) != bundle.get("plan_sha256"):
            problems.append(
                _(
                    "The bundle's plan is not the plan registered in version "
                    "%(number)s (their SHA-256 differ): run the registered plan "
                    "as it stands."
                )
                % {"number": version.number}
            )
        else:
            done = {item.get("outcome") for item in bundle.get("outcomes") or []}
            missing = [o["outcome"] for o in plan["outcomes"] if o["outcome"] not in done]
            if missing:
                problems.append("The bundle lacks the planned outcomes " + ", ".join(missing) + ".")
        if bundle.get("version_sha256") not in (None, version.sha256):
            problems.append(_("The bundle was made from a copy of the version that was altered."))
    if problems:
        raise RegistryError(problems)
    assert version is not None
    data = bundle["data"]
    summary = (
        f"Analysed by the trial analysis plan registered in version {version.number} "
        f"(plan SHA-256 {bundle['plan_sha256']}) on {data['rows']:,} rows of data "
        f"(SHA-256 {data['fingerprint']}), with whatworks-analytics {bundle['code_version']}."
    )
    report = results_save(
        actor=actor,
        project=project,
        protocol_version=version,
        summary=summary,
        results=registry_results(bundle),
        data_collection_ended=None,
        computed=True,
    )
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_RESULTS_TRIAL_BUNDLE_IMPORTED,
        target=report,
        changes={
            "plan_sha256": bundle["plan_sha256"],
            "data_fingerprint": data["fingerprint"],
            "code_version": bundle["code_version"],
        },
    )
    return report
