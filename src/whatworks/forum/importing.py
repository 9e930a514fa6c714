"""Importing a Pol.is open-data export from the staff pages (the ``forum_import`` command's
web twin): a ZIP of the export folder, or its comments.csv and votes.csv.

The upload is checked before anything is stored: its size, the ZIP's members (only the
export's own file names, no folders, no links, a cap on the unpacked size, so a ZIP bomb
or a path like ``../x`` cannot get through), then the files through the analytics package's
reader, which reports every problem at once.  The files live in a private temporary folder
only while they are read.  Then ``services/importing.py`` stores it: the conversation is
created closed (a record of a past conversation) and its analysis is queued, so the request
stays short.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from django.utils.translation import gettext as _

from whatworks.core.models import User
from whatworks.forum import analytics
from whatworks.forum.errors import ImportProblems
from whatworks.forum.models import Conversation
from whatworks.forum.services.conversations import RESERVED_SLUGS
from whatworks.forum.services.importing import Imported, conversation_import_new

#: The files of a Pol.is open-data export that are read (the others are ignored).
EXPORT_FILES = ("comments.csv", "votes.csv", "participants-votes.csv", "summary.csv")
#: Largest upload, and largest total once unpacked, in bytes.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def _unzip(archive: IO[bytes], folder: Path) -> list[str]:
    """Unpack the export's own files from ``archive`` into ``folder``; return problems."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(archive) as zipped:
            total = 0
            found: dict[str, zipfile.ZipInfo] = {}
            for info in zipped.infolist():
                if info.is_dir():
                    continue
                name = PurePosixPath(info.filename).name
                total += info.file_size
                if name in EXPORT_FILES and name not in found:
                    found[name] = info
            if total > MAX_UNPACKED_BYTES:
                problems.append(
                    _("The ZIP unpacks to more than %(mb)s MB; export a smaller conversation.")
                    % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
                )
                return problems
            for name, info in found.items():
                with zipped.open(info) as source, (folder / name).open("wb") as target:
                    read = 0
                    while chunk := source.read(1024 * 1024):
                        read += len(chunk)
                        if read > info.file_size or read > MAX_UNPACKED_BYTES:
                            problems.append(_("The ZIP is damaged: a file is larger than it says."))
                            return problems
                        target.write(chunk)
    except zipfile.BadZipFile:
        problems.append(_("The file is not a ZIP archive: choose the ZIP of the export folder."))
    return problems


def conversation_import_upload(
    *,
    actor: User | None,
    slug: str,
    archive: IO[bytes] | None = None,
    comments: IO[bytes] | None = None,
    votes: IO[bytes] | None = None,
    size: int = 0,
) -> Imported:
    """Import an uploaded export as a new, closed conversation called ``slug``."""
    problems: list[str] = []
    if size > MAX_UPLOAD_BYTES:
        problems.append(
            _("The upload is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if archive is None and (comments is None or votes is None):
        problems.append(_("Choose the export's ZIP, or both its comments.csv and votes.csv."))
    if slug in RESERVED_SLUGS or Conversation.objects.filter(slug=slug).exists():
        problems.append(
            _("There is already a conversation called “%(slug)s”: choose another short name.")
            % {"slug": slug}
        )
    if problems:
        raise ImportProblems(problems)
    with tempfile.TemporaryDirectory(prefix="forum-import-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o700)
        if archive is not None:
            problems += _unzip(archive, folder)
        else:
            for name, upload in (("comments.csv", comments), ("votes.csv", votes)):
                assert upload is not None
                with (folder / name).open("wb") as target:
                    while chunk := upload.read(1024 * 1024):
                        target.write(chunk)
        if problems:
            raise ImportProblems(problems)
        try:
            data = analytics.export_read(folder)
        except analytics.PolisFormatError as exc:
            raise ImportProblems(
                [_("The export cannot be read:"), *map(str, exc.problems)]
            ) from None
        except OSError as exc:
            raise ImportProblems([_("The export cannot be read: %(e)s") % {"e": exc}]) from None
    return conversation_import_new(actor=actor, slug=slug, data=data)
