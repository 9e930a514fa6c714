"""The registry's demo content loads, tells the story it promises, and loads only once."""

from __future__ import annotations

import io

import pytest

from whatworks.core.demo import demo_load_core
from whatworks.registry import demo
from whatworks.registry.models import Project, ResultsReport
from whatworks.registry.selectors import overdue_projects, register_projects

pytestmark = pytest.mark.django_db


def test_demo_loads_eight_protocols_once() -> None:
    demo_load_core(password="demo password 123")
    demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    assert Project.objects.count() == 8
    assert Project.objects.filter(versions__number=2).count() == 1
    assert Project.objects.filter(embargo_until__isnull=False).count() == 1
    assert Project.objects.filter(withdrawn_at__isnull=False).count() == 1
    published = ResultsReport.objects.filter(published_at__isnull=False)
    verdicts = sorted(published.values_list("overall_verdict", flat=True))
    # Schwartz Rounds (r1 and its correction r2) and the family group conference trial,
    # both computed from their data by their registered plans; the Northmoor pilot.
    assert verdicts == ["met", "met", "met", "not-met"]
    correction = ResultsReport.objects.get(corrects__isnull=False)
    assert correction.published_at is not None and correction.corrects is not None
    assert correction.corrects.number == 1
    assert correction.project.results == correction
    assert register_projects(filters={}).count() == 7  # the embargoed one is hidden
    assert overdue_projects().count() == 1
