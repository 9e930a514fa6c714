"""The plain-text part of an e-mail, made from the same sanitised HTML as the HTML part.

Markdown is rendered (``news.markdown.render_markdown``) and the HTML then read back as
text, so that the text part has what a reader sees, not the Markdown's syntax or the
escapes the composer put in (``\\*``): headings underlined, paragraphs wrapped at 72
characters, list items with "- " or "1. ", links as "text (address)", images as
"[Image: alt text]", and relative addresses made absolute.
"""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

from whatworks.core.links import absolute_url

WIDTH = 72


def absolute(url: str) -> str:
    """A site-relative address ("/news/…") as a full one; others unchanged."""
    return absolute_url(url) if url.startswith("/") and not url.startswith("//") else url


_RELATIVE = re.compile(r'(\s(?:src|href)=")(/(?!/)[^"]*)"')


def absolute_links(html: str) -> str:
    """``html`` (our sanitised subset, attributes in double quotes) with every site-relative
    ``src`` and ``href`` made absolute, for e-mails and feeds read away from the site."""
    return _RELATIVE.sub(lambda m: f'{m.group(1)}{absolute_url(m.group(2))}"', html)


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, bool]] = []  # (text, is a list item)
        self.current: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [is_ordered, counter]
        self.links: list[str | None] = []
        self.heading: int | None = None
        self.pre = 0
        self.quote = 0

    # one block (a paragraph, heading, list item) at a time
    def _flush(self, *, prefix: str = "", underline: str | None = None) -> None:
        raw = "".join(self.current)
        self.current = []
        if self.pre:
            text = raw.rstrip("\n")
            if text:
                self.blocks.append(("\n".join("    " + line for line in text.split("\n")), False))
            return
        text = " ".join(raw.split())
        if not text:
            return
        indent = "  " * max(len(self.lists) - 1, 0)
        quote = "> " * self.quote
        first = quote + indent + prefix
        rest = quote + indent + " " * len(prefix)
        wrapped = textwrap.fill(
            text, width=WIDTH, initial_indent=first, subsequent_indent=rest,
            break_long_words=False, break_on_hyphens=False,
        )  # fmt: skip
        if underline:
            wrapped += "\n" + underline * min(len(text), WIDTH)
        self.blocks.append((wrapped, bool(prefix)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"p", "blockquote", "table", "tr"} or tag in {"h2", "h3", "h4", "h5", "h6"}:
            self._flush()
        if tag in {"h2", "h3", "h4", "h5", "h6"}:
            self.heading = int(tag[1])
        elif tag == "blockquote":
            self.quote += 1
        elif tag in {"ul", "ol"}:
            self._flush(prefix=self._item_prefix(advance=False))
            self.lists.append([int(tag == "ol"), 0])
        elif tag == "li":
            self._flush(prefix=self._item_prefix(advance=False))
            if self.lists:
                self.lists[-1][1] += 1
        elif tag == "pre":
            self._flush()
            self.pre += 1
        elif tag == "br":
            self.current.append("\n" if self.pre else " ")
        elif tag == "a":
            self.links.append(attributes.get("href"))
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            self.current.append(f"[Image: {alt}]" if alt else "[Image]")
        elif tag == "hr":
            self._flush()
            self.blocks.append(("-" * 20, False))
        elif tag in {"td", "th"}:
            self.current.append(" | " if self.current else "")

    def _item_prefix(self, *, advance: bool) -> str:
        if not self.lists:
            return ""
        ordered, count = self.lists[-1]
        return f"{count}. " if ordered else "- "

    def handle_endtag(self, tag: str) -> None:
        if tag in {"h2", "h3", "h4", "h5", "h6"}:
            self._flush(underline="=" if self.heading == 2 else "-")
            self.heading = None
        elif tag in {"p", "tr", "table"}:
            self._flush(prefix=self._item_prefix(advance=False) if self._in_item() else "")
        elif tag == "li":
            self._flush(prefix=self._item_prefix(advance=False))
        elif tag in {"ul", "ol"}:
            self._flush(prefix=self._item_prefix(advance=False))
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self._flush()
            self.quote = max(self.quote - 1, 0)
        elif tag == "pre":
            self._flush()
            self.pre = max(self.pre - 1, 0)
        elif tag == "a":
            href = self.links.pop() if self.links else None
            if href and not href.startswith("mailto:"):
                url = absolute(href)
                label = "".join(self.current).rstrip()
                if not label.endswith(url):
                    self.current.append(f" ({url})")

    def _in_item(self) -> bool:
        return bool(self.lists)

    def handle_data(self, data: str) -> None:
        self.current.append(data)

    def text(self) -> str:
        self._flush()
        out = ""
        for i, (block, item) in enumerate(self.blocks):
            if i:
                out += "\n" if item and self.blocks[i - 1][1] else "\n\n"
            out += block
        return out.strip() + "\n"


def html_to_text(html: str) -> str:
    """The text a reader of ``html`` (our sanitised subset) sees, for an e-mail's text part."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()
