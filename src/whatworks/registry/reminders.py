"""Results reminders (issue #17): the team of a registered project is told when its results
are due soon and again when they are overdue — once for each state, not on every run.

A project is *due soon* from ``RESULTS_DUE_SOON_DAYS`` before its results-due date, and
*overdue* after it, until results are published (or it is withdrawn).  What was last sent,
and for which due date, is kept on the project (``results_notice``, ``results_notice_due``):
a run sends only when the state (or the due date) differs from what was last told, so a
daily run e-mails each team at most twice per due date.  Run daily by
``whatworks manage registry_results_reminders`` or the ``send_results_reminders`` task.
The project's page shows the same state to its team whenever they look.

This module holds the rule (the state a project is in); the sending, which writes what
was told, is ``services/reminders.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from whatworks.registry.models import Project, ResultsReport

RESULTS_DUE_SOON_DAYS = 30
DUE_SOON = "due-soon"
OVERDUE = "overdue"


@dataclass(frozen=True)
class ResultsState:
    state: str  # DUE_SOON or OVERDUE
    due: date
    days: int  # days until due (due soon) or since (overdue)

    @property
    def sentence(self) -> str:
        if self.state == OVERDUE:
            return (
                f"The results were due on {self.due:%-d %B %Y}, {self.days} day"
                f"{'s' if self.days != 1 else ''} ago, and are not yet published. Enter or "
                "import them and ask the editors to publish them; the overdue list shows "
                "this project until then."
            )
        when = "today" if self.days == 0 else f"in {self.days} day{'s' if self.days != 1 else ''}"
        return (
            f"The results are due on {self.due:%-d %B %Y}, {when}. Enter or import them so "
            "that the editors can publish them in time."
        )


def results_state(project: Project, today: date | None = None) -> ResultsState | None:
    """Whether the project's results are due soon or overdue, or None."""
    today = today or timezone.localdate()
    if project.results_due is None or project.is_withdrawn or not project.has_identifier:
        return None
    if ResultsReport.objects.filter(project=project, published_at__isnull=False).exists():
        return None
    if today > project.results_due:
        return ResultsState(OVERDUE, project.results_due, (today - project.results_due).days)
    if project.results_due - today <= timedelta(days=RESULTS_DUE_SOON_DAYS):
        return ResultsState(DUE_SOON, project.results_due, (project.results_due - today).days)
    return None
