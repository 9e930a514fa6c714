"""The team's trial data pages (issue #18): the upload streams to the scratch area and
queues the worker's check; every view is audited; the Evidence Store link is saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests.evidence import factories as evidence
from tests.registry.factories import researcher
from tests.registry.trial_factories import author_of, check, trial_csv, trial_project
from whatworks.core.models import AuditEntry
from whatworks.registry.models import Project, TrialDataset, TrialEvidenceLink

pytestmark = pytest.mark.django_db


def _url(project: Project, name: str = "registry:trial_data") -> str:
    return reverse(name, kwargs={"reference": project.reference})


def test_an_upload_is_received_queued_and_its_page_shows_the_check(
    client: Client, tmp_path: Path
) -> None:
    project = trial_project()
    client.force_login(author_of(project))
    assert _url(project) in client.get(project.get_absolute_url()).content.decode()
    data = trial_csv(tmp_path).read_bytes()
    response = client.post(
        _url(project),
        {"trial_file": SimpleUploadedFile("trial.csv", data), "id_column": "child"},
    )
    dataset = TrialDataset.objects.get()
    assert response.status_code == 302 and response["Location"] == dataset.get_absolute_url()
    assert dataset.status == TrialDataset.Status.QUEUED and dataset.size == len(data)
    received = Path(settings.PRIVATE_DATA_ROOT) / "registry/trials/incoming" / str(dataset.pk)
    assert (received / "received" / dataset.stored_name).read_bytes() == data
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert "Waiting to be checked" in page and 'hx-trigger="every 1s"' in page
    check(dataset)
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert "Passed every check and stored" in page and "Run the registered analysis plan" in page
    assert AuditEntry.objects.filter(action="registry.trial_data_viewed").count() == 2


def test_the_upload_form_lists_every_problem(client: Client, settings: Settings) -> None:
    project = trial_project()
    client.force_login(author_of(project))
    settings.WHATWORKS_TRIAL_MAX_UPLOAD_BYTES = 10
    response = client.post(
        _url(project),
        {"trial_file": SimpleUploadedFile("trial.txt", b"child,arm\n1,fgc\n"), "id_column": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "larger than the limit of 10 bytes" in page
    assert "Enter the column that identifies each participant." in page
    assert not TrialDataset.objects.exists()
    assert not list((Path(settings.PRIVATE_DATA_ROOT)).rglob("*.txt"))


def test_another_researcher_cannot_see_the_data(client: Client, tmp_path: Path) -> None:
    from tests.registry.trial_factories import stored

    project = trial_project()
    dataset = stored(project, tmp_path)
    client.force_login(researcher())
    assert client.get(dataset.get_absolute_url()).status_code == 404
    assert client.get(_url(project)).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="registry.trial_data_v").exists()


def test_the_evidence_store_link_offers_the_stores_choices(client: Client) -> None:
    target = evidence.intervention(name="Family group conferences")
    project = trial_project()
    client.force_login(author_of(project))
    url = _url(project, "registry:trial_evidence_link")
    page = client.get(url).content.decode()
    assert "Family group conferences" in page and "Children entering care" in page
    response = client.post(
        url,
        {
            "intervention": target.slug,
            "domain__care-entry": "entering-care",
            "direction__care-entry": "lower",
        },
    )
    assert response.status_code == 302
    link = TrialEvidenceLink.objects.get(project=project)
    assert link.outcomes == {"care-entry": {"domain": "entering-care", "higher_is_better": False}}
    response = client.post(url, {"intervention": ""})
    assert response.status_code == 302 and not TrialEvidenceLink.objects.exists()
