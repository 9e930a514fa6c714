"""Whether anything of a research project may be shown to a user: one decision, one place.

Other parts refer to research projects of the registry by identifier (a call's or an
event's ``project_ref``, a study's ``registry_ref``) or by foreign key (a pilot's
``project``).  Before they show anything of such a project — a link, its title, a verdict,
estimates — they ask here, and the answer is the registry's own selector
(``whatworks.registry.selectors.project_visibility``), the same one its pages use.  The
parts may not import the registry (import-linter), so the registry **provides** it from
its ``AppConfig.ready``::

    from whatworks.core import projects

    projects.register_visibility_provider(registry_project_views)

A provider is a callable taking keyword arguments::

    provider(*, user: User | AnonymousUser | None, references: Collection[str])
        -> Mapping[str, ProjectView]

that returns a :class:`ProjectView` for each project the user may know exists; a
reference it leaves out is hidden.  ``user=None`` asks what everyone may see (open data,
the newsletter), whoever is composing it.  With no provider (the registry is not installed) or a
provider that raises, **nothing is visible**: the safe answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

logger = logging.getLogger(__name__)


class Visibility(IntEnum):
    """How much of a research project a user may see."""

    #: The user may not know that the project exists.
    HIDDEN = 0
    #: Its identifier, title, team and dates, but not its protocol or results (the
    #: tombstone of a project withdrawn under embargo; the stub of an embargoed project).
    STUB = 1
    #: Everything published about it: registered protocol versions and published results
    #: (and, for its team and editors, drafts too).
    FULL = 2


@dataclass(frozen=True)
class ProjectView:
    """What a part may show of a project it refers to."""

    reference: str
    title: str
    url: str
    visibility: Visibility

    @property
    def shows_results(self) -> bool:
        """Whether the user may see the project's verdicts and estimates."""
        return self.visibility >= Visibility.FULL


Provider = Callable[..., Mapping[str, ProjectView]]

_PROVIDER: list[Provider] = []


def register_visibility_provider(provider: Provider) -> None:
    """Set the one provider (replacing any other, so ``ready`` may run twice)."""
    _PROVIDER[:] = [provider]


def unregister_visibility_provider() -> None:
    _PROVIDER.clear()


def projects_for_user(*, user: Any, references: Collection[str]) -> dict[str, ProjectView]:
    """The projects among ``references`` that ``user`` may know exist, by reference."""
    wanted = {ref for ref in references if ref}
    if not wanted or not _PROVIDER:
        return {}
    try:
        views = _PROVIDER[0](user=user, references=wanted)
    except Exception:
        logger.exception("Project visibility provider failed; treating projects as hidden")
        return {}
    return {
        ref: view
        for ref, view in views.items()
        if ref in wanted and view.visibility > Visibility.HIDDEN
    }


def project_for_user(*, user: Any, reference: str) -> ProjectView | None:
    """The project ``reference`` as ``user`` may see it, or ``None`` when it is hidden."""
    return projects_for_user(user=user, references=[reference]).get(reference)
