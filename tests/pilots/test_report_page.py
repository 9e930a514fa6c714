"""The report page looks as the downloaded report does: its stylesheet is the engine's
content CSS under ``.pilot-report``."""

from __future__ import annotations

import re
from pathlib import Path

from whatworks_analytics.pilots.report import CONTENT_CSS, scoped_css

STYLESHEET = Path(__file__).parents[2] / "src/whatworks/pilots/static/pilots/report.css"


def test_the_report_stylesheet_is_the_engines_scoped_css() -> None:
    text = STYLESHEET.read_text(encoding="utf-8")
    body = text.split("*/", 1)[1].lstrip("\n")
    assert body == scoped_css(".pilot-report"), (
        "src/whatworks/pilots/static/pilots/report.css is out of date: regenerate it from "
        "whatworks_analytics.pilots.report.scoped_css('.pilot-report')"
    )


def test_every_rule_is_scoped() -> None:
    rules = scoped_css(".pilot-report").strip().splitlines()
    assert len(rules) == len(CONTENT_CSS.strip().splitlines())
    for rule in rules:
        if rule.startswith("@media"):  # the rules inside a media query are scoped
            inner = re.findall(r"([^{}]+)\{[^{}]*\}", rule.split("{", 1)[1])
            assert inner, rule
            selectors = ",".join(inner)
        else:
            selectors = rule.split("{", 1)[0]
        assert all(s.strip().startswith(".pilot-report ") for s in selectors.split(",")), rule


def test_the_worked_example_shipped_with_the_engine_is_the_documented_one() -> None:
    from whatworks.pilots import analytics

    documented = Path(__file__).parents[2] / "packages/analytics/examples/escalation.yaml"
    assert analytics.example_config() == documented.read_text(encoding="utf-8")
    analytics.config_parse(analytics.example_config())  # a valid config
