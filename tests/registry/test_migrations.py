"""Migration 0003 keeps published results and their database guard."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("registry", "0002_immutability_triggers")]
AFTER = [("registry", "0003_results_corrections")]


def _migrate(targets: list[tuple[str, str]]) -> StateApps:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def test_published_results_survive_the_migration_still_guarded() -> None:
    old = _migrate(BEFORE)
    try:
        project = old.get_model("registry", "Project").objects.create(
            reference="WWC-2020-0001",
            year=2020,
            serial=1,
            title="T",
            summary="S",
            study_type="pilot",
            topic="data",
        )
        version = old.get_model("registry", "ProtocolVersion").objects.create(
            project=project,
            number=1,
            content={"title": "T"},
            sha256="0" * 64,
            registered_at=timezone.now(),
        )
        report = old.get_model("registry", "ResultsReport").objects.create(
            project=project,
            protocol_version=version,
            results=[{"outcome": "x", "estimate": 1}],
            overall_verdict="met",
            published_at=timezone.now(),
        )
    finally:
        new = _migrate(AFTER)
        # Leave the database as every other test expects it: all migrations applied.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = new.get_model("registry", "ResultsReport").objects.get(pk=report.pk)
    assert (migrated.number, migrated.corrects_id, migrated.overall_verdict) == (1, None, "met")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_resultsreport SET overall_verdict = 'not-met' WHERE id = %s",
            [report.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_protocolversion WHERE id = %s", [version.pk])
