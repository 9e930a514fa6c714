"""The page checks themselves: each one finds what it is meant to find."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import assert_accessible

GOOD = """<!DOCTYPE html><html lang="en"><head><title>Good</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Good</h1>
<div class="error-summary"><ul><li><a href="#id_name">Your name: Enter your name</a></li></ul></div>
<label for="id_name">Your name <span class="label__mark">(required)</span></label>
<div id="id_name-hint">As on your badge</div>
<input id="id_name" aria-describedby="id_name-hint">
<svg viewBox="0 0 300 40" width="300" role="img" aria-label="chart">
<text x="0" y="20" font-size="13">Big enough</text></svg>
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
<form method="post" action="/forum/some-conversation/close/">
<input type="hidden" name="confirmed" value="x"><button>Close</button></form>
</main></body></html>"""


def test_a_good_page_passes(page: Any) -> None:
    page.set_content(GOOD)
    assert_accessible(page)


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
    ):
        assert expected in report, report
