"""The draft protocol's documents: add one of a kind (replacing the draft's earlier one) or
take it out; a file no version or draft lists any more is deleted (``attachments.py`` has
the rules for what a file is)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.attachments import (
    AttachmentMismatchError,
    file_sha256,
    frozen_hashes,
    read_verified,
    upload_problems,
)
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ProtocolAttachment
from whatworks.registry.protocol import ATTACHMENT_LABELS
from whatworks.registry.services.common import require_not_withdrawn, require_team


def _draft_hashes(project: Project) -> set[tuple[str, str]]:
    return {
        (item.get("kind", ""), item.get("sha256", ""))
        for item in (project.draft_content or {}).get("attachments") or []
    }


def _set_draft_attachments(
    actor: User | None, project: Project, items: Iterable[dict[str, Any]]
) -> None:
    """Write the draft's attachment list through the draft service (all its checks)."""
    from whatworks.registry.services.protocols import protocol_draft_save

    draft = dict(project.draft_content or {})
    draft["attachments"] = list(items)
    if not draft.get("title"):
        draft["title"] = project.title
    protocol_draft_save(actor=actor, project=project, content=draft)


def _forget_unused(project: Project, stale: set[tuple[str, str]]) -> None:
    """Delete the rows and files of ``stale`` that nothing registered or drafted lists."""
    keep = frozen_hashes(project) | _draft_hashes(project)
    for kind, sha in stale - keep:
        for row in ProtocolAttachment.objects.filter(project=project, kind=kind, sha256=sha):
            name, storage = row.file.name, row.file.storage
            ProtocolAttachment.objects.filter(pk=row.pk).delete()
            transaction.on_commit(partial(storage.delete, name))


@transaction.atomic
def attachment_add(
    *, actor: User | None, project: Project, kind: str, upload: UploadedFile | None
) -> ProtocolAttachment:
    """Put a document of ``kind`` in the project's draft, replacing the draft's earlier one."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require_team(actor, project)
    require_not_withdrawn(project)
    problems, content_type = upload_problems(kind, upload)
    if problems:
        raise RegistryError(problems)
    assert upload is not None and upload.file is not None
    sha = file_sha256(upload.file)
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    attachment = ProtocolAttachment.objects.filter(project=project, kind=kind, sha256=sha).first()
    if attachment is None:
        attachment = ProtocolAttachment(
            project=project,
            kind=kind,
            original_name=name,
            content_type=content_type,
            size=upload.size or 0,
            sha256=sha,
            uploaded_by=actor if actor is not None and actor.pk else None,
            uploaded_at=timezone.now(),
        )
        attachment.file.save(name, upload.file, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.storage.delete(attachment.file.name)
            raise
    items = [a for a in (project.draft_content or {}).get("attachments") or [] if a["kind"] != kind]
    replaced = _draft_hashes(project) - {(a["kind"], a["sha256"]) for a in items}
    items.append(
        {
            "kind": kind,
            "name": attachment.original_name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        }
    )
    _set_draft_attachments(actor, project, items)
    _forget_unused(project, replaced - {(kind, sha)})
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_ATTACHMENT_ADDED,
        target=project,
        changes={"kind": kind, "sha256": sha, "bytes": attachment.size},
    )
    return attachment


@transaction.atomic
def attachment_remove(*, actor: User | None, project: Project, kind: str) -> None:
    """Take the document of ``kind`` out of the draft (a registered version keeps its own)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require_team(actor, project)
    require_not_withdrawn(project)
    items = (project.draft_content or {}).get("attachments") or []
    gone = [a for a in items if a["kind"] == kind]
    if not gone:
        raise RegistryError(
            _("The draft has no %(lower)s.") % {"lower": ATTACHMENT_LABELS.get(kind, kind).lower()}
        )
    _set_draft_attachments(actor, project, [a for a in items if a["kind"] != kind])
    _forget_unused(project, {(kind, gone[0]["sha256"])})
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_ATTACHMENT_REMOVED,
        target=project,
        changes={"kind": kind, "sha256": gone[0]["sha256"]},
    )


def attachment_read(*, actor: User | None, attachment: ProtocolAttachment, where: str) -> bytes:
    """The file's bytes, re-hashed before they are served; every download is audited, and
    so is a file that no longer matches its SHA-256 (``AttachmentMismatchError``: not
    served, the editors see it in the audit log).  ``where``: the draft or ``vN``."""
    changes = {"kind": attachment.kind, "sha256": attachment.sha256, "where": where}
    try:
        data = read_verified(attachment)
    except AttachmentMismatchError:
        audit_record(
            actor=actor,
            action=AuditAction.REGISTRY_ATTACHMENT_MISMATCH,
            target=attachment.project,
            changes=changes,
        )
        raise
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_ATTACHMENT_DOWNLOADED,
        target=attachment.project,
        changes=changes,
    )
    return data
