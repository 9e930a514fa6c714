"""Documents frozen into a version: private storage, their SHA-256 in the version's JSON
and hash, never replaced once registered, checked and audited downloads, size and type."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import user_with_role
from tests.registry.factories import (
    PDF_BYTES,
    attach,
    attached_project,
    draft_project,
    editor,
    registered_project,
    researcher,
)
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import ImmutableRecordError, ProtocolAttachment
from whatworks.registry.protocol import content_sha256
from whatworks.registry.services.attachments import attachment_remove
from whatworks.registry.services.protocols import protocol_draft_save, protocol_register

pytestmark = pytest.mark.django_db

NEW_PLAN = b"%PDF-1.4\n% the plan, revised\n%%EOF\n"


def _zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_sha256_is_listed_in_the_version_and_covered_by_its_hash() -> None:
    project = attached_project()
    version = project.versions.get()
    listed = version.content["attachments"]
    assert listed == [
        {
            "kind": "statistical-analysis-plan",
            "name": "analysis-plan.pdf",
            "content_type": "application/pdf",
            "size": len(PDF_BYTES),
            "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
        }
    ]
    assert version.sha256 == content_sha256(version.content)
    without = {k: v for k, v in version.content.items() if k != "attachments"}
    assert content_sha256(without) != version.sha256


def test_files_are_private(settings: Any) -> None:
    project = attached_project()
    row = ProtocolAttachment.objects.get(project=project)
    path = Path(row.file.path)
    assert Path(settings.PRIVATE_DATA_ROOT) in path.parents
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert path.read_bytes() == PDF_BYTES


def test_a_registered_versions_file_is_never_replaced(client: Any) -> None:
    project = attached_project()
    author = project.team.get()
    old = ProtocolAttachment.objects.get(project=project)
    # The draft takes a new plan; version 1 keeps the old one, file and all.
    attach(project, author=author, data=NEW_PLAN, name="plan-v2.pdf")
    assert ProtocolAttachment.objects.filter(project=project).count() == 2
    with pytest.raises(ImmutableRecordError):
        old.delete()
    old.original_name = "other.pdf"
    with pytest.raises(ImmutableRecordError):
        old.save()
    response = client.get(
        reverse("registry:version_attachment", args=[project.reference, 1, old.kind])
    )
    assert response.content == PDF_BYTES
    assert "analysis-plan.pdf" in response["Content-Disposition"]
    # Registering the amendment freezes the new plan in v2; the diff shows the change.
    protocol_register(actor=author, project=project, justification="The plan was revised.")
    v2 = project.versions.get(number=2)
    assert v2.content["attachments"][0]["sha256"] == hashlib.sha256(NEW_PLAN).hexdigest()
    page = client.get(reverse("registry:diff", args=[project.reference])).content.decode()
    assert "Attached document changed" in page
    assert hashlib.sha256(NEW_PLAN).hexdigest() in page
    # Taking the plan out of the draft keeps both registered files.
    attachment_remove(actor=author, project=project, kind="statistical-analysis-plan")
    assert ProtocolAttachment.objects.filter(project=project).count() == 2


def test_a_drafts_replaced_file_is_deleted_when_nothing_registered_lists_it(
    django_capture_on_commit_callbacks: Any,
) -> None:
    project = draft_project()
    first = attach(project)
    path = Path(first.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        attach(project, data=NEW_PLAN)
    assert list(ProtocolAttachment.objects.filter(project=project)) != [first]
    assert ProtocolAttachment.objects.filter(project=project).count() == 1
    assert not path.exists()


def test_the_draft_form_keeps_the_attachments(client: Any) -> None:
    from tests.registry.test_protocol_form import _as_submitted

    project = draft_project()
    attach(project)
    client.force_login(project.team.get())
    url = reverse("registry:protocol_edit", args=[project.reference])
    assert client.post(url, _as_submitted(client.get(url).content.decode())).status_code == 302
    project.refresh_from_db()
    assert project.draft_content["attachments"][0]["kind"] == "statistical-analysis-plan"


@pytest.mark.parametrize(
    ("kind", "data", "name", "message"),
    [
        ("statistical-analysis-plan", b"\x89PNG\r\n\x1a\n\x00\x00", "plan.pdf", "must be a PDF"),
        ("statistical-analysis-plan", _zip({"a.R": b"x"}), "plan.zip", "not one of these"),
        ("ethics-approval", b"", "empty.pdf", "is empty"),
        ("minutes", PDF_BYTES, "x.pdf", "not a kind of document"),
    ],
)
def test_wrong_files_are_refused_with_a_clear_message(
    kind: str, data: bytes, name: str, message: str
) -> None:
    project = draft_project()
    with pytest.raises(RegistryError) as caught:
        attach(project, kind=kind, data=data, name=name)
    assert message in caught.value.message
    assert not ProtocolAttachment.objects.exists()
    project.refresh_from_db()
    assert "attachments" not in project.draft_content


def test_code_may_be_text_or_a_zip() -> None:
    project = draft_project()
    attach(project, kind="analysis-code", data=b"model <- glm(y ~ arm)\n", name="analysis.R")
    attach(project, kind="analysis-code", data=_zip({"analysis.R": b"1"}), name="code.zip")
    project.refresh_from_db()
    assert project.draft_content["attachments"][0]["content_type"] == "application/zip"


def test_the_size_limit_is_explained(settings: Any) -> None:
    settings.WHATWORKS_REGISTRY_MAX_ATTACHMENT_MB = 0.00001
    project = draft_project()
    with pytest.raises(RegistryError, match=r"at most 1e-05 MB"):
        attach(project)


def test_the_upload_page_shows_problems_in_the_error_summary(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    url = reverse("registry:attachments", args=[project.reference])
    upload = SimpleUploadedFile("plan.pdf", b"\x00\x01binary")
    page = client.post(url, {"kind": "statistical-analysis-plan", "file": upload}).content
    assert "There is a problem" in page.decode() and "must be a PDF" in page.decode()
    page = client.post(url, {"kind": "statistical-analysis-plan"}).content.decode()
    assert "Choose a file to upload." in page
    upload = SimpleUploadedFile("plan.pdf", PDF_BYTES)
    response = client.post(url, {"kind": "statistical-analysis-plan", "file": upload})
    assert response.status_code == 302
    assert "plan.pdf" in client.get(url).content.decode()
    # Taking it out again.
    response = client.post(
        reverse("registry:attachment_remove", args=[project.reference]),
        {"kind": "statistical-analysis-plan"},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert "attachments" not in project.draft_content


def test_downloads_are_audited(client: Any) -> None:
    project = attached_project()
    url = reverse(
        "registry:version_attachment", args=[project.reference, 1, "statistical-analysis-plan"]
    )
    assert client.get(url).status_code == 200
    entry = AuditEntry.objects.filter(action="registry.attachment_downloaded").get()
    assert entry.changes["where"] == "v1" and entry.object_id == str(project.pk)


def test_draft_documents_are_for_the_team_and_editors() -> None:
    from django.test import Client

    project = attached_project()
    url = reverse(
        "registry:draft_attachment", args=[project.reference, "statistical-analysis-plan"]
    )
    for user, code in (
        (project.team.get(), 200),
        (editor(), 200),
        (researcher(), 404),
        (user_with_role(Role.LA_ANALYST), 404),
    ):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == code
    assert Client().get(url).status_code == 404


def test_an_embargoed_versions_documents_stay_hidden(client: Any) -> None:
    author = researcher()
    project = draft_project(author=author)
    attach(project, author=author)
    protocol_register(
        actor=author, project=project, embargo_until=timezone.localdate() + timedelta(days=30)
    )
    from whatworks.registry.services.projects import project_publish

    project_publish(actor=editor(), project=project)
    url = reverse(
        "registry:version_attachment", args=[project.reference, 1, "statistical-analysis-plan"]
    )
    assert client.get(url).status_code == 404
    client.force_login(author)
    assert client.get(url).status_code == 200


def test_a_file_changed_on_disk_is_not_served(client: Any) -> None:
    project = attached_project()
    row = ProtocolAttachment.objects.get(project=project)
    Path(row.file.path).write_bytes(b"%PDF-1.4 tampered")
    url = reverse("registry:version_attachment", args=[project.reference, 1, row.kind])
    response = client.get(url)
    assert response.status_code == 409
    assert AuditEntry.objects.filter(action="registry.attachment_mismatch").exists()


def test_a_version_lists_no_document_it_did_not_freeze(client: Any) -> None:
    project = registered_project()
    url = reverse("registry:version_attachment", args=[project.reference, 1, "ethics-approval"])
    assert client.get(url).status_code == 404


def test_the_draft_service_refuses_a_forged_attachment_list() -> None:
    project = draft_project()
    item = {
        "kind": "analysis-code",
        "name": "code.R",
        "content_type": "text/plain",
        "size": 10,
        "sha256": "0" * 64,
    }
    forged = {**project.draft_content, "attachments": [item]}
    with pytest.raises(RegistryError, match="not a file uploaded to this project"):
        protocol_draft_save(actor=project.team.get(), project=project, content=forged)


def test_reading_a_file_audits_the_download_or_the_mismatch() -> None:
    from whatworks.core.audit_actions import AuditAction
    from whatworks.registry.attachments import AttachmentMismatchError
    from whatworks.registry.services.attachments import attachment_read

    project = attached_project()
    reader = editor()
    row = ProtocolAttachment.objects.get(project=project)
    assert attachment_read(actor=reader, attachment=row, where="v1") == PDF_BYTES
    downloaded = AuditEntry.objects.get(action=AuditAction.REGISTRY_ATTACHMENT_DOWNLOADED)
    assert downloaded.actor == reader
    assert downloaded.changes == {"kind": row.kind, "sha256": row.sha256, "where": "v1"}
    Path(row.file.path).write_bytes(b"%PDF-1.4 tampered")
    with pytest.raises(AttachmentMismatchError):
        attachment_read(actor=None, attachment=row, where="draft")
    mismatch = AuditEntry.objects.get(action=AuditAction.REGISTRY_ATTACHMENT_MISMATCH)
    assert mismatch.actor is None and mismatch.changes["where"] == "draft"
    assert AuditEntry.objects.filter(action=AuditAction.REGISTRY_ATTACHMENT_DOWNLOADED).count() == 1
