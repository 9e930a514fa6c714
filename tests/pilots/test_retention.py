"""Retention: expired datasets' files and rows go, with an audit entry; reports stay."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.pilots.factories import make_pilot, stored_dataset, synthetic_folder
from whatworks.core.models import AuditEntry
from whatworks.pilots.models import Dataset, Run
from whatworks.pilots.services.datasets import datasets_delete_expired
from whatworks.pilots.tasks import delete_expired_datasets

pytestmark = pytest.mark.django_db


def _dataset(tmp_path: Path) -> Dataset:
    pilot = make_pilot()
    dataset: Dataset = stored_dataset(pilot, synthetic_folder(tmp_path / "data", referrals=400))
    return dataset


def test_expired_data_is_deleted_with_an_audit_entry_and_reports_stay(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    run = Run.objects.create(
        pilot=dataset.pilot,
        dataset=dataset,
        source=Run.Source.PLATFORM,
        status=Run.Status.SUCCEEDED,
        bundle={"verdict": {"status": "inconclusive", "sentence": "x"}},
    )
    folder = Path(settings.PRIVATE_DATA_ROOT) / "pilots" / dataset.folder
    assert folder.exists()
    today = timezone.localdate()
    assert datasets_delete_expired(today=today) == 0, "not yet due"
    assert datasets_delete_expired(today=dataset.delete_after + timedelta(days=1)) == 1
    dataset.refresh_from_db()
    assert dataset.is_deleted and dataset.folder == "" and dataset.row_counts == {}
    assert not folder.exists()
    assert AuditEntry.objects.filter(
        action="pilot.dataset_deleted", object_id=str(dataset.pk)
    ).exists()
    run.refresh_from_db()
    assert run.bundle is not None, "aggregates remain"


def test_the_command_and_the_task(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    Dataset.objects.filter(pk=dataset.pk).update(delete_after=timezone.localdate())
    out = io.StringIO()
    call_command("pilots_delete_expired", stdout=out)
    assert "1 expired pilot dataset(s) deleted" in out.getvalue()
    assert delete_expired_datasets.call() == 0


def test_the_authority_deletes_a_dataset_early_through_a_confirmation(
    client: Client, tmp_path: Path
) -> None:
    """Issue #19: the authority's analyst deletes the data now; the files go, an audit entry
    names who and why; reports stay; the project's researchers may see but not delete."""
    from django.urls import reverse

    from tests.confirm import post_confirmed
    from tests.pilots.factories import analyst_of

    dataset = _dataset(tmp_path)
    pilot = dataset.pilot
    folder = Path(settings.PRIVATE_DATA_ROOT) / "pilots" / dataset.folder
    assert folder.exists()
    url = reverse("pilots:dataset_delete", kwargs={"pilot_id": pilot.pk, "dataset_id": dataset.pk})
    researcher = pilot.project.team.first()
    assert researcher is not None
    client.force_login(researcher)
    assert client.post(url).status_code == 403
    analyst = analyst_of(pilot)
    client.force_login(analyst)
    page = client.get(pilot.get_absolute_url()).content.decode()
    assert "Delete now" in page
    first = client.post(url)
    assert first.status_code == 200 and "data-confirm-page" in first.content.decode()
    assert folder.exists()
    response = post_confirmed(client, url, {})
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.deleted_at is not None and dataset.folder == "" and dataset.row_counts == {}
    assert not folder.exists()
    entry = AuditEntry.objects.get(action="pilot.dataset_deleted", actor=analyst)
    assert entry.changes["reason"] == "deleted early by the authority"
    # Deleting again is refused with a message, nothing changes.
    again = client.post(url)
    assert again.status_code == 302 and again["Location"] == pilot.get_absolute_url()
    assert AuditEntry.objects.filter(action="pilot.dataset_deleted").count() == 1
