"""Intervals that mean what they say (issue 13, item 4) and the analyses pages show when they
matter (issue 22): prediction intervals only from three studies, with their method stated;
Knapp-Hartung below ten studies, saying so; a funnel plot from ten studies; leave-one-out
when one study dominates.  The statistics themselves are tested against metafor in
packages/analytics/tests/meta/."""

from __future__ import annotations

from typing import Any

import pytest

from whatworks.evidence.models import Intervention, Synthesis

from .factories import finding, intervention, study

pytestmark = pytest.mark.django_db

NO_PI = "No prediction interval: a prediction interval needs at least three studies."


def pooled(k: int, overrides: dict[int, dict[str, Any]] | None = None) -> Intervention:
    made = intervention()
    for n in range(k):
        values = {"mean_treatment": 10 + (n % 4) / 2, **(overrides or {}).get(n, {})}
        finding(study(made, citation=f"Trial {n}. A trial", year=2000 + n), **values)
    return made


def open_data(client: Any, made: Intervention) -> dict[str, Any]:
    response = client.get(f"/evidence/data/interventions/{made.slug}.json")
    assert response.status_code == 200
    pools: list[dict[str, Any]] = response.json()["outcomes"][0]["pooled"]
    return pools[0]


@pytest.mark.parametrize("k", [1, 2])
def test_fewer_than_three_studies_have_no_prediction_interval(client: Any, k: int) -> None:
    made = pooled(k)
    page = client.get(made.get_absolute_url()).content.decode()
    assert NO_PI in page
    assert "95% prediction interval" not in page.split("synthesis__headline")[1].split("</p>")[0]
    data = open_data(client, made)
    for method in ("DL", "REML"):
        result = data["methods"][method]
        assert result["pi_low"] is None and result["pi_high"] is None
        assert result["pi_note"] == "a prediction interval needs at least three studies"
        assert result["pi_method"] is None


def test_three_studies_show_the_interval_and_its_method(client: Any) -> None:
    made = pooled(3)
    page = client.get(made.get_absolute_url()).content.decode()
    assert (
        "Prediction interval: t distribution with k - 2 = 1 degrees of freedom "
        "(Higgins, Thompson and Spiegelhalter, 2009)" in page
    )
    assert NO_PI not in page
    reml = open_data(client, made)["methods"]["REML"]
    assert reml["pi_low"] is not None and reml["pi_df"] == 1
    assert reml["pi_method"].startswith("t distribution with k - 2 = 1 degrees of freedom")


def test_a_stored_result_from_before_the_rule_does_not_show_its_interval(client: Any) -> None:
    made = pooled(2)
    synthesis = Synthesis.objects.get(intervention=made)
    results = dict(synthesis.results)
    results["REML"] = {**results["REML"], "pi_low": -1.0, "pi_high": 1.0, "pi_note": None}
    Synthesis.objects.filter(pk=synthesis.pk).update(results=results)
    page = client.get(made.get_absolute_url()).content.decode()
    assert NO_PI in page
    assert open_data(client, made)["methods"]["REML"]["pi_low"] is None


def test_few_studies_use_knapp_hartung_and_say_so(client: Any) -> None:
    made = pooled(4)
    page = client.get(made.get_absolute_url()).content.decode()
    assert "uses the Knapp-Hartung adjustment (a t distribution with 3 degrees of freedom)" in page
    methods = open_data(client, made)["methods"]
    assert methods["REML"]["test"] == methods["DL"]["test"] == "knha"
    assert methods["REML"]["df"] == 3
    assert methods["FE"]["test"] == "z"


def test_ten_studies_show_a_funnel_plot_and_no_knapp_hartung(client: Any) -> None:
    made = pooled(10)
    page = client.get(made.get_absolute_url()).content.decode()
    assert "Funnel plot: each study's estimate against its standard error" in page
    assert '<title id="funnel-' in page and "Egger's regression test" in page
    assert "Knapp-Hartung adjustment (a t distribution" not in page
    data = open_data(client, made)
    assert data["methods"]["REML"]["test"] == "z"
    bias = data["publication_bias"]
    assert set(bias) == {
        "egger_p",
        "rank_p",
        "trim_and_fill_k0",
        "trim_and_fill_side",
        "trim_and_fill_estimate",
    }
    nine = pooled(9)
    assert "Funnel plot" not in client.get(nine.get_absolute_url()).content.decode()


def test_a_dominant_study_brings_the_leave_one_out_table(client: Any) -> None:
    # Much the same effect in every trial (no heterogeneity), one trial forty times larger.
    big = {"n_treatment": 2000, "n_control": 2000, "mean_treatment": 10.0}
    made = pooled(3, {0: big, 1: {"mean_treatment": 10.1}, 2: {"mean_treatment": 9.95}})
    page = client.get(made.get_absolute_url()).content.decode()
    assert "Leave one study out: Trial 0 (2000) carries more than half of the weight" in page
    rows = open_data(client, made)["leave_one_out"]["rows"]
    assert [row["study"] for row in rows] == ["Trial 0 (2000)", "Trial 1 (2001)", "Trial 2 (2002)"]
    balanced = pooled(3)
    assert "Leave one study out" not in client.get(balanced.get_absolute_url()).content.decode()


def test_identical_estimates_are_stored_and_shown(client: Any) -> None:
    # Knapp-Hartung's variance is 0 when every estimate is the same (as in metafor): the
    # infinite statistic is stored as null rather than breaking the JSON.
    same = {"mean_treatment": 10.0}
    made = pooled(3, {0: {"n_treatment": 2000, "n_control": 2000, **same}, 1: same, 2: same})
    assert client.get(made.get_absolute_url()).status_code == 200
