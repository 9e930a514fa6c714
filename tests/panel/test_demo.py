"""The panel's demo: skewed members, closed and open polls, two waves; loads once, quickly."""

from __future__ import annotations

import io
import time

import pytest

from whatworks.core.demo import demo_load_core
from whatworks.panel import demo
from whatworks.panel.models import PanelMember, Poll
from whatworks.panel.results import poll_results, pulse_series
from whatworks.panel.study_results import wave_change

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_weighting_matters() -> None:
    demo_load_core(password="demo password 123")
    start = time.perf_counter()
    demo.load(stdout=io.StringIO())
    elapsed = time.perf_counter() - start
    demo.load(stdout=io.StringIO())
    assert elapsed < 30  # a few seconds normally; generous for a loaded test machine
    assert PanelMember.objects.filter(synthetic=True).count() == demo.MEMBERS
    member = PanelMember.objects.get(email=demo.DEMO_EMAIL)
    assert member.user is not None and member.is_active
    assert member.invitations.get(poll__slug=demo.OPEN_POLL).disposition == "invited"
    assert Poll.objects.filter(status="closed", study__isnull=True).count() == 3
    assert Poll.objects.filter(status="open").count() == 1
    results = poll_results(Poll.objects.get(slug="demo-caseloads-may"))
    assert results.n > 400 and results.weighting.available
    assert results.weighting.result is not None and results.weighting.result.converged
    yes = results.questions[0].rows[0]
    assert yes.label == "Yes" and yes.weighted_share < yes.share - 0.02  # skew corrected
    assert results.weighting.result.design_effect > 1.2
    _, points = pulse_series("caseload-manageable")
    assert len(points) == 3
    study = Poll.objects.get(slug="demo-wellbeing-wave-1").study
    assert study is not None
    change = wave_change(study)
    assert change is not None and change.pairs > 150
    by_site = {c.site: c.mean_change for c in change.sites}
    assert by_site["Northmoor"] > by_site["Westholm"]


def test_demo_study_change_makes_a_valid_result_bundle() -> None:
    from whatworks.panel.study_results import change_bundle
    from whatworks.registry.verdicts import parse_bundle

    demo_load_core(password="demo password 123")
    demo.load(stdout=io.StringIO())
    study = Poll.objects.get(slug="demo-wellbeing-wave-1").study
    assert study is not None
    change = wave_change(study)
    assert change is not None
    bundle = change_bundle(
        change, project_reference="WWC-2026-0001", protocol_version=1, outcome="wellbeing"
    )
    parsed = parse_bundle(bundle)
    [result] = parsed.results
    assert result.lower is not None and result.upper is not None
    assert result.estimate is not None
    assert result.lower <= result.estimate <= result.upper
    assert "Northmoor" in result.note and parsed.data_collection_ended is not None
