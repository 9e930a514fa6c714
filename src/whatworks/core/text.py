"""Plain-text helpers shared by templates, e-mails and charts."""

from __future__ import annotations

import re

ELLIPSIS = "\u2026"

_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>|&(?:[A-Za-z]+|#[0-9]+|#x[0-9A-Fa-f]+);")


def markup_in(text: str) -> str | None:
    """The first HTML tag or character reference in ``text`` ("<i>", "&amp;"), or None.

    Titles and tags are plain text: markup in them would be shown as typed on one page,
    interpreted on another and turned into letters in a slug ("<i>family</i>" -> "ifamilyi").
    """
    found = _MARKUP.search(text or "")
    return found.group(0) if found else None


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at the end of a word and followed by
    an ellipsis when it was too long.  A single word longer than the limit is cut inside
    (there is no better place).

    >>> shorten("Practice notes from the family court", 20)
    'Practice notes from…'
    >>> shorten("Short", 20)
    'Short'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - 1, 1)
    cut = text[: room + 1]  # one more: is the character after the cut a space?
    if cut[-1] == " ":
        kept = cut[:-1]
    elif " " in cut:
        kept = cut[: cut.rfind(" ")]
    else:
        kept = text[:room]
    return kept.rstrip(" ,;:.-\u2013\u2014(") + ELLIPSIS
