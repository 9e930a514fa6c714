"""Typed links from a project to other parts' items: the link-provider extension point.

A project page lists, grouped by kind, the calls, pilots, events or evidence that point at
the project.  The registry may not import the other parts (import-linter), so each part
that relates to projects registers a **link provider** with the core's extension point,
from its own ``AppConfig.ready``, without importing the registry::

    def ready(self) -> None:
        from whatworks.core.extensions import project_links
        from whatworks.pilots.selectors import pilots_for_user

        project_links.register(
            "pilots",
            lambda *, project, user: pilots_for_user(user=user).filter(project=project),
            heading="Pilots",
            order=20,
        )

A provider is a callable taking keyword arguments::

    provider(*, project: Project, user: User | AnonymousUser) -> Iterable[item]

and returning only the items **this user may see** (read through the part's own
selectors; the registry cannot check them).  An item is a model instance with
``get_absolute_url()`` (its ``str()`` is the title) or a mapping with ``"title"``,
``"url"`` and optionally ``"summary"``.  Groups appear by ``order``; an empty group is
left out; a provider that raises is logged and left out, so one broken part never stops
the project page.  The free-form label/URL links of a project stay as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from whatworks.core import extensions
from whatworks.core.extensions import LinkProvider, Registration

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkItem:
    title: str
    url: str
    summary: str = ""


@dataclass(frozen=True)
class LinkGroup:
    key: str
    heading: str
    items: tuple[LinkItem, ...]


def _item(raw: Any) -> LinkItem:
    if isinstance(raw, Mapping):
        return LinkItem(
            title=str(raw["title"]), url=str(raw["url"]), summary=str(raw.get("summary", ""))
        )
    return LinkItem(title=str(raw), url=raw.get_absolute_url())


def _group(registration: Registration[LinkProvider], raw: Iterable[Any]) -> LinkGroup | None:
    items = tuple(_item(item) for item in raw)
    if not items:
        return None
    return LinkGroup(key=registration.key, heading=registration.heading, items=items)


def project_links(*, project: Any, user: Any) -> list[LinkGroup]:
    """The typed links of ``project`` that ``user`` may see, grouped by kind."""
    return extensions.project_links.collect(_group, project=project, user=user)
