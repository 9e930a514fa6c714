"""The eight parts of the platform: names, landing URLs and one-paragraph descriptions.

The header navigation, the home page and each part's landing page read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Part:
    key: str
    url_name: str
    nav_label: Promise | str
    title: Promise | str
    lead: Promise | str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


PARTS: tuple[Part, ...] = (
    Part(
        "evidence",
        "evidence:index",
        _("Evidence"),
        _("Evidence Store"),
        _(
            "Plain-English summaries of interventions and approaches in children's social care: "
            "how big the effect is and how sure we are, kept apart, with the studies behind them."
        ),
    ),
    Part(
        "registry",
        "registry:index",
        _("Research"),
        _("Research registry"),
        _(
            "Research projects and their protocols, registered before data is collected, with "
            "every amendment kept and every result stated against its pre-registered criteria."
        ),
    ),
    Part(
        "pilots",
        "pilots:index",
        _("Pilots"),
        _("Predictive-analytics pilots"),
        _(
            "Local authorities test whether a model can predict which cases will escalate — and "
            "whether it should be used — with honest metrics, a fairness audit and an ethics gate."
        ),
    ),
    Part(
        "panel",
        "panel:index",
        _("Panel"),
        _("Polling panel"),
        _(
            "Social workers and others in the sector answer short polls and surveys; results "
            "are weighted to the workforce, and members' data is theirs to see and delete."
        ),
    ),
    Part(
        "forum",
        "forum:index",
        _("Forum"),
        _("Deliberative forum"),
        _(
            "Vote on short statements about hard questions and add your own; see the opinion "
            "groups, what each believes and where the sector agrees."
        ),
    ),
    Part(
        "events",
        "events:index",
        _("Events"),
        _("Events"),
        _(
            "#iuseevidence days, deliberative forums and demonstrations: register, join a "
            "waiting list, add them to your calendar."
        ),
    ),
    Part(
        "calls",
        "calls:index",
        _("Calls"),
        _("Calls for partners"),
        _(
            "Local authorities and organisations apply to take part in the Centre's research "
            "and pilots."
        ),
    ),
    Part(
        "news",
        "news:index",
        _("News"),
        _("News and blog"),
        _("Posts from the Centre and practice leads, and the monthly newsletter."),
    ),
)

PARTS_BY_KEY = {part.key: part for part in PARTS}
