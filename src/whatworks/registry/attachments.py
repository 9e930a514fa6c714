"""Documents frozen into a protocol version (issue #17): the statistical analysis plan, the
analysis code, the data-management plan and the ethics approval.

A team uploads them to the project's draft.  Each file goes to private storage
(``storage.py``: ``PRIVATE_DATA_ROOT/registry``, 0700/0600) as a
:class:`~whatworks.registry.models.ProtocolAttachment` row, which is never changed; the
draft's content names it by kind, file name, type, size and SHA-256.  Registering the draft
freezes that list into the version's JSON, so the version's own hash covers every file's
fingerprint: a registered version's attachments cannot be replaced, only superseded by an
amendment that lists another file.  A file that a registered version lists can no longer be
deleted; a draft's replaced file is deleted when nothing registered lists it.

What a file is, is judged by its content (its first bytes), never by its name: PDF, Word
(.docx), OpenDocument text (.odt), plain UTF-8 text (the usual form of R, Stata, SPSS, SAS
and Python code) and, for analysis code only, a ZIP archive (listed, never extracted).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services import audit_record
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import AttachmentKind, Project, ProtocolAttachment
from whatworks.registry.protocol import ATTACHMENT_LABELS
from whatworks.registry.services.common import require_not_withdrawn, require_team

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain"
ZIP = "application/zip"
TYPE_NAMES = {
    PDF: "PDF",
    DOCX: "Word document",
    ODT: "OpenDocument text",
    TEXT: "plain text",
    ZIP: "ZIP archive",
}
#: What each kind of document may be.
ACCEPTED: dict[str, tuple[str, ...]] = {
    AttachmentKind.ANALYSIS_PLAN: (PDF, DOCX, ODT, TEXT),
    AttachmentKind.ANALYSIS_CODE: (TEXT, ZIP, PDF),
    AttachmentKind.DATA_MANAGEMENT: (PDF, DOCX, ODT, TEXT),
    AttachmentKind.ETHICS: (PDF, DOCX, ODT, TEXT),
}
_SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024


def max_bytes() -> int:
    return int(settings.WHATWORKS_REGISTRY_MAX_ATTACHMENT_MB * 1024 * 1024)


def accepted_words(kind: str) -> str:
    names = [TYPE_NAMES[t] for t in ACCEPTED[kind]]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def sniff(handle: IO[bytes]) -> str | None:
    """The content type ``handle``'s first bytes show, among the accepted ones, or None."""
    handle.seek(0)
    head = handle.read(_SNIFF_BYTES)
    handle.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(b"PK\x03\x04"):
            return _zip_type(handle)
        if head and b"\x00" not in head and _utf8(head, whole=len(head) < _SNIFF_BYTES):
            return TEXT
        return None
    finally:
        handle.seek(0)


def _utf8(head: bytes, *, whole: bool) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut by the end of the sniffed block is not an error of the file.
        return not whole and exc.start >= len(head) - 3
    return True


def _zip_type(handle: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return DOCX
            if "mimetype" in names and "content.xml" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(100).strip() == ODT.encode():
                        return ODT
            return ZIP
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def file_sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(partial(handle.read, _CHUNK), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def upload_problems(kind: str, upload: UploadedFile | None) -> tuple[list[str], str]:
    """What is wrong with an upload of ``kind`` (every problem), and its content type."""
    if kind not in ATTACHMENT_LABELS:
        return [f"“{kind}” is not a kind of document a protocol attaches."], ""
    label = ATTACHMENT_LABELS[kind]
    if upload is None or not upload.size:
        return [f"Choose the {label.lower()} file to upload: the file chosen is empty."], ""
    problems = []
    limit = settings.WHATWORKS_REGISTRY_MAX_ATTACHMENT_MB
    if upload.size > max_bytes():
        problems.append(
            _(
                "The %(label)s is %(size)s MB; a document can be at most "
                "%(limit)s MB. Make it smaller (for example, save it as a "
                "PDF without images)."
            )
            % {
                "label": label.lower(),
                "size": format(upload.size / 1024 / 1024, ".1f"),
                "limit": format(limit, "g"),
            }
        )
        return problems, ""
    content_type = sniff(upload.file) if upload.file is not None else None
    if content_type not in ACCEPTED[kind]:
        problems.append(
            _(
                "The %(label)s must be a %(accepted_words)s file; “%(name)s” "
                "is not one of these (its content was checked, not its name)."
            )
            % {"label": label.lower(), "accepted_words": accepted_words(kind), "name": upload.name}
        )
        return problems, ""
    return problems, content_type or ""


def frozen_hashes(project: Project) -> set[tuple[str, str]]:
    """(kind, SHA-256) of every file a registered version of the project lists."""
    return {
        (item.get("kind", ""), item.get("sha256", ""))
        for content in project.versions.values_list("content", flat=True)
        for item in (content or {}).get("attachments") or []
    }


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


class AttachmentMismatchError(Exception):
    """The stored file's content no longer has the SHA-256 it was registered with."""


def read_verified(attachment: ProtocolAttachment) -> bytes:
    """The stored file's bytes, once their SHA-256 is checked against the record.  Files are
    small (``WHATWORKS_REGISTRY_MAX_ATTACHMENT_MB``), so they are read whole."""
    with attachment.file.open("rb") as handle:
        data: bytes = handle.read()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise AttachmentMismatchError(attachment.sha256)
    return data
