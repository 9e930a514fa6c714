"""Shortening text at a word (charts' labels, the newsletter composer's summaries)."""

from __future__ import annotations

import pytest

from whatworks.core.text import shorten


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Practice notes from the family court", 20, "Practice notes from\u2026"),
        (
            "Practice notes from the family court",
            19,
            "Practice notes\u2026",
        ),  # "from" would not fit with the ellipsis
        (
            "Practice notes, from the court",
            16,
            "Practice notes\u2026",
        ),  # no comma before the ellipsis
        ("Short", 20, "Short"),
        ("Exactly twenty chars", 20, "Exactly twenty chars"),
        ("Supercalifragilistic", 8, "Superca\u2026"),  # one long word: cut inside it
        ("  spaced\n\nout   words ", 40, "spaced out words"),
    ],
)
def test_shorten_cuts_at_a_word_with_an_ellipsis(text: str, limit: int, expected: str) -> None:
    result = shorten(text, limit)
    assert result == expected
    assert len(result) <= limit
