"""Typed links from a project to other parts' items: the link-provider extension point.

A project page lists, grouped by kind, the calls, pilots, events or evidence that point at
the project.  The registry may not import the other parts (import-linter), so each part
that relates to projects registers a **link provider** from its own ``AppConfig.ready``,
through the registry's config, without importing the registry::

    def ready(self) -> None:
        from django.apps import apps

        if apps.is_installed("whatworks.registry"):
            apps.get_app_config("registry").register_link_provider(
                "pilots",
                lambda *, project, user: pilots_for_user(user=user).filter(project=project),
                heading="Pilots",
                order=20,
            )

A provider is a callable (or a dotted path to one) taking keyword arguments::

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

Provider = Callable[..., Iterable[Any]]


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


@dataclass(frozen=True)
class _Registration:
    key: str
    provider: Provider | str
    heading: str
    order: int


_REGISTRY: dict[str, _Registration] = {}


def register_link_provider(
    key: str, provider: Provider | str, *, heading: str, order: int = 50
) -> None:
    """Add (or replace) the provider for ``key``; idempotent, so ``ready`` may run twice."""
    _REGISTRY[key] = _Registration(key=key, provider=provider, heading=heading, order=order)


def unregister_link_provider(key: str) -> None:
    _REGISTRY.pop(key, None)


def registered_keys() -> list[str]:
    return [r.key for r in sorted(_REGISTRY.values(), key=lambda r: (r.order, r.key))]


def _item(raw: Any) -> LinkItem:
    if isinstance(raw, Mapping):
        return LinkItem(
            title=str(raw["title"]), url=str(raw["url"]), summary=str(raw.get("summary", ""))
        )
    return LinkItem(title=str(raw), url=raw.get_absolute_url())


def project_links(*, project: Any, user: Any) -> list[LinkGroup]:
    """The typed links of ``project`` that ``user`` may see, grouped by kind."""
    groups = []
    for registration in sorted(_REGISTRY.values(), key=lambda r: (r.order, r.key)):
        provider = registration.provider
        try:
            if isinstance(provider, str):
                provider = import_string(provider)
            items = tuple(_item(raw) for raw in provider(project=project, user=user))
        except Exception:
            logger.exception("Link provider %r failed; left out", registration.key)
            continue
        if items:
            groups.append(
                LinkGroup(key=registration.key, heading=registration.heading, items=items)
            )
    return groups
