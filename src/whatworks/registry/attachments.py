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
from functools import partial
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from whatworks.registry.models import AttachmentKind, Project, ProtocolAttachment
from whatworks.registry.protocol import ATTACHMENT_LABELS

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
