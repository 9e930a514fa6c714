"""The accessibility check: axe-core, with the WCAG 2.0, 2.1 and 2.2 A and AA rules."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()


def assert_accessible(page: Any) -> None:
    """Fail with a readable list when axe finds any WCAG A/AA violation on the page."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response.get("violations", [])
    if violations:
        lines = [f"{page.url}: {len(violations)} accessibility violation(s)"]
        for violation in violations:
            targets = ", ".join(str(node.get("target")) for node in violation["nodes"][:5])
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
        raise AssertionError("\n".join(lines))
