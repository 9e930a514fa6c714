"""Checks on uploaded images, made before anything is stored.

The type comes from the file's first bytes (its "magic number"), never from its name or
the browser's claim; the stored name is random and its extension follows the real type.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from whatworks.news.errors import UploadError

#: Largest image accepted, in bytes.
MAX_IMAGE_BYTES = 2 * 1024 * 1024

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    extension: str
    size: int


def sniff_image_type(head: bytes) -> str | None:
    """PNG, JPEG or WebP from the first bytes, or None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_image(upload: UploadedFile) -> CheckedImage:
    """Refuse files that are too big, empty, or not PNG, JPEG or WebP by their content."""
    size = upload.size or 0
    if size == 0:
        raise UploadError(_("The selected file is empty."))
    if size > MAX_IMAGE_BYTES:
        raise UploadError(
            _("The image must be smaller than %(mb)s MB.") % {"mb": MAX_IMAGE_BYTES // 1024**2}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_image_type(head)
    if content_type is None:
        raise UploadError(_("The image must be a PNG, JPEG or WebP file."))
    return CheckedImage(content_type=content_type, extension=EXTENSIONS[content_type], size=size)
