"""The demo: a Northmoor pilot with a dataset, a finished run and its model frozen; a
Southvale offline one."""

from __future__ import annotations

import io

import pytest

from whatworks.core.demo import demo_load_core
from whatworks.pilots import demo
from whatworks.pilots.models import Pilot, Run
from whatworks.pilots.selectors import pilots_for_user
from whatworks.registry import demo as registry_demo

pytestmark = pytest.mark.django_db


def test_demo_loads_and_is_idempotent() -> None:
    demo_load_core(password="demo-password-for-tests")
    registry_demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    assert Pilot.objects.count() == 2
    north = Pilot.objects.get(organisation__slug="northmoor")
    south = Pilot.objects.get(organisation__slug="southvale")
    assert north.datasets.count() == 1
    assert north.runs.get().status == Run.Status.SUCCEEDED
    # The shadow phase has begun on the platform's run: its model is frozen, once.
    [frozen] = north.shadow_models.all()
    assert frozen.status == "frozen" and frozen.meta["config_hash"] == north.config_hash
    assert south.runs.get().source == Run.Source.OFFLINE
    # issue #13: each demo pilot is fixed in a version that registers its config
    from whatworks.pilots.analytics import version_experiment

    for pilot in (north, south):
        assert pilot.protocol_version is not None
        assert version_experiment(pilot.protocol_version, pilot.config_hash) is not None
    from whatworks.core.models import User

    analyst_a = User.objects.get(email="analyst.a@demo.test")
    researcher = User.objects.get(email="researcher@demo.test")
    assert list(pilots_for_user(user=analyst_a)) == [north]
    assert set(pilots_for_user(user=researcher)) == {north, south}
