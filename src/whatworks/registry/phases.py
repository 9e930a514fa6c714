"""Phases of a project's results that other parts add: the results-phase extension point.

A pilot's shadow phase is pre-registered when its model is frozen (the model's hash, its
flag cut-off and the figures its temporal validation measured are fixed before any later
referral is scored) and evaluated once the outcomes of those referrals are known.  It is
a phase of its own, apart from the registered outcomes: the results page lists it under
them.  The registry may not import pilots, so pilots registers a provider with
``core.extensions.results_phases`` from its ``AppConfig.ready``::

    provider(*, project: Project, user: User | AnonymousUser) -> Iterable[Mapping]

returning only what **this user may see**, each ``{"title", "url", "summary",
"sentences"}``.  A provider that raises is logged and left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from whatworks.core import extensions
from whatworks.core.extensions import LinkProvider, Registration


@dataclass(frozen=True)
class Phase:
    title: str
    url: str
    summary: str
    sentences: tuple[str, ...]


def _phases(registration: Registration[LinkProvider], raw: Iterable[Any]) -> list[Phase] | None:
    items = [
        Phase(
            title=str(item["title"]),
            url=str(item["url"]),
            summary=str(item.get("summary", "")),
            sentences=tuple(str(s) for s in item.get("sentences", ())),
        )
        for item in raw
        if isinstance(item, Mapping)
    ]
    return items or None


def results_phases(*, project: Any, user: Any) -> list[Phase]:
    """Every other part's phases of ``project``'s results that ``user`` may see."""
    groups = extensions.results_phases.collect(_phases, project=project, user=user)
    return [phase for group in groups for phase in group]
