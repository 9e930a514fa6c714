"""Findings of trials analysed in the research registry, filed in the Evidence Store.

The receiver of ``core.signals.trial_findings_published`` (connected in
:class:`whatworks.evidence.apps.EvidenceConfig.ready`; the signal's docstring lists its
arguments, all plain data).  Each published trial becomes one study of the intervention it
evaluates, its stable id ``registry-<identifier>`` and ``registry_ref`` the registration
(so its page links back to it), with one finding per linked outcome; a correction
published later updates the same study and findings.  The receiver only calls
``services/registry_findings.py`` ``trial_findings_file``, which does the writing through
the store's services, so every change is audited and the intervention's pooled results are
rebuilt with the trial among the other studies.  Also the provider of
``core.extensions.evidence_targets``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from whatworks.evidence.models import Intervention, OutcomeDomain
from whatworks.evidence.services.registry_findings import trial_findings_file

__all__ = ["evidence_targets", "trial_findings_received"]


def evidence_targets() -> dict[str, Any]:
    """The interventions a trial may evaluate and the outcome domains it may be filed under."""
    return {
        "interventions": list(Intervention.objects.order_by("name").values_list("slug", "name")),
        "domains": [(str(code), str(label)) for code, label in OutcomeDomain.choices],
    }


def trial_findings_received(
    sender: Any,
    *,
    study: Mapping[str, Any],
    intervention: str,
    findings: Sequence[Mapping[str, Any]],
    actor: Any = None,
    **_: Any,
) -> int:
    """The signal's receiver: files the findings in a savepoint of the publication."""
    saved = trial_findings_file(
        actor=actor, study=study, intervention=intervention, findings=findings
    )
    return 0 if saved is None else len(findings)
