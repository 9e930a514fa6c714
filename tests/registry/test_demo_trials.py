"""The demo's family group conference trial: its plan registered as data and run on
synthetic data into draft results (issue #18)."""

from __future__ import annotations

import io

import pytest

from whatworks.core.demo import demo_load_core
from whatworks.registry import demo
from whatworks.registry.demo_content import FGC_V1
from whatworks.registry.demo_trials import fgc_trial_data
from whatworks.registry.models import Project

pytestmark = pytest.mark.django_db


def test_the_trial_is_analysed_by_its_registered_plan_once() -> None:
    demo_load_core(password="demo password 123")
    demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    project = Project.objects.get(title=FGC_V1["title"])
    latest = project.versions.order_by("-number").first()
    assert latest is not None and latest.number == 3
    assert latest.content["trial_analysis"]["design"] == "blocked"
    report = project.results_reports.get()
    assert report.published_at is None
    rows = {row["outcome"]: row for row in report.results}
    assert set(rows) == {"care-entry", "proceedings", "kinship"}
    care = rows["care-entry"]
    assert care["statistic"] == "risk difference" and care["estimate"] < 0
    assert care["n"] == fgc_trial_data()["entered_care"].drop_nulls().len()
