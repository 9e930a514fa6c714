"""The core's extension points: providers that parts register, for another part to ask.

Parts may not import one another (import-linter).  Where one part shows what the others
contribute — the newsletter's sections (``news/compose.py``), a project page's links to
calls, pilots, events and evidence (``registry/links.py``) — the core holds a
:class:`Providers` registry.  Each contributing part registers a real callable from its own
``AppConfig.ready``; the consuming part asks the registry, and neither imports the other::

    from whatworks.core.extensions import newsletter_sections
    from whatworks.events.newsletter import upcoming_events

    newsletter_sections.register("events", upcoming_events, order=20)

Providers are asked in ``order`` (then by key).  A provider that raises — or whose answer
the consumer cannot read — is logged and left out, so that one broken part never stops the
page or the draft.  Registering a key again replaces it (``ready`` may run twice).

The extension points and what their providers take and return:

``newsletter_sections``
    ``provider(*, since: datetime, until: datetime) -> Mapping | None``: ``None`` when the
    part has nothing to say, else ``{"heading": str, "items": [{"title", "url",
    "summary"?, "when"?}]}`` of what a visitor may see (see ``news/compose.py``).

``project_links``
    ``provider(*, project: Project, user: User | AnonymousUser) -> Iterable[item]``: only the
    items **this user may see**, each a model instance with ``get_absolute_url()`` or a
    mapping with ``"title"``, ``"url"`` and optionally ``"summary"``; registered with the
    group's ``heading`` (see ``registry/links.py``).

``event_choices``
    ``provider() -> Iterable[tuple[str, str, datetime]]``: the published events as
    ``(slug, title, starts_at)``, latest first, for another part to link to by slug (the
    forum's conversation form); the events part provides it.

``demo_projects``
    ``provider(*, title: str, title_contains: str) -> str``: the identifier of the
    registry's demo project with this title (or a title containing ``title_contains``),
    or ""; the registry provides it, for the parts' demos (``core/demo.py``).

``evidence_targets``
    ``provider() -> Mapping``: what a trial's results may be filed under in the Evidence
    Store, ``{"interventions": [(stable id, name), ...], "domains": [(code, label), ...]}``
    (the registry's Evidence Store link page, ``registry/views/trial_data.py``).  The first
    answer is used.
``results_phases``
    ``provider(*, project: Project, user: User | AnonymousUser) -> Iterable[Mapping]``: the
    phases of a project's results beyond its registered outcomes that **this user may
    see** -- the pilots' shadow phase (a frozen model's forward evaluation) -- each
    ``{"title", "url", "summary", "sentences": [str]}`` (see ``registry/phases.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

P = TypeVar("P", bound=Callable[..., Any])
T = TypeVar("T")


@dataclass(frozen=True)
class Registration(Generic[P]):
    key: str
    provider: P
    order: int
    heading: str = ""


class Providers(Generic[P]):
    """The providers of one extension point, by key."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._by_key: dict[str, Registration[P]] = {}

    def register(self, key: str, provider: P, *, order: int = 50, heading: str = "") -> None:
        """Add (or replace) the provider for ``key``."""
        self._by_key[key] = Registration(key=key, provider=provider, order=order, heading=heading)

    def unregister(self, key: str) -> None:
        self._by_key.pop(key, None)

    def registrations(self) -> list[Registration[P]]:
        return sorted(self._by_key.values(), key=lambda r: (r.order, r.key))

    def registered(self) -> list[str]:
        """The keys, in the order the providers are asked."""
        return [r.key for r in self.registrations()]

    def collect(
        self, read: Callable[[Registration[P], Any], T | None], /, **arguments: Any
    ) -> list[T]:
        """Ask every provider in order with ``arguments``; ``read`` turns each answer into
        what the consumer shows (``None``: nothing).  Failures are logged and left out."""
        collected = []
        for registration in self.registrations():
            try:
                answer = read(registration, registration.provider(**arguments))
            except Exception:
                logger.exception("%s provider %r failed; left out", self.what, registration.key)
                continue
            if answer is not None:
                collected.append(answer)
        return collected


SectionProvider = Callable[..., Mapping[str, Any] | None]
LinkProvider = Callable[..., Iterable[Any]]
EventChoiceProvider = Callable[[], Iterable[tuple[str, str, datetime]]]
DemoProjectProvider = Callable[..., str]

#: Sections of the monthly newsletter, drafted by ``news/compose.py``.
newsletter_sections: Providers[SectionProvider] = Providers("Newsletter section")
#: What the Evidence Store offers a trial's findings (its interventions and outcome domains).
evidence_targets: Providers[Callable[..., Mapping[str, Any]]] = Providers("Evidence target")
#: Links from a research project's page to other parts' items (``registry/links.py``).
project_links: Providers[LinkProvider] = Providers("Project link")
#: Published events another part may link to by slug (the forum's conversation form).
event_choices: Providers[EventChoiceProvider] = Providers("Event choices")
#: The registry's demo projects by title, for the parts' demos (``core/demo.py``).
demo_projects: Providers[DemoProjectProvider] = Providers("Demo project")
#: Phases of a project's results from other parts, such as a pilot's shadow phase
#: (``registry/phases.py``).
results_phases: Providers[LinkProvider] = Providers("Results phase")
