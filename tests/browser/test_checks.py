"""The page checks themselves: each one finds what it is meant to find."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import assert_accessible, stored_codes

SITE_CSS = Path(__file__).parents[2] / "src/whatworks/core/static/core/site.css"

GOOD = """<!DOCTYPE html><html lang="en"><head><title>Good</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Good</h1>
<div class="error-summary"><ul><li><a href="#id_name">Your name: Enter your name</a></li></ul></div>
<label for="id_name">Your name <span class="label__mark">(required)</span></label>
<div id="id_name-hint">As on your badge</div>
<input id="id_name" aria-describedby="id_name-hint">
<svg viewBox="0 0 300 40" width="300" role="img" aria-label="chart">
<text x="0" y="20" font-size="13">Big enough</text></svg>
<p>A follow-up by e-mail about the evidence-informed work.</p>
<div class="chart-wide"><svg viewBox="0 0 700 60" width="700" role="img" aria-label="wide">
<title>Wide drawing</title><text x="0" y="20" font-size="13">Wide</text>
<g data-legend="a"><text x="0" y="40" font-size="13">Series a</text></g>
<g data-series="a"><rect x="100" y="30" width="200" height="10"/></g></svg></div>
<div class="chart-narrow"><svg viewBox="0 0 330 60" width="330" role="img" aria-label="narrow">
<title>Narrow drawing</title><text x="0" y="20" font-size="13">Narrow</text></svg></div>
</main></body></html>"""

BAD = """<!DOCTYPE html><html lang="en"><head><title>Bad</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Bad</h1>
<div class="error-summary"><ul>
<li><a href="#id_name">This field is required.</a></li>
<li><a href="#id_gone">Gone: This field is required.</a></li></ul></div>
<label for="id_name">Your name</label>
<input id="id_name" aria-describedby="id_name_helptext">
<p>Referred by la_services</p>
<div style="width: 806px">wide</div>
<svg viewBox="0 0 1000 100" style="width: 100%" role="img" aria-label="chart">
<text x="0" y="50" font-size="10">Tiny</text></svg>
<p><span>caseload-manageable</span> <span>bounced</span></p>
<div style="overflow-x: auto; max-width: 100%"><svg viewBox="0 0 600 60" width="600" role="img">
<title>Scrolls sideways</title><text x="0" y="20" font-size="13">Readable but wide</text>
<g data-legend="shown"><text x="0" y="40" font-size="13">Shown</text></g>
<g data-legend="ghost"><text x="100" y="40" font-size="13">Ghost</text></g>
<g data-series="shown"><rect x="200" y="30" width="100" height="10"/></g>
<g data-series="unnamed"><rect x="300" y="30" width="100" height="10"/></g></svg></div>
<form method="post" action="/forum/some-conversation/close/">
<input type="hidden" name="confirmed" value="x"><button>Close</button></form>
</main></body></html>"""


def _with_site_css(page: Any, html: str) -> None:
    page.set_content(html)
    page.add_style_tag(path=str(SITE_CSS))


def test_a_good_page_passes(page: Any) -> None:
    _with_site_css(page, GOOD)
    assert_accessible(page)


def test_a_chart_that_scrolls_sideways_or_shrinks_on_a_phone_fails(page: Any) -> None:
    """What the site did before the narrow drawings: a wide chart in a scrolling box (text
    readable, chart not), or shrunk to the screen (text 5-6 px)."""
    for html, expected in (
        (GOOD.replace("chart-narrow", "chart-other").replace("chart-wide", "chart-scroll"),
         'chart "Wide drawing" is 700 px wide and scrolls sideways'),
        (GOOD.replace("chart-narrow", "chart-other").replace("chart-wide", "chart-any")
         .replace('width="700"', 'style="width: 100%"'),
         'SVG text "Wide" is 7.2 px on a phone'),
    ):  # fmt: skip
        _with_site_css(page, html)
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page)
        assert expected in str(failure.value), str(failure.value)


def test_each_check_finds_its_fault(page: Any) -> None:
    page.set_content(BAD)
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    report = str(failure.value)
    for expected in (
        "aria-describedby names #id_name_helptext, which does not exist",
        'error summary entry "this field is required." does not name its field (your name)',
        "error summary links to #id_gone, which does not exist",
        'a raw code "la_services" is shown as text',
        "the page is 8",  # px wide on a 390-px screen
        'SVG text "Tiny" is 3.',
        "a form for forum:close skips its confirmation page",
        'a raw code "caseload-manageable" is shown as text',
        'a raw code "bounced" is shown as text',  # a stored code with a label, as "notmet" was
        'chart "Scrolls sideways" is 600 px wide and scrolls sideways',
        'chart "Scrolls sideways": the legend names "ghost", which is not drawn',
        'chart "Scrolls sideways": "unnamed" is drawn but not in the legend',
    ):
        assert expected in report, report


def test_stored_codes_are_the_choices_with_labels_of_their_own() -> None:
    codes = stored_codes()
    assert "confirmed" in codes  # news.Subscriber.Status: "Subscribed"
    assert not any(c != c.lower() or " " in c for c in codes)
