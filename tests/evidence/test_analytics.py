"""Effect sizes and pooling through the adapter (and the services), against metafor.

Published values: metafor's dat.bcg examples, as in packages/analytics/tests/meta
(wviechtb/metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r for FE and DL;
the manual page dat.bcg for REML, https://wviechtb.github.io/metafor/reference/dat.bcg.html).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from whatworks.evidence import analytics
from whatworks.evidence.models import Finding, Synthesis
from whatworks.evidence.services.transfer import evidence_import
from whatworks_analytics.meta import MetaResult

from .factories import intervention, study

BCG = Path(__file__).parents[2] / "packages/analytics/tests/meta/data/bcg.csv"


def bcg_rows() -> list[dict[str, str]]:
    with BCG.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def bcg_stats(measure: str) -> list[analytics.RawStats]:
    return [
        analytics.RawStats(
            measure=measure,
            events_treatment=float(r["ai"]),
            n_treatment=float(r["ai"]) + float(r["bi"]),
            events_control=float(r["ci"]),
            n_control=float(r["ci"]) + float(r["di"]),
        )
        for r in bcg_rows()
    ]


def near(actual: float | None, expected: float, decimals: int = 4) -> bool:
    return actual is not None and abs(actual - expected) <= 0.5 * 10**-decimals + 1e-12


def test_log_risk_ratios_from_counts_match_metafor() -> None:
    effects = analytics.compute_effects(bcg_stats("RR"))
    expected_yi = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209]
    assert all(near(e.effect_size, y) for e, y in zip(effects, expected_yi, strict=False))
    assert near(effects[0].se, 0.5706)
    assert effects[0].ci_low == pytest.approx(effects[0].effect_size - 1.959964 * effects[0].se)


def test_log_odds_ratio_first_study_matches_metafor() -> None:
    (first, *_rest) = analytics.compute_effects(bcg_stats("OR"))
    assert near(first.effect_size, -0.9387)
    assert near(first.se, 0.5976)


def _pooled(measure: str) -> dict[str, MetaResult]:
    effects = analytics.compute_effects(bcg_stats(measure))
    rows = [analytics.PoolRow(f"s{i}", e.effect_size, e.se) for i, e in enumerate(effects)]
    return analytics.pool_all(measure, rows)


def test_bcg_risk_ratio_fixed_and_dersimonian_laird_and_reml() -> None:
    results = _pooled("RR")
    fe, dl, reml = results["FE"], results["DL"], results["REML"]
    assert near(fe.estimate, -0.4303) and near(fe.ci_low, -0.5097) and near(fe.q, 152.2330)
    assert near(dl.estimate, -0.7141) and near(dl.tau2, 0.3088) and near(dl.i2, 92.1173)
    assert near(reml.estimate, -0.7145) and near(reml.se, 0.1798) and near(reml.tau2, 0.3132)
    assert near(reml.i2, 92.22, 2) and near(reml.exp_estimate, 0.4894)
    # Prediction interval with t on k - 2 = 11 df: metafor's predict(pi.type="riley"),
    # 0.1342 to 1.7848 (its default z-based interval is 0.1546 to 1.5490).
    assert near(reml.exp_pi_low, 0.1342) and near(reml.exp_pi_high, 1.7848)


def test_bcg_odds_ratio_fixed_and_dersimonian_laird() -> None:
    results = _pooled("OR")
    assert near(results["FE"].estimate, -0.4361) and near(results["FE"].q, 163.1649)
    assert near(results["DL"].estimate, -0.7474) and near(results["DL"].tau2, 0.3663)


def test_problems_name_the_input_and_our_field() -> None:
    stats = [
        analytics.RawStats("SMD", 20, 20, 1.0, 1.0, 0.5, 1.0),
        analytics.RawStats("SMD", 20, 20, 1.0, -1.0, 0.5, 1.0),
        analytics.RawStats(
            "RR", n_treatment=10, n_control=10, events_treatment=12, events_control=1
        ),
        analytics.RawStats("BOGUS"),
    ]
    with pytest.raises(analytics.EffectInputError) as caught:
        analytics.compute_effects(stats)
    where = {(p.index, p.field) for p in caught.value.problems}
    assert (1, "sd_treatment") in where
    assert (2, "n_treatment") in where  # 12 events out of 10: negative non-events
    assert (3, "measure_type") in where


def test_forest_svg_is_accessible_and_has_no_inline_css() -> None:
    rows = [analytics.PoolRow("A", 0.2, 0.1), analytics.PoolRow("B", 0.4, 0.2)]
    result = analytics.pool_all("SMD", rows)["REML"]
    svg, table = analytics.forest("SMD", rows, result, title="Forest plot: test", id_prefix="t")
    assert svg.startswith("<svg ") and 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "style=" not in svg and "<style" not in svg  # blocked by our CSP
    assert 'fill="#1b2a3a"' in svg
    assert [r.label for r in table.rows][:2] == ["A", "B"]


@pytest.mark.django_db
def test_services_pool_imported_bcg_findings_like_metafor() -> None:
    target = study(intervention(slug="bcg"), slug="bcg-parent")
    findings = []
    for index, row in enumerate(bcg_rows()):
        ai, bi, ci, di = (int(row[k]) for k in ("ai", "bi", "ci", "di"))
        # One study per row: the pool takes one finding per study.
        holder = study(target.intervention, slug=f"bcg-{index}", citation=row["study"])
        findings.append(
            {
                "id": f"bcg-f-{index}",
                "study_id": holder.slug,
                "domain": "child-safety",
                "outcome_measure": "Tuberculosis",
                "time_point": "end",
                "measure_type": "RR",
                "n_treatment": ai + bi,
                "n_control": ci + di,
                "events_treatment": ai,
                "events_control": ci,
                "higher_is_better": False,
            }
        )
    evidence_import(actor=None, kind="findings", fmt="json", data=json.dumps(findings).encode())
    assert Finding.objects.count() == 13
    synthesis = Synthesis.objects.get(intervention=target.intervention)
    assert synthesis.k == 13 and synthesis.higher_is_better is False
    reml = synthesis.results["REML"]
    assert near(reml["estimate"], -0.7145) and near(reml["tau2"], 0.3132)
    assert near(reml["i2"], 92.22, 2) and near(reml["q"], 152.2330)
    # Prediction interval: t with k - 2 = 11 df (metafor predict(pi.type="riley")).
    assert near(math.exp(reml["pi_low"]), 0.1342) and reml["pi_df"] == 11
    assert near(synthesis.results["DL"]["estimate"], -0.7141)
    assert near(synthesis.results["FE"]["estimate"], -0.4303)
    assert "<svg" in synthesis.forest_svg and len(synthesis.forest_rows) == 1 + 13 + 2
