"""People's words for the codes the platform stores (one place to look them up).

A part registers the labels of the codes it shows (``register("pilots.age_band", {...})``,
usually from its ``AppConfig.ready``); templates show a code with
``{{ code|label_for:"pilots.age_band" }}``.  A code with no label is shown with its
underscores and hyphens turned into spaces ("10_to_15" -> "10 to 15"), never raw, and the
browser suite's checks look for codes that slip through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_LABELS: dict[str, dict[str, str]] = {}


def register(kind: str, mapping: Mapping[str, Any]) -> None:
    _LABELS.setdefault(kind, {}).update({str(k): str(v) for k, v in mapping.items()})


def label(kind: str, code: Any) -> str:
    text = "" if code is None else str(code)
    known = _LABELS.get(kind, {}).get(text)
    if known is not None:
        return known
    return humanise(text)


def registered_codes() -> set[str]:
    """Every code whose registered label is a different word (not only in capitals)."""
    return {
        code
        for mapping in _LABELS.values()
        for code, text in mapping.items()
        if code != text.lower()
    }


def humanise(code: str) -> str:
    """ "plan_or_care" -> "Plan or care"; "10_to_15" -> "10 to 15"; other text unchanged."""
    if not re.fullmatch(r"[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*", code) or not re.search(r"[_-]", code):
        return code
    words = re.sub(r"[_-]+", " ", code)
    return words[:1].upper() + words[1:]
