"""The HTML report: verdict first, self-contained, accessible plots and tables."""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from whatworks_analytics.pilots.bundle import ResultBundle
from whatworks_analytics.pilots.config import parse_config
from whatworks_analytics.pilots.plots import line_chart
from whatworks_analytics.pilots.report import render_report
from whatworks_analytics.pilots.run import run
from whatworks_analytics.pilots.synth import SynthConfig, generate


@lru_cache(maxsize=1)
def bundle() -> ResultBundle:
    config = parse_config(
        {
            "config_version": 1,
            "name": "report <test> & co",
            "models": [
                {"name": "baseline", "kind": "baseline"},
                {"name": "logistic", "kind": "logistic"},
                {"name": "lightgbm", "kind": "lightgbm", "params": {"n_estimators": 20}},
            ],
            "splits": {"n_splits": 2, "kfold": 2, "min_train_rows": 100},
            "operating_point": {"top_percent": 15},
            "fairness": {"action": "punitive", "min_group_size": 30, "min_denominator": 5},
            "bootstrap": {"replicates": 30},
            "ethics": {"dpia": {"answer": "partly", "note": "draft <DPIA>"}},
        }
    )
    return run(config, generate(SynthConfig(referrals=1500, years=4, seed=9))).bundle


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.svgs = 0
        self.svg_titles = 0
        self.svg_descs = 0
        self.tables = 0
        self.captions = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "svg":
            self.svgs += 1
            assert values.get("role") == "img"
            assert values.get("aria-labelledby")
        if tag == "title" and "svg" in self.stack:
            self.svg_titles += 1
        if tag == "desc" and "svg" in self.stack:
            self.svg_descs += 1
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)
        for name in ("src", "href"):
            if values.get(name):
                self.external.append(f"{tag}[{name}]")
        if tag not in ("meta", "rect", "line", "circle", "polygon", "polyline", "br"):
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


def test_verdict_sentence_comes_first() -> None:
    html = render_report(bundle())
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    verdict = html.index('id="verdict"')
    assert verdict < html.index("<h2>")
    assert bundle().verdict.sentence.split(":")[0] in html


def test_self_contained_and_accessible() -> None:
    html = render_report(bundle())
    checker = _Checker()
    checker.feed(html)
    assert checker.external == []
    assert checker.svgs >= 5  # ROC, PR, calibration, over time, disparities
    assert checker.svg_titles == checker.svgs == checker.svg_descs
    assert checker.tables == checker.captions
    assert checker.tables >= checker.svgs
    assert 'scope="col"' in html and 'scope="row"' in html
    # Text from the config is escaped.
    assert "report &lt;test&gt; &amp; co" in html
    assert "draft &lt;DPIA&gt;" in html
    # The only URL is the SVG namespace.
    assert set(re.findall(r"https?://[^\"' ]+", html)) == {"http://www.w3.org/2000/svg"}


def test_report_lists_every_section() -> None:
    html = render_report(bundle())
    for heading in (
        "Pre-registered criteria",
        "How well each model predicts",
        "Curves",
        "Fairness",
        "In what circumstances",
        "Ethics gate",
        "Provenance",
    ):
        assert f"<h2>{heading}" in html
    assert "Of every 10 children flagged" in html
    assert "Random k-fold" in html
    assert "Lift over the baseline" in html
    assert bundle().config_hash in html


def test_rendering_is_deterministic() -> None:
    assert render_report(bundle()) == render_report(bundle())


def test_line_chart_has_title_desc_and_legend() -> None:
    svg = line_chart(
        chart_id="c",
        title="T <1>",
        desc="D & more",
        series=[("a", [(0.0, 0.0), (1.0, 1.0)]), ("b", [])],
        x_label="x",
        y_label="y",
    )
    assert '<title id="c-title">T &lt;1&gt;</title>' in svg
    assert '<desc id="c-desc">D &amp; more</desc>' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert ">a</text>" in svg and ">b</text>" in svg


def test_the_public_sections_make_up_the_report_in_order() -> None:
    from whatworks_analytics.pilots.report import report_sections

    sections = report_sections(bundle())
    html = render_report(bundle())
    assert sections.html() in html
    assert html.index(sections.verdict) < html.index(sections.circumstances)
    assert "<h2>Provenance</h2>" in sections.provenance
    assert "<script" not in sections.html() and "style=" not in sections.html()
