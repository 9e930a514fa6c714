"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises.

Raw HTML in the Markdown is escaped by the renderer; the sanitiser then keeps only the tags
and attributes below, drops ``<script>`` with its content, every ``on*`` event handler
attribute and any link or image whose scheme is not http, https or mailto (so
``javascript:`` links go), and marks external links ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "img",
        "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"scope"},
    "abbr": {"title"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def _renderer() -> MarkdownIt:
    # "js-default": CommonMark with raw HTML switched off, plus tables.
    return MarkdownIt("js-default", {"linkify": False, "typographer": False}).enable("table")


def sanitise_html(html: str) -> str:
    """Keep only the safe subset of HTML (see the module docstring)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to insert into a page without escaping.

    Headings move down one level (``#`` becomes ``<h2>``): the page's title is its ``<h1>``.
    """
    md = _renderer()
    tokens = md.parse(text or "")
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    return sanitise_html(md.renderer.render(tokens, md.options, {}))


def images_without_alt(text: str) -> list[str]:
    """The sources of Markdown images that have no alternative text (``![](x.png)``)."""
    missing: list[str] = []
    for token in _renderer().parse(text or ""):
        for child in token.children or []:
            if child.type == "image" and not (child.content or "").strip():
                missing.append(str(child.attrs.get("src", "")))
    return missing
