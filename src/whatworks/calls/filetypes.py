"""What an uploaded file really is, judged by its content (magic bytes), never its name.

Accepted: PDF (``%PDF-``), Word DOCX (a zip holding ``word/document.xml``), OpenDocument
text (a zip whose ``mimetype`` entry says so) and plain text (UTF-8 without NUL bytes).
Zips are only listed, never extracted.
"""

from __future__ import annotations

import zipfile
from typing import IO

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain"

EXTENSIONS = {PDF: "pdf", DOCX: "docx", ODT: "odt", TEXT: "txt"}
ZIP_MAGIC = b"PK\x03\x04"
TEXT_SNIFF = 64 * 1024


def sniff(handle: IO[bytes]) -> str | None:
    """The accepted content type of ``handle``'s content, or None.  Leaves it rewound."""
    handle.seek(0)
    head = handle.read(TEXT_SNIFF)
    handle.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(ZIP_MAGIC):
            return _sniff_zip(handle)
        if head and b"\x00" not in head and _is_utf8(head):
            return TEXT
        return None
    finally:
        handle.seek(0)


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sniffed block is fine
        return exc.start >= len(head) - 3 and len(head) == TEXT_SNIFF
    return True


def _sniff_zip(handle: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return DOCX
            if "mimetype" in names and "content.xml" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(100).strip() == ODT.encode():
                        return ODT
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None
