"""The HTML report: verdict first, self-contained, accessible plots and tables."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

import pytest
from pydantic import ValidationError

from whatworks_analytics.pilots.bundle import ResultBundle, bundle_json
from whatworks_analytics.pilots.config import parse_config
from whatworks_analytics.pilots.plots import line_chart
from whatworks_analytics.pilots.report import render_report, report_sections
from whatworks_analytics.pilots.run import run
from whatworks_analytics.pilots.synth import SynthConfig, generate
from whatworks_analytics.pilots.vocabulary import vocabulary_problems


def first_group(pattern: str, text: str) -> str:
    """The first group of ``pattern``'s first match in ``text``, which must match."""
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


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


def test_the_headline_comes_first_and_the_three_questions_follow() -> None:
    html = render_report(bundle())
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    headline = html.index('id="headline"')
    assert headline < html.index("<h2>")
    questions = [
        html.index(f"<h2>{q}</h2>")
        for q in ("Can it be useful?", "In what circumstances?", "Should we use it?")
    ]
    assert headline < questions[0] < questions[1] < questions[2] < html.index('id="verdict"')
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
        "Verdict against the pre-registered criteria",
        "How well each model predicts",
        "What the model uses",
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
    # "b" has no points: it is neither drawn nor in the legend
    assert ">a</text>" in svg and ">b</text>" not in svg
    assert _legend_and_drawn(svg) == ({"0"}, {"0"})


def _legend_and_drawn(svg: str) -> tuple[set[str], set[str]]:
    """The series keys named by the legend, and those drawn (``data-legend``, ``data-series``)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)  # noqa: S314 - our own generated SVG
    legend = {e.get("data-legend", "") for e in root.iter() if e.get("data-legend")}
    drawn = {
        e.get("data-series", "")
        for e in root.iter()
        if e.get("data-series")
        and any(child.tag.endswith(("polyline", "circle", "rect", "polygon")) for child in e)
    }
    return legend, drawn


@pytest.mark.parametrize("narrow", [False, True])
def test_every_chart_of_the_report_has_a_legend_of_what_it_draws(narrow: bool) -> None:
    import re

    html = render_report(bundle())
    kind = "chart-narrow" if narrow else "chart-wide"
    charts = re.findall(rf'<div class="{kind}">(<svg.*?</svg>)</div>', html, flags=re.DOTALL)
    assert len(charts) >= 4  # ROC, precision-recall, calibration, disparities (+ over time)
    for svg in charts:
        legend, drawn = _legend_and_drawn(svg)
        assert legend == drawn, svg[:200]


def test_the_narrow_charts_fit_a_phone_with_text_of_12_px() -> None:
    import re

    from whatworks_analytics.pilots.plots import NARROW_WIDTH

    html = render_report(bundle())
    narrow = re.findall(r'<div class="chart-narrow">(<svg.*?</svg>)</div>', html, flags=re.DOTALL)
    wide = re.findall(r'<div class="chart-wide">(<svg.*?</svg>)</div>', html, flags=re.DOTALL)
    assert len(narrow) == len(wide) >= 4
    for svg in narrow:
        assert int(first_group(r'width="(\d+)"', svg)) <= NARROW_WIDTH
        assert "font-size" not in svg  # the text takes the report's 12 px (or the page's)
        ids = re.findall(r' id="([^"]+)"', svg)
        assert ids and all(i.endswith(("-n-title", "-n-desc")) for i in ids)


def test_the_public_sections_make_up_the_report_in_order() -> None:
    from whatworks_analytics.pilots.report import report_sections

    sections = report_sections(bundle())
    html = render_report(bundle())
    assert sections.html() in html
    assert html.index(sections.verdict) < html.index(sections.circumstances)
    assert "<h2>Provenance</h2>" in sections.provenance
    assert "<script" not in sections.html() and "style=" not in sections.html()


# --- escaping: a bundle whose every free-text string carries markup renders as text, in
# the whole document and in the sections the platform embeds; the document forbids script
# by its own Content-Security-Policy.

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _inject(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, string) of a JSON value, dict keys of ``curves`` included."""
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(value, str):
        found.append((path, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            found.extend(_inject(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(_inject(v, (*path, i)))
    return found


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def poisoned() -> ResultBundle:
    """The test bundle with the payload appended to every string the schema accepts as
    free text (fields whose type is a date or a fixed literal are left as they are)."""
    data = json.loads(bundle_json(bundle()))
    for path, text in _inject(data):
        _set(data, path, text + PAYLOAD)
    # Curves are keyed by model name: keep them reachable under the poisoned names.
    data["curves"] = {name + PAYLOAD: curve for name, curve in data["curves"].items()}
    for _ in range(200):
        try:
            return ResultBundle.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                path = tuple(error["loc"])
                value = error.get("input")
                if isinstance(value, str) and value.endswith(PAYLOAD):
                    _set(data, path, value[: -len(PAYLOAD)])
    raise AssertionError("could not build the poisoned bundle")


def test_every_free_text_value_is_escaped_in_the_document() -> None:
    poison = poisoned()
    assert poison.verdict.sentence.endswith(PAYLOAD) and poison.lift[0].metric.endswith(PAYLOAD)
    html = render_report(poison)
    assert (
        "<script" not in html
        and "<img" not in html
        and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    )
    assert html.count("&lt;script&gt;") > 50, "the payload is shown as text, everywhere"
    assert "script-src 'none'" in html and 'http-equiv="Content-Security-Policy"' in html


def test_every_free_text_value_is_escaped_in_the_embedded_sections() -> None:
    sections = report_sections(poisoned()).html()
    assert "<script" not in sections and "<img" not in sections
    assert "&lt;script&gt;" in sections


# --- closed vocabularies of a bundle: what the engine writes passes; a name outside its
# vocabulary (markup, a metric or group that does not exist) is refused, every one at once.

BAD = "<script>alert(1)</script>"


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bundle_json(bundle()))
    return data


def test_the_engines_own_bundle_has_no_problem() -> None:
    assert vocabulary_problems(bundle()) == []


def test_every_name_outside_its_vocabulary_is_listed_at_once() -> None:
    data = _data()
    data["lift"][0]["metric"] = BAD
    data["optimism"][0]["model"] = BAD
    data["results"][0]["model"] = BAD
    data["verdict"]["criteria"][0]["metric"] = BAD
    data["verdict"]["fairness_checks"][0]["attribute"] = BAD
    data["verdict"]["fairness_checks"][0]["outside"] = [BAD]
    fairness = data["fairness"]
    fairness["key_metrics"] = [BAD]
    fairness["groups"][0]["group"] = BAD
    fairness["groups"][0]["attribute"] = BAD
    fairness["groups"][0]["disparity"] = {BAD: 1.0}
    fairness["groups"][1]["n"] = BAD
    fairness["band"]["low"] = BAD
    data["circumstances"][0]["dimension"] = BAD
    data["ethics"]["items"][0]["note"] = BAD
    data["ethics"]["items"][1]["title"] = BAD
    data["features"][0] = BAD
    data["code_version"] = BAD
    problems = vocabulary_problems(ResultBundle.model_validate(data))
    where = [p.split(":", 1)[0] for p in problems]
    for expected in (
        "lift[0].metric",
        "optimism[0].model",
        "results[0].model",
        "verdict.criteria[0].metric",
        "verdict.fairness_checks[0].attribute",
        "verdict.fairness_checks[0].outside[0]",
        "fairness.key_metrics[0]",
        "fairness.groups[0].group",
        "fairness.groups[0].attribute",
        "fairness.groups[0].disparity",
        "fairness.groups[1].n",
        "fairness.band.low",
        "circumstances[0].dimension",
        "ethics.items[0].note",
        "ethics.items[1]",
        "features[0]",
        "code_version",
    ):
        assert expected in where, (expected, problems)
    lift = problems[where.index("lift[0].metric")]
    assert "is not a metric (average_precision, brier, flag_rate" in lift


def test_the_list_is_capped_and_counted() -> None:
    data = _data()
    for row in data["circumstances"]:
        row["group"] = BAD
    many = len(data["circumstances"])
    assert many > 10
    for row in data["fairness"]["groups"]:
        row["group"] = BAD
    problems = vocabulary_problems(ResultBundle.model_validate(data))
    assert len(problems) <= 51
    if len(problems) == 51:
        assert problems[-1].startswith("… and ")


def test_chart_ticks_are_round_values_labelled_without_rounding() -> None:
    from whatworks_analytics.pilots.plots import nice_ticks

    for low, high in ((0, 0.6), (0, 0.3), (0, 1), (0.4, 1), (0.05, 0.37), (0, 0.05)):
        ticks = nice_ticks(low, high)
        labels = [label for _v, label in ticks]
        assert len(set(labels)) == len(labels) >= 3, (low, high, labels)
        for value, label in ticks:
            assert float(label) == pytest.approx(value), (value, label)
            assert low - 1e-9 <= value <= high + 1e-9


def test_no_chart_label_is_cut_off() -> None:
    """Margins grow with the longest legend name and disparity label (7 px a character of
    12-px text is generous), so the text fits inside the SVG."""
    from whatworks_analytics.pilots.plots import disparity_chart

    long_name = "a model with a long descriptive name"
    svg = line_chart(
        chart_id="t",
        title="t",
        desc="d",
        series=[(long_name, [(0.0, 0.0), (1.0, 1.0)])],
        x_label="x",
        y_label="y",
    )
    width = int(first_group(r'width="(\d+)"', svg))
    x = float(first_group(r'<text x="([\d.]+)" y="[\d.]+">' + long_name, svg))
    assert x + 7 * len(long_name) <= width
    f = bundle().fairness
    assert f is not None
    svg = disparity_chart(f)
    left = min(
        float(v) for v in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end">', svg)
    )
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert labels and left - 7 * max(len(t) for t in labels) >= 0
