"""Funnel plots: an accessible inline SVG whose text alternative states the bias tests.

The tests' numbers are checked against metafor in test_reference_methods.py; this file
checks what the plot and its description contain, on dat.hackshaw1998 (37 studies).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from whatworks_analytics.meta import pool
from whatworks_analytics.meta.bias import egger_test, rank_correlation_test, trim_and_fill
from whatworks_analytics.meta.funnel import FUNNEL_MIN_STUDIES, describe_funnel, funnel_svg

from .reference import csv_effects

SVG = "{http://www.w3.org/2000/svg}"


def test_funnel_svg_has_title_desc_and_the_filled_studies() -> None:
    effects = csv_effects("hackshaw1998")
    assert effects.k >= FUNNEL_MIN_STUDIES
    result = pool(effects)
    egger, rank = egger_test(effects), rank_correlation_test(effects)
    filled = trim_and_fill(effects)
    assert filled.k0 == 7  # metafor: trimfill(res) on dat.hackshaw1998
    svg = funnel_svg(effects, result, egger=egger, rank=rank, filled=filled, id_prefix="fun")
    root = ET.fromstring(svg)  # noqa: S314 - our own generated SVG
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "fun-title fun-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Funnel plot: effect size"
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("Funnel plot of 37 studies")
    assert f"Egger's regression test for funnel plot asymmetry: p = {egger.p:.3f}." in desc.text
    assert "Trim-and-fill estimates 7 missing studies on the left (open circles)" in desc.text
    assert svg == funnel_svg(
        effects, result, egger=egger, rank=rank, filled=filled, id_prefix="fun"
    )


def test_description_without_missing_studies() -> None:
    effects = csv_effects("hackshaw1998")
    result = pool(effects)
    text = describe_funnel(effects, result)
    assert "Egger" not in text and "Trim-and-fill" not in text


def test_the_narrow_funnel_fits_a_phone_with_text_of_12_css_px() -> None:
    import re

    from whatworks_analytics.meta.forest import NARROW_PX

    effects = csv_effects("hackshaw1998")
    result = pool(effects)
    svg = funnel_svg(effects, result, filled=trim_and_fill(effects), id_prefix="n", narrow=True)
    root = ET.fromstring(svg)  # noqa: S314 - our own generated SVG
    assert float(root.get("width", "").removesuffix("pt")) * 4 / 3 <= NARROW_PX + 0.5
    texts = list(root.iter(f"{SVG}text"))
    sizes = []
    for t in texts:
        size = re.search(r"([\d.]+)px", t.get("style", ""))
        assert size is not None
        sizes.append(float(size.group(1)))
    assert min(sizes) * 4 / 3 >= 12  # sizes in pt (the root is sized in pt)
    numbers = [
        t.text for t in texts if t.text and t.text.replace(".", "", 1).strip("\u2212-").isdigit()
    ]
    assert len(numbers) >= 6, numbers  # three or more ticks on each axis
