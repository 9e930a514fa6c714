"""Markdown is rendered and sanitised: nothing a writer types can run script."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from whatworks.news.markdown import images_without_alt, render_markdown, sanitise_html


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, "", ""))
        self.found.extend((tag, name, value or "") for name, value in attrs)


def elements(html: str) -> list[tuple[str, str, str]]:
    """Every live tag and attribute (escaped text is not a tag, so it does not count)."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def assert_harmless(html: str) -> None:
    for tag, name, value in elements(html):
        assert tag not in {"script", "svg", "iframe", "object", "style"}, html
        assert not name.startswith("on"), html
        assert name != "style", html
        url = "".join(value.split()).lower()
        assert not (name in {"href", "src"} and url.startswith(("javascript:", "data:"))), html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <script>alert(1)</script> there",
        "<SCRIPT src=https://evil.example/x.js></SCRIPT>",
    ],
)
def test_script_tags_never_survive(source: str) -> None:
    assert "<script" not in render_markdown(source).lower()
    assert "<script" not in sanitise_html(source).lower()


def test_raw_script_in_html_is_removed_with_its_content() -> None:
    assert sanitise_html("<p>a</p><script>alert(1)</script>") == "<p>a</p>"


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "![x](javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_javascript_links_are_removed(source: str) -> None:
    assert_harmless(render_markdown(source))
    assert_harmless(sanitise_html(source))


@pytest.mark.parametrize(
    "html",
    [
        '<img src="x.png" alt="x" onerror="alert(1)">',
        '<p onclick="alert(1)">hi</p>',
        '<a href="https://example.org" onmouseover="alert(1)">x</a>',
        '<svg onload="alert(1)"></svg>',
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_event_handler_attributes_are_removed(html: str) -> None:
    assert_harmless(sanitise_html(html))
    # and as raw HTML inside Markdown it is escaped text, never a live element
    assert_harmless(render_markdown(html))
    assert all(tag == "p" for tag, _, _ in elements(render_markdown(html)))


def test_safe_markdown_survives() -> None:
    html = render_markdown(
        "# Title\n\nSome *em* and **strong** and [a link](https://example.org).\n\n"
        "- one\n- two\n\n![A chart](/news/images/x/)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Title</h2>" in html  # headings move down: the page title is the h1
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">a link</a>' in html
    assert "<li>one</li>" in html
    assert '<img src="/news/images/x/" alt="A chart">' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_images_without_alt_text_are_found() -> None:
    assert images_without_alt("![](a.png) ![ok](b.png) ![ ](c.png)") == ["a.png", "c.png"]
    assert images_without_alt("no images here") == []
