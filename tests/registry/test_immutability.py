"""A registered protocol version cannot change by any path; nor can published results."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from tests.factories import user_with_role
from tests.registry.factories import bundle, editor, project_with_results, registered_project
from whatworks.core.roles import Role
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import ImmutableRecordError, ProtocolVersion, ResultsReport
from whatworks.registry.protocol import content_sha256
from whatworks.registry.services.results import results_import_bundle, results_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def version() -> ProtocolVersion:
    return registered_project().versions.get()


def _unchanged(version: ProtocolVersion) -> None:
    stored = ProtocolVersion.objects.get(pk=version.pk)
    assert stored.content == version.content
    assert stored.sha256 == version.sha256 == content_sha256(stored.content)


def test_the_stored_hash_matches_the_stored_content(version: ProtocolVersion) -> None:
    assert version.sha256 == content_sha256(version.content)
    assert len(version.sha256) == 64


def test_orm_save_is_refused(version: ProtocolVersion) -> None:
    version.content = {**version.content, "title": "Quietly changed"}
    with pytest.raises(ImmutableRecordError):
        version.save()
    with pytest.raises(ImmutableRecordError):
        version.delete()
    version.refresh_from_db()
    _unchanged(version)


def test_queryset_update_is_refused_by_the_database(version: ProtocolVersion) -> None:
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        ProtocolVersion.objects.filter(pk=version.pk).update(justification="edited")
    _unchanged(version)


def test_queryset_delete_is_refused_by_the_database(version: ProtocolVersion) -> None:
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        ProtocolVersion.objects.filter(pk=version.pk).delete()
    assert ProtocolVersion.objects.filter(pk=version.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE registry_protocolversion SET sha256 = 'x' WHERE id = %s",
        "UPDATE registry_protocolversion SET content = '{}' WHERE id = %s",
        "DELETE FROM registry_protocolversion WHERE id = %s",
    ],
)
def test_raw_sql_is_refused_by_the_database(version: ProtocolVersion, sql: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [version.pk])
    _unchanged(version)


def test_the_admin_cannot_change_or_delete_a_version(
    client: Client, version: ProtocolVersion
) -> None:
    client.force_login(user_with_role(Role.ADMIN))
    change = reverse("admin:registry_protocolversion_change", args=[version.pk])
    assert client.get(change).status_code == 200  # may look
    assert "Save" not in client.get(change).content.decode()
    response = client.post(change, {"justification": "edited", "sha256": "0" * 64})
    assert response.status_code == 403
    delete = reverse("admin:registry_protocolversion_delete", args=[version.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:registry_protocolversion_changelist")
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [version.pk], "post": "yes"}
    )
    assert ProtocolVersion.objects.filter(pk=version.pk).exists()
    _unchanged(version)


def test_the_services_offer_no_way_to_edit_and_amendments_add_rows() -> None:
    project = registered_project(amended=True)
    first, second = project.versions.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.content != second.content
    assert first.sha256 == content_sha256(first.content)


def test_published_results_cannot_change() -> None:
    project = project_with_results()
    report = project.results
    assert report is not None
    author = project.team.get()
    with pytest.raises(RegistryError, match="cannot be changed"):
        results_import_bundle(actor=author, project=project, bundle=bundle(summary="Rewritten"))
    with pytest.raises(RegistryError, match="already published"):
        results_publish(actor=editor(), report=report)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultsReport.objects.filter(pk=report.pk).update(overall_verdict="met")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_resultsreport WHERE id = %s", [report.pk])
    report.refresh_from_db()
    assert report.summary == "What we found."


def test_draft_results_may_change() -> None:
    project = project_with_results(publish_results=False)
    author = project.team.get()
    results_import_bundle(actor=author, project=project, bundle=bundle(summary="Second draft"))
    report = project.results
    assert report is not None
    report.refresh_from_db()
    assert report.summary == "Second draft"
