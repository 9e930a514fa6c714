"""Migration 0009 keeps each intervention's age group, level of need and setting."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("evidence", "0008_search_head_vector")]
AFTER = [("evidence", "0009_intervention_many_ages_needs_settings")]
MIGRATION = importlib.import_module(
    "whatworks.evidence.migrations.0009_intervention_many_ages_needs_settings"
)


def _migrate(targets: list[tuple[str, str]]) -> StateApps:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Family home or clinic", ["home", "health"]),
        ("Children's centres, schools and community venues", ["school", "community"]),
        ("Family court, with a multidisciplinary team", ["court"]),
        ("Foster homes", ["care-placement"]),
        ("Home visits", ["home"]),
        ("Whole local authority children's services", ["childrens-services"]),
        ("Somewhere else", []),
    ],
)
def test_settings_are_read_from_the_setting_in_words(text: str, codes: list[str]) -> None:
    assert MIGRATION.settings_in(text) == codes


def test_one_age_group_and_level_of_need_become_lists_and_the_words_stay() -> None:
    old = _migrate(BEFORE)
    try:
        made = old.get_model("evidence", "Intervention").objects.create(
            slug="fnp",
            name="Family Nurse Partnership",
            summary="Visits.",
            age_group="0-4",
            need_level="early-help",
            setting="Home visits and a clinic",
            delivery="d",
            workforce="w",
            cost_band="1-low",
            availability="wide",
        )
    finally:
        new = _migrate(AFTER)
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = new.get_model("evidence", "Intervention").objects.get(pk=made.pk)
    assert (migrated.age_groups, migrated.need_levels) == (["0-4"], ["early-help"])
    assert migrated.settings == ["home", "health"]
    assert migrated.setting == "Home visits and a clinic"
