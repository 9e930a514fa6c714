"""Drafting a newsletter issue from what is new: the section-provider extension point.

Every part may contribute a section to the monthly issue (upcoming events, open calls,
new evidence and research).  A **section provider** is a callable::

    def provider(*, since: datetime, until: datetime) -> Mapping | None

returning ``None`` (nothing to say) or a mapping with

- ``"heading"`` — the section's heading (str), and
- ``"items"`` — a list of mappings with ``"title"`` and ``"url"`` (absolute path or URL)
  and optionally ``"summary"`` (one line) and ``"when"`` (a short date text).  The
  composer shortens a long title or summary at a word, with an ellipsis (pass them whole).

Parts may not import one another (import-linter), so a part registers its provider with
the core's extension point, from its own ``AppConfig.ready``, without importing news::

    def ready(self) -> None:
        from whatworks.core.extensions import newsletter_sections
        from whatworks.events.newsletter import upcoming_events

        newsletter_sections.register("events", upcoming_events, order=20)

Sections appear by ``order`` (news posts are 10), and a provider that raises is logged
and left out, so one broken part never stops the editor from drafting.  Providers should
read through their own selectors and list only what a visitor may see.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from whatworks.core.extensions import Registration, SectionProvider, newsletter_sections
from whatworks.core.text import shorten

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionItem:
    title: str
    url: str
    summary: str = ""
    when: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    items: tuple[SectionItem, ...] = field(default_factory=tuple)


#: An item's summary in the draft is one line: longer ones are cut at a word, with "…".
SUMMARY_LIMIT = 160
TITLE_LIMIT = 120


def _section(registration: Registration[SectionProvider], raw: Any) -> Section | None:
    if not raw:
        return None
    key = registration.key
    items = tuple(
        SectionItem(
            title=shorten(str(item["title"]), TITLE_LIMIT),
            url=str(item["url"]),
            summary=shorten(str(item.get("summary") or ""), SUMMARY_LIMIT),
            when=str(item.get("when") or ""),
        )
        for item in raw.get("items") or []
    )
    if not items:
        return None
    return Section(key=key, heading=str(raw.get("heading") or key), items=items)


def collect_sections(*, since: datetime, until: datetime) -> list[Section]:
    """Ask every registered provider, in order, for its section of the issue."""
    return newsletter_sections.collect(_section, since=since, until=until)


def _escape(text: str) -> str:
    """Keep provider text from turning into Markdown structure or links."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def sections_to_markdown(sections: list[Section], *, base_url: str) -> str:
    """The draft body: one ``##`` heading per section, one bullet per item."""
    lines: list[str] = []
    for section in sections:
        lines.append(f"## {_escape(section.heading)}")
        lines.append("")
        for item in section.items:
            url = item.url if "://" in item.url else f"{base_url.rstrip('/')}{item.url}"
            line = f"- [{_escape(item.title)}](<{url}>)"
            if item.when:
                line += f" ({_escape(item.when)})"
            if item.summary:
                line += f": {_escape(item.summary)}"
            lines.append(line)
        lines.append("")
    return "\n".join(lines).strip() + "\n" if lines else ""


def news_posts_section(*, since: datetime, until: datetime) -> Mapping[str, Any] | None:
    """The news app's own provider: posts published since the last issue."""
    from whatworks.news.selectors import posts_published_between

    posts = posts_published_between(since=since, until=until)
    return {
        "heading": "From the blog",
        "items": [
            {"title": p.title, "url": p.get_absolute_url(), "summary": p.summary} for p in posts
        ],
    }
