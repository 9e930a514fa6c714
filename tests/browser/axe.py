"""The checks every page gets in the browser suite, at 1280 and at 390 CSS px wide.

:func:`assert_accessible` (called by ``visit()`` and after any action that changes a page)
runs, at the desktop width the test uses and again on a 390-px phone:

- axe-core with the WCAG 2.0, 2.1 and 2.2 A and AA rules;
- every ``aria-describedby`` names ids that exist;
- every error-summary entry links to an element that exists and names its label;
- a form that performs an irreversible action (``core.confirm.CONFIRMED_ACTIONS``) is only
  ever the confirmation page's form, which names the consequence in numbers;
- no stored code shown as text outside ``<code>``: a ``snake_case`` word, a text that is a
  bare slug (``caseload-manageable``), or a text that is a choices value with a label of its
  own (``notmet``, see :func:`stored_codes`);
- a chart's legend (``data-legend``) names exactly the series it draws (``data-series``);

and at 390 px only: the page does not scroll sideways; no chart is wider than the screen or
scrolls sideways in its box (a chart draws a narrow variant instead); and every ``<text>`` of
an inline SVG renders at 12 CSS px or more, measured on the screen (font size times the
element's scale), not read from its attribute.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from axe_playwright_python.sync_playwright import Axe
from django.urls import Resolver404, resolve

from whatworks.core import labels
from whatworks.core.confirm import CONFIRM_FIELD, CONFIRMED_ACTIONS

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
MIN_SVG_TEXT_PX = 12.0
_axe = Axe()

_HERE = Path(__file__).parent


def _script(name: str) -> str:
    """A function expression from a file beside this one (its opening comment dropped)."""
    lines = (_HERE / name).read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


_STRUCTURE_JS = _script("structure.js").replace("${CONFIRM_FIELD}", CONFIRM_FIELD)
_PHONE_JS = _script("phone.js")


def _axe_violations(page: Any) -> list[str]:
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    lines = []
    for violation in results.response.get("violations", []):
        targets = ", ".join(str(node.get("target")) for node in violation["nodes"][:5])
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
        )
    return lines


def _view_name(action: str) -> str:
    try:
        return resolve(urlparse(action).path).view_name
    except Resolver404:
        return ""


@functools.cache
def stored_codes() -> list[str]:
    """Every value of a choices field whose label is a different word ("notmet" is shown
    as "Not met"): none may be the whole of a text on a page.  A value that is its label in
    lower case ("declined" for "Declined") is left out: a sentence may use the label so."""
    from django.apps import apps

    codes: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or ():
                code = str(value)
                if re.fullmatch(r"[a-z][a-z0-9_-]*", code) and code != str(label).lower():
                    codes.add(code)
    # Registered labels also name standard notation ("HC2", "CR2"), which is how people
    # write it: only codes in a code's shape are looked for.
    codes.update(c for c in labels.registered_codes() if re.fullmatch(r"[a-z][a-z0-9_-]*", c))
    return sorted(codes)


def _structure(page: Any) -> list[str]:
    found = page.evaluate(_STRUCTURE_JS, stored_codes())
    problems = [f"- {p}" for p in found["problems"]]
    for form in found["forms"]:
        name = _view_name(form["action"])
        if name not in CONFIRMED_ACTIONS:
            continue
        if form["confirmed"] and not found["confirmPage"]:
            problems.append(f"- a form for {name} skips its confirmation page")
        if found["confirmPage"] and not any(ch.isdigit() for ch in found["consequence"]):
            problems.append(f"- the confirmation page of {name} names no number")
    return problems


def assert_accessible(page: Any) -> None:
    """Fail with a readable list of everything wrong with the page, at both widths."""
    desktop = page.viewport_size
    problems = [
        f"at {desktop['width'] if desktop else '?'} px: {line}" for line in _axe_violations(page)
    ]
    problems += [
        f"at {desktop['width'] if desktop else '?'} px: {line}" for line in _structure(page)
    ]
    if desktop is None or desktop["width"] != PHONE["width"]:
        page.set_viewport_size(PHONE)
        try:
            phone = _axe_violations(page) + _structure(page)
            phone += [f"- {p}" for p in page.evaluate(_PHONE_JS, MIN_SVG_TEXT_PX)]
        finally:
            if desktop is not None:
                page.set_viewport_size(desktop)
    else:
        phone = [f"- {p}" for p in page.evaluate(_PHONE_JS, MIN_SVG_TEXT_PX)]
    problems += [f"at {PHONE['width']} px: {line}" for line in phone]
    if problems:
        raise AssertionError("\n".join([f"{page.url}: {len(problems)} problem(s)", *problems]))
