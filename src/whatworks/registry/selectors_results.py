"""What the team's results pages answer to: whether results may be corrected now, and the
entry page's draft, protocol version and rows.

Whether published results may be corrected (:func:`results_correction_check`) is asked
by the results page for its button and by the service that starts the correction
(``services/results.py``), so the rule lives once.

The entry page (``views/results.py``) only parses the request and renders; its rules live here:
results already published with no draft correction are closed (a correction is the way
to change them); a draft correction answers to its own version, otherwise the version
asked for, else the draft's, else the latest; each pre-registered outcome starts from the
draft's row for it (or the statistic its success criterion names, or "not reported" when
the draft left it out); outcomes the protocol did not name come back as additional rows,
with any pilot metrics they carried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from whatworks.core.http import AnyUser
from whatworks.registry.models import Project, ProtocolVersion, ResultsReport
from whatworks.registry.protocol import Outcome, ProtocolContent, parse_content
from whatworks.registry.selectors import can_correct, draft_results, public_results


@dataclass(frozen=True)
class CorrectionCheck:
    """Whether a results report may be corrected now, for the page's button and the service.

    ``permitted``: the user may correct the project's results at all (its team, editors).
    ``problems``: why this report cannot be corrected now, each a sentence to show; none
    means it can.  They are worked out only for someone permitted.
    """

    permitted: bool
    problems: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return self.permitted and not self.problems


def results_correction_check(*, user: AnyUser | None, report: ResultsReport) -> CorrectionCheck:
    """May ``user`` start a correction of ``report`` now?  Only published results that
    nothing corrects yet, with no draft of the project's waiting, of a project that is not
    withdrawn."""
    if not can_correct(user, report):
        return CorrectionCheck(permitted=False)
    project = report.project
    if project.is_withdrawn:
        return CorrectionCheck(
            permitted=True,
            problems=(_("This project has been withdrawn; it can no longer change."),),
        )
    problems = []
    if report.published_at is None:
        problems.append(
            _("These results are still a draft: change them instead of correcting them.")
        )
    elif ResultsReport.objects.filter(project=project, published_at__isnull=True).exists():
        problems.append(_("A correction is already in draft; finish and publish that one first."))
    elif ResultsReport.objects.filter(corrects=report).exists():
        problems.append(_("These results have already been corrected; correct the current ones."))
    return CorrectionCheck(permitted=True, problems=tuple(problems))


#: At most this many additional (not pre-registered) rows are read from a form.
MAX_EXTRA_ROWS = 20

ROW_FIELDS = ("statistic", "estimate", "lower", "upper", "n", "note")


@dataclass(frozen=True)
class PreRegisteredRow:
    outcome: Outcome
    initial: dict[str, Any]
    #: A pilot's metrics carried over from the draft (not typed on the form).
    metrics: dict[str, Any]


@dataclass(frozen=True)
class ResultsEntry:
    """The results-entry page's facts for one project (``closed``: nothing to enter)."""

    project: Project
    draft: ResultsReport | None
    published: ResultsReport | None
    version: ProtocolVersion | None = None
    content: ProtocolContent | None = None
    #: The draft answers to ``version`` (its rows are the starting point).
    same_version: bool = False
    #: The draft's result items by outcome (when it answers to ``version``).
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.draft is None and self.published is not None

    @property
    def unregistered(self) -> list[dict[str, Any]]:
        """The draft's rows for outcomes the protocol did not name, in the draft's order."""
        registered = {o.key for o in self.content.outcomes} if self.content else set()
        return [r for key, r in self.existing.items() if key not in registered]

    def main_initial(self) -> dict[str, Any]:
        draft = self.draft
        return {
            "summary": draft.summary if draft else "",
            "data_collection_ended": draft.data_collection_ended if draft else None,
        }

    def pre_registered_rows(self) -> list[PreRegisteredRow]:
        if self.content is None:
            return []
        rows = []
        for outcome in self.content.outcomes:
            result = self.existing.get(outcome.key)
            initial = _initial_row(result, outcome, self.content)
            if self.same_version and result is None:
                initial["not_reported"] = True
            rows.append(PreRegisteredRow(outcome, initial, (result or {}).get("metrics") or {}))
        return rows

    def extra_count(self, asked: str | None) -> int:
        """How many additional rows to show: as asked (1 to ``MAX_EXTRA_ROWS``), else one
        more than the draft has."""
        if asked is None:
            return len(self.unregistered) + 1
        try:
            return max(1, min(int(asked), MAX_EXTRA_ROWS))
        except ValueError:
            return 1

    def extra_initial(self, index: int) -> dict[str, Any]:
        unregistered = self.unregistered
        result = unregistered[index] if index < len(unregistered) else None
        return _initial_row(result, None, self.content) | {
            "outcome": result["outcome"] if result else ""
        }

    def extra_metrics(self, outcome: str) -> dict[str, Any]:
        """The pilot metrics the draft carried for an additional outcome (kept on save)."""
        by_key = {r["outcome"]: r.get("metrics") or {} for r in self.unregistered}
        return by_key.get(outcome, {})


def _initial_row(
    result: dict[str, Any] | None, outcome: Outcome | None, content: ProtocolContent | None
) -> dict[str, Any]:
    if result is None:
        statistic = ""
        if outcome is not None and content is not None:
            statistic = next(
                (
                    c.statistic
                    for c in content.success_criteria.criteria
                    if c.outcome == outcome.key
                ),
                "",
            )
        return {"statistic": statistic}
    return {k: result.get(k) for k in ROW_FIELDS}


def _version(project: Project, draft: ResultsReport | None, asked: str | None) -> ProtocolVersion:
    """The version the entry answers to: a correction's own, else the one asked for, else
    the draft's, else the latest."""
    versions = project.versions.order_by("-number")
    if draft is not None and draft.corrects_id is not None:
        return draft.protocol_version
    if asked:
        try:
            found = versions.filter(number=int(asked)).first()
        except ValueError:
            found = None
        if found is None:
            raise Http404("No such protocol version.")
        return found
    if draft is not None:
        return draft.protocol_version
    latest = versions.first()
    if latest is None:
        raise Http404("No registered version.")
    return latest


def results_entry_for(*, project: Project, version: str | None = None) -> ResultsEntry:
    """The entry page for ``project`` answering to the version number asked for (if any);
    404 for a version the project does not have, or when nothing is registered."""
    draft = draft_results(project)
    published = public_results(project)
    if draft is None and published is not None:
        return ResultsEntry(project=project, draft=draft, published=published)
    chosen = _version(project, draft, version)
    same = draft is not None and draft.protocol_version_id == chosen.pk
    existing = {r["outcome"]: r for r in (draft.results if draft and same else [])}
    return ResultsEntry(
        project=project,
        draft=draft,
        published=published,
        version=chosen,
        content=parse_content(chosen.content),
        same_version=same,
        existing=existing,
    )
