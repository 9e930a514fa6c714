"""Forest plots: accessible inline SVG and the table alternative."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from whatworks_analytics.meta import (
    EffectSizes,
    Measure,
    MetaResult,
    describe_forest,
    effect_sizes_from_frame,
    forest_svg,
    forest_table,
    generic,
    log_odds_ratio,
    pool,
)

DATA = Path(__file__).parent / "data"
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """Parse our own generated SVG (trusted input, so the stdlib parser is fine)."""
    return ET.fromstring(svg)  # noqa: S314


@pytest.fixture(scope="module")
def bcg_reml() -> tuple[EffectSizes, MetaResult]:
    effects = effect_sizes_from_frame(pl.read_csv(DATA / "bcg.csv"), measure="RR")
    return effects, pool(effects, method="REML")


@pytest.fixture(scope="module")
def bcg_svg(bcg_reml: tuple[EffectSizes, MetaResult]) -> str:
    effects, result = bcg_reml
    return forest_svg(effects, result, id_prefix="bcg")


def test_svg_is_an_inline_svg_element_with_title_and_desc_first(bcg_svg: str) -> None:
    assert bcg_svg.startswith("<svg")
    assert "<?xml" not in bcg_svg and "<!DOCTYPE" not in bcg_svg and "<metadata" not in bcg_svg
    root = parse(bcg_svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "bcg-title bcg-desc"
    title, desc = list(root)[:2]
    assert title.tag == f"{SVG}title" and title.get("id") == "bcg-title"
    assert desc.tag == f"{SVG}desc" and desc.get("id") == "bcg-desc"
    assert title.text == "Forest plot: risk ratio"
    assert desc.text is not None
    assert "13 studies" in desc.text
    # Pooled RR 0.4894 [0.3441, 0.6962] (metafor) and prediction interval 0.1342 to 1.7848
    # (metafor predict(res, pi.type="riley", transf=exp): t with k - 2 = 11 df; values in
    # tests/reference/metafor.json, bcg_rr.pooled.REML.predict_riley).
    assert "0.49, 95% confidence interval 0.34 to 0.70" in desc.text
    assert "95% prediction interval 0.13 to 1.78 (t distribution with k - 2 = 11" in desc.text
    assert "I-squared 92.2%" in desc.text


def test_svg_keeps_text_as_text_and_shows_every_study(
    bcg_svg: str, bcg_reml: tuple[EffectSizes, MetaResult]
) -> None:
    effects, _ = bcg_reml
    texts = {"".join(node.itertext()) for node in parse(bcg_svg).iter(f"{SVG}text")}
    for label in effects.study:
        assert label in texts
    assert "0.41 [0.13, 1.26]" in texts  # Aronson 1948 on the ratio scale
    assert "0.49 [0.34, 0.70]" in texts  # pooled


def test_svg_is_deterministic_for_a_given_prefix(bcg_reml: tuple[EffectSizes, MetaResult]) -> None:
    effects, result = bcg_reml
    first = forest_svg(effects, result, id_prefix="same")
    assert forest_svg(effects, result, id_prefix="same") == first
    assert forest_svg(effects, result, id_prefix="other") != first
    random_ids = forest_svg(effects, result)
    assert 'aria-labelledby="forest-' in random_ids


def test_labels_are_escaped_and_not_read_as_mathtext() -> None:
    effects = generic(
        yi=[0.1, 0.3, -0.2], vi=[0.01, 0.02, 0.04], study=["$x$ & <y>", 'Quote "q"', "plain"]
    )
    result = pool(effects, method="FE")
    svg = forest_svg(effects, result, id_prefix="esc", title="Tom & Jerry <trial>")
    root = parse(svg)
    texts = {"".join(node.itertext()) for node in root.iter(f"{SVG}text")}
    assert "$x$ & <y>" in texts
    assert 'Quote "q"' in texts
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Tom & Jerry <trial>"


def test_fixed_effect_has_no_prediction_interval(bcg_reml: tuple[EffectSizes, MetaResult]) -> None:
    effects, _ = bcg_reml
    result = pool(effects, method="FE")
    table = forest_table(effects, result)
    assert [row.kind for row in table.rows][-1] == "summary"
    assert "prediction" not in describe_forest(effects, result)


def test_table_matches_the_pooled_result(bcg_reml: tuple[EffectSizes, MetaResult]) -> None:
    effects, result = bcg_reml
    table = forest_table(effects, result, digits=3)
    assert table.header == ("Study", "Risk ratio", "95% confidence interval", "Weight (%)")
    assert len(table.rows) == effects.k + 2
    studies = table.rows[: effects.k]
    assert [row.label for row in studies] == list(effects.study)
    assert sum(row.weight or 0.0 for row in studies) == pytest.approx(100.0)
    first = studies[0]
    assert first.estimate == pytest.approx(math.exp(effects.yi[0]))
    half = 1.959963984540054 * math.sqrt(effects.vi[0])
    assert first.ci_low == pytest.approx(math.exp(effects.yi[0] - half))
    summary, prediction = table.rows[-2:]
    assert summary.kind == "summary" and summary.estimate == result.exp_estimate
    assert (summary.ci_low, summary.ci_high) == (result.exp_ci_low, result.exp_ci_high)
    assert prediction.kind == "prediction" and prediction.estimate is None
    assert (prediction.ci_low, prediction.ci_high) == (result.exp_pi_low, result.exp_pi_high)
    rows = table.to_rows()
    assert rows[0] == table.header
    assert rows[1] == ("Aronson 1948", "0.411", "0.134 to 1.257", "5.1")
    assert rows[-2] == ("Pooled estimate, random effects (REML)", "0.489", "0.344 to 0.696", "")
    assert rows[-1] == ("95% prediction interval (t, 11 df)", "", "0.134 to 1.785", "")
    assert "Prediction interval: t distribution with k - 2 = 11 degrees of freedom" in (
        table.caption
    )
    assert table.to_rows(include_header=False) == rows[1:]


def test_smd_table_stays_on_its_own_scale() -> None:
    effects = generic(yi=[0.5, -0.25], vi=[0.04, 0.09], study=["A", "B"])
    result = pool(effects, method="DL")
    table = forest_table(effects, result)
    assert table.header[1] == "Effect size"
    assert table.rows[0].cells() == ("A", "0.50", "0.11 to 0.89", table.rows[0].cells()[3])


def test_zero_cell_correction_is_disclosed() -> None:
    effects = log_odds_ratio(ai=[0, 10], bi=[10, 90], ci=[5, 20], di=[5, 80], study=["A", "B"])
    text = describe_forest(effects, pool(effects, method="FE"))
    assert "0.5 was added to every cell of studies with a zero cell: A." in text


def test_single_study_plot() -> None:
    effects = generic(yi=[0.2], vi=[0.01], study=["Only"])
    svg = forest_svg(effects, pool(effects), id_prefix="one")
    desc = parse(svg).find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("Forest plot of 1 study")
    assert "Heterogeneity" not in desc.text


def test_mismatched_inputs_and_bad_options_are_rejected(
    bcg_reml: tuple[EffectSizes, MetaResult],
) -> None:
    effects, result = bcg_reml
    other = generic(yi=[0.1, 0.2], vi=[0.1, 0.1])
    with pytest.raises(ValueError, match="do not belong together"):
        forest_table(other, result)
    with pytest.raises(ValueError, match="id_prefix"):
        forest_svg(effects, result, id_prefix="1bad id")
    with pytest.raises(ValueError, match="digits"):
        forest_table(effects, result, digits=9)


@pytest.mark.parametrize("k", [1, 2])
def test_fewer_than_three_studies_show_no_prediction_interval_and_say_so(k: int) -> None:
    effects = generic(yi=[0.5, -0.25][:k], vi=[0.04, 0.09][:k], study=["A", "B"][:k])
    result = pool(effects, method="REML")
    table = forest_table(effects, result)
    assert [row.kind for row in table.rows][-1] == "summary"
    assert "No prediction interval: a prediction interval needs at least three studies." in (
        describe_forest(effects, result)
    )
    assert "a prediction interval needs at least three studies" in table.caption
    svg = forest_svg(effects, result, id_prefix=f"few{k}")
    assert svg.count("stroke-dasharray") == 1  # the line of no effect, no prediction line


def test_three_studies_show_the_prediction_interval_with_its_method() -> None:
    effects = generic(yi=[0.5, -0.25, 0.1], vi=[0.04, 0.09, 0.05], study=["A", "B", "C"])
    result = pool(effects, method="DL")
    assert result.tau2 > 0
    table = forest_table(effects, result)
    assert table.rows[-1].kind == "prediction"
    assert table.rows[-1].label == "95% prediction interval (t, 1 df)"
    assert "(t distribution with k - 2 = 1 degrees of freedom" in describe_forest(effects, result)
    svg = forest_svg(effects, result, id_prefix="three")
    assert svg.count("stroke-dasharray") == 2  # the line of no effect and the prediction line


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in parse(svg).iter(f"{SVG}text")]


def _font_sizes_pt(svg: str) -> list[float]:
    """Each <text>'s font size in SVG user units (pt: the root's width is in pt)."""
    import re

    sizes = []
    for element in parse(svg).iter(f"{SVG}text"):
        style = element.get("style", "") + " " + element.get("font-size", "")
        found = re.search(r"(\d+(?:\.\d+)?)px", style) or re.search(r"(\d+(?:\.\d+)?)", style)
        assert found, style
        sizes.append(float(found.group(1)))
    return sizes


def test_text_is_at_least_12_css_px_at_its_own_size(bcg_svg: str) -> None:
    # the root is sized in pt and 1 pt = 4/3 CSS px, so 9 pt is 12 CSS px
    assert parse(bcg_svg).get("width", "").endswith("pt")
    assert min(_font_sizes_pt(bcg_svg)) * 4 / 3 >= 12


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.7, 1.4, [0.7, 0.8, 0.9, 1.0, 1.1, 1.25]),  # drew only "1" before
        (0.66, 1.58, [0.7, 1.0, 1.5]),
        (0.3, 3.0, [0.5, 1.0, 2.0]),
        (0.95, 1.08, [0.95, 1.0, 1.05]),
        (0.05, 20.0, [0.05, 0.2, 1.0, 5.0, 20.0]),  # at most seven
    ],
)
def test_ratio_axes_get_at_least_three_ticks(
    low: float, high: float, expected: list[float]
) -> None:
    from whatworks_analytics.meta.forest import ratio_ticks

    assert ratio_ticks(low, high) == expected


def test_a_narrow_ratio_range_is_labelled_with_several_ticks() -> None:
    import numpy as np

    effects = EffectSizes(
        measure=Measure.OR,
        study=("A", "B", "C"),
        yi=np.log(np.array([0.8, 1.2, 0.9])),
        vi=np.array([0.01, 0.02, 0.015]),
    )
    svg = forest_svg(effects, pool(effects, method="REML"), id_prefix="narrow")
    ticks = [t for t in _texts(svg) if t.replace(".", "", 1).isdigit()]
    assert len(ticks) >= 3, ticks


@pytest.mark.parametrize(
    ("higher_is_better", "left", "right"),
    [
        (True, "\u2190 Favours control", "Favours intervention \u2192"),
        (False, "\u2190 Favours intervention", "Favours control \u2192"),
    ],
)
def test_the_sides_of_the_axis_say_what_they_favour(
    bcg_reml: tuple[EffectSizes, MetaResult], higher_is_better: bool, left: str, right: str
) -> None:
    effects, result = bcg_reml
    texts = _texts(forest_svg(effects, result, id_prefix="f", higher_is_better=higher_is_better))
    assert left in texts and right in texts
    assert not any("Favours" in t for t in _texts(forest_svg(effects, result, id_prefix="g")))


@pytest.mark.parametrize("higher_is_better", [True, False, None])
def test_the_narrow_plot_fits_a_phone_with_text_of_12_css_px(
    bcg_reml: tuple[EffectSizes, MetaResult], higher_is_better: bool | None
) -> None:
    from whatworks_analytics.meta.forest import NARROW_PX

    effects, result = bcg_reml
    svg = forest_svg(effects, result, id_prefix="n", higher_is_better=higher_is_better, narrow=True)
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "n-title n-desc"
    assert float(root.get("width", "").removesuffix("pt")) * 4 / 3 <= NARROW_PX + 0.5
    assert min(_font_sizes_pt(svg)) * 4 / 3 >= 12
    texts = _texts(svg)
    for label in effects.study:  # whole, or cut at a word with an ellipsis
        shown = [
            t for t in texts if t == label or (t.endswith("\u2026") and label.startswith(t[:-1]))
        ]
        assert len(shown) == 1, (label, texts)
    assert "Aronson 1948" in texts and "Ferguson & Simes 1949" in texts
    assert "0.41 [0.13, 1.26]" in texts and "0.49 [0.34, 0.70]" in texts
    assert len([t for t in texts if t.replace(".", "", 1).isdigit()]) >= 3
    assert any("Favours" in t for t in texts) is (higher_is_better is not None)


def test_the_narrow_plot_shortens_long_names_at_a_word() -> None:
    import numpy as np

    long_name = "An exceptionally long study name from a multi-site cluster trial 2021"
    effects = EffectSizes(
        measure=Measure.SMD,
        study=(long_name, "B", "C"),
        yi=np.array([0.2, 0.1, 0.3]),
        vi=np.array([0.01, 0.02, 0.015]),
    )
    texts = _texts(forest_svg(effects, pool(effects, method="REML"), narrow=True))
    shortened = [t for t in texts if t.startswith("An exceptionally")]
    assert len(shortened) == 1 and shortened[0].endswith("\u2026")
    assert long_name.startswith(shortened[0][:-1]) and not shortened[0][:-1].endswith(" ")
    assert long_name.split()[len(shortened[0][:-1].split()) - 1] == shortened[0][:-1].split()[-1]
