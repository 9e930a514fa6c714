"""Trial data in the platform (issue #18): the private-data rules of pilot datasets —
received unread by the web process, checked by a worker against the registered plan,
pseudonymised, kept privately, audited, deleted on a date — and the registered plan run on
the data as a background task whose bundle fills the results report."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings

from tests.registry.factories import editor, researcher
from tests.registry.test_trial_results import trial_data
from tests.registry.trial_factories import (
    author_of,
    lift_registry_guard,
    run_queued_tasks,
    stored,
    trial_csv,
    trial_project,
    uploaded,
)
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.core.privatedata import pseudonym, receiving_folder, stage_files
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import TrialAnalysis, TrialDataset
from whatworks.registry.services.results import results_publish
from whatworks.registry.services.trial_data import (
    trial_analysis_start,
    trial_data_root,
    trial_dataset_delete,
    trial_dataset_upload_start,
    trial_datasets_delete_expired,
    trial_incoming_root,
    trial_incoming_sweep,
)
from whatworks.registry.services.trial_work import DATA_FILE, pseudonym_key
from whatworks_analytics.trials.bundle import data_fingerprint, read_data_csv, run_plan

# The worker's loop closes this process's connection: transactional tests.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _guard(transactional_db: Any) -> Iterator[None]:
    yield
    lift_registry_guard()


def _files() -> list[Path]:
    return [p for p in Path(settings.PRIVATE_DATA_ROOT).rglob("*") if p.is_file()]


def _database_text() -> bytes:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            chunks.append(repr(cursor.fetchall()))
    return "".join(chunks).encode()


def test_an_upload_waits_unread_then_a_worker_keeps_only_the_plan_pseudonymised(
    tmp_path: Path,
) -> None:
    project = trial_project()
    frame = trial_data().with_columns(pl.lit("Ms Example").alias("social_worker"))
    path = trial_csv(tmp_path, frame)
    dataset = uploaded(project, path)
    # The web process only received the file: it waits in the scratch area, unread.
    assert dataset.status == TrialDataset.Status.QUEUED and dataset.rows == 0
    assert [p.relative_to(settings.PRIVATE_DATA_ROOT).parts[:3] for p in _files()] == [
        ("registry", "trials", "incoming")
    ]

    run_queued_tasks()

    dataset.refresh_from_db()
    assert dataset.status == TrialDataset.Status.STORED, dataset.problems
    assert dataset.rows == 600
    assert dataset.columns == ["child", "arm", "entered_care", "prior_referrals"]
    assert dataset.dropped_columns == ["social_worker"]
    # The fingerprint is the one ``whatworks-analytics trial-plan`` states for the file.
    assert dataset.fingerprint == data_fingerprint(read_data_csv(path))
    assert dataset.delete_after is not None
    assert (dataset.delete_after - timezone.localdate()).days in range(730, 733)
    kept = _files()
    assert [p.name for p in kept] == [DATA_FILE], "the raw upload is gone"
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)
    data = pl.read_parquet(kept[0])
    key = pseudonym_key(project.pk)
    assert set(data["child"]) == {pseudonym(c, key=key) for c in frame["child"]}
    raw = [c.encode() for c in frame["child"].to_list()[:25]] + [b"Ms Example"]
    assert not any(s in kept[0].read_bytes() for s in raw)
    assert not any(s in _database_text() for s in raw)
    assert AuditEntry.objects.filter(action="registry.trial_data_stored").exists()


def test_every_problem_of_the_check_at_once_naming_columns_never_values(tmp_path: Path) -> None:
    project = trial_project()
    frame = trial_data().with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(2).otherwise(pl.col("entered_care"))
        .alias("entered_care"),
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("C0001")).otherwise(pl.col("child"))
        .alias("child"),
    ).drop("prior_referrals")  # fmt: skip
    dataset = uploaded(project, trial_csv(tmp_path, frame))
    run_queued_tasks()
    dataset.refresh_from_db()
    assert dataset.status == TrialDataset.Status.REFUSED
    assert dataset.problems == [
        "1 row(s) repeat an identifier of “child”: one row per participant",
        "the plan's columns “prior_referrals” are not in the file",
        "the binary outcome “entered_care” holds 3 value(s) other than 0 and 1",
    ]
    assert "C0001" not in repr(dataset.problems)
    assert _files() == [], "nothing is kept of a refused upload"


def test_the_web_process_checks_only_names_and_size(tmp_path: Path, settings: Settings) -> None:
    project = trial_project()
    settings.WHATWORKS_TRIAL_MAX_UPLOAD_BYTES = 100
    path = trial_csv(tmp_path, name="trial.xlsx")
    received = stage_files([path], receiving_folder(trial_incoming_root()))
    with pytest.raises(RegistryError) as caught:
        trial_dataset_upload_start(
            actor=author_of(project), project=project, received=received, id_column=""
        )
    assert caught.value.messages == [
        "trial.xlsx is not a CSV file (its name ends .csv).",
        "The upload is larger than the limit of 100 bytes.",
        "Enter the column that identifies each participant.",
    ]
    assert _files() == [] and not TrialDataset.objects.exists()


def test_only_the_team_uploads_and_only_to_a_plan(tmp_path: Path) -> None:
    project = trial_project()
    received = stage_files([trial_csv(tmp_path)], receiving_folder(trial_incoming_root()))
    with pytest.raises(PermissionDeniedError):
        trial_dataset_upload_start(
            actor=researcher(), project=project, received=received, id_column="child"
        )
    assert _files() == []
    from tests.registry.factories import registered_project

    without = registered_project()
    received = stage_files([trial_csv(tmp_path)], receiving_folder(trial_incoming_root()))
    with pytest.raises(RegistryError, match="with a trial analysis plan"):
        trial_dataset_upload_start(
            actor=author_of(without), project=without, received=received, id_column="child"
        )


def test_the_analysis_runs_the_registered_plan_and_fills_the_results(tmp_path: Path) -> None:
    project = trial_project()
    dataset = stored(project, tmp_path)
    analysis = trial_analysis_start(actor=author_of(project), dataset=dataset)
    assert analysis.status == TrialAnalysis.Status.QUEUED
    run_queued_tasks()
    analysis.refresh_from_db()
    assert analysis.status == TrialAnalysis.Status.SUCCEEDED, analysis.error
    bundle = analysis.bundle
    assert bundle is not None
    version = project.versions.get(number=1)
    # Every number is the registered plan's on the data as uploaded (pseudonyms change
    # nothing the plan uses), with the upload's fingerprint.
    expected = run_plan(
        version.content["trial_analysis"],
        trial_data(),
        project=project.reference,
        protocol_version=1,
        version_sha256=version.sha256,
    )
    assert bundle["outcomes"] == expected["outcomes"]
    assert bundle["data"]["fingerprint"] == dataset.fingerprint == expected["data"]["fingerprint"]
    report = analysis.report
    assert report is not None and report.published_at is None
    assert report.results[0]["estimate"] == pytest.approx(expected["results"][0]["estimate"])
    assert dataset.fingerprint in report.summary and bundle["plan_sha256"] in report.summary
    assert AuditEntry.objects.filter(action="registry.trial_data_analysed").count() == 1
    # The verdict follows from the registered criterion when an editor publishes.
    published = results_publish(actor=editor(), report=report)
    assert published.overall_verdict in {"met", "notmet", "inconclusive"}


def test_an_analysis_the_plan_cannot_run_fails_with_the_reasons(tmp_path: Path) -> None:
    project = trial_project()
    one_arm = trial_data().with_columns(
        pl.when(pl.col("arm") == "fgc").then(pl.lit(None)).otherwise(pl.col("entered_care"))
        .alias("entered_care")
    )  # fmt: skip
    dataset = stored(project, tmp_path, one_arm)
    trial_analysis_start(actor=author_of(project), dataset=dataset)
    run_queued_tasks()
    analysis = TrialAnalysis.objects.get()
    assert analysis.status == TrialAnalysis.Status.FAILED
    assert analysis.error.startswith("The analysis was refused: ")
    assert analysis.report is None


def test_data_are_deleted_on_their_date_or_earlier_and_analyses_stay(tmp_path: Path) -> None:
    project = trial_project()
    first = stored(project, tmp_path / "a")
    second = stored(project, tmp_path / "b")
    trial_analysis_start(actor=author_of(project), dataset=first)
    with pytest.raises(RegistryError, match="has not finished"):
        trial_dataset_delete(actor=author_of(project), dataset=first)
    run_queued_tasks()
    assert trial_datasets_delete_expired(today=timezone.localdate()) == 0
    assert first.delete_after is not None
    late = first.delete_after + timedelta(days=1)
    with pytest.raises(PermissionDeniedError):
        trial_dataset_delete(actor=researcher(), dataset=second)
    trial_dataset_delete(actor=author_of(project), dataset=second)
    assert trial_datasets_delete_expired(today=late) == 1
    first.refresh_from_db()
    assert first.deleted_at is not None and first.folder == ""
    assert not list(trial_data_root().rglob(DATA_FILE))
    assert TrialAnalysis.objects.get().bundle is not None, "the analysis outlives the data"
    assert AuditEntry.objects.filter(action="registry.trial_data_deleted").count() == 2
    with pytest.raises(RegistryError, match="deleted"):
        trial_analysis_start(actor=author_of(project), dataset=first)


def test_the_sweep_removes_raw_files_no_check_is_using(tmp_path: Path) -> None:
    project = trial_project()
    waiting = uploaded(project, trial_csv(tmp_path))
    stray = trial_incoming_root() / "not-an-upload"
    stray.mkdir()
    (stray / "raw.csv").write_text("child\nC1\n")
    removed = trial_incoming_sweep()
    assert removed == ["not-an-upload"]
    assert (trial_incoming_root() / str(waiting.pk) / "received").is_dir(), "its check waits"
