"""Private data on disk: what every part that keeps personal data outside the database shares.

Child-level pilot datasets (``pilots/``) and trial data (``registry/trial_data.py``) follow
one set of rules, kept here so that both apply them the same way:

- everything under ``settings.PRIVATE_DATA_ROOT`` belongs to the platform's own user only
  (folders 0700, files 0600; :func:`private_mkdir`, :func:`private_open`,
  :func:`restrict_tree`, which every start re-applies);
- an upload is streamed by the web process straight to a private file in the part's
  scratch area (:class:`ScratchUploadHandler`, under ``<area>/incoming/receiving/<host>-
  <pid>-<token>/``, :func:`receiving_folder`), stopped at the size limit
  (:class:`SizeLimitHandler`), and never parsed there: a worker checks it;
- what a killed process leaves behind is removed when a worker or ``whatworks serve``
  starts (:func:`sweep_incoming`);
- identifiers are replaced by keyed pseudonyms (:func:`pseudonym`, :func:`pseudonymise`)
  under a key derived from the deployment's master key for one context (a local
  authority, a research project): :func:`derive_pseudonym_key` is the only place a key is
  derived;
- a row that points at such data on disk holds the same fields for it
  (:class:`PrivateDataFile`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import socket
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from whatworks.core.errors import PrivateDataError

CHUNK = 1024 * 1024


#: Modes of everything under the private data root: only the platform's own user.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
#: The folder (under the incoming area) where web processes write request bodies.
RECEIVING = "receiving"


class PrivateDataFile(models.Model):
    """The fields of a row whose data live under the private data root, never in the
    database: where they are, their fingerprint, and when they were deleted.  (Each model
    declares its own deletion date: a pilot dataset's is required, trial data's is set
    only once the data are stored.)"""

    folder = models.CharField(_("folder under the private data root"), max_length=300, blank=True)
    #: SHA-256 of the upload as received, before anything was dropped or pseudonymised:
    #: the fingerprint an offline run of the same files records.
    fingerprint = models.CharField(_("data fingerprint (SHA-256)"), max_length=64, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class SizeLimitHandler(FileUploadHandler):
    """Stops an upload as soon as the bytes received pass the limit (set ``limit``)."""

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class ReceivedFile(UploadedFile):
    """One uploaded file, already streamed to its private file on disk by the handler."""

    def __init__(self, *, path: Path, name: str, size: int, content_type: str | None) -> None:
        super().__init__(None, name, content_type, size, None, None)
        self.path = path

    def temporary_file_path(self) -> str:
        return str(self.path)

    def close(self) -> None:
        return None


class ScratchUploadHandler(FileUploadHandler):
    """Streams each uploaded file to a file of its own (mode 0600) in ``folder`` (0700).

    Nothing else is kept: no copy in memory and none in the system's temporary folder, so
    the raw bytes exist only under the private data root, where the sweep finds them.
    """

    def __init__(self, request: Any = None, *, folder: Path) -> None:
        super().__init__(request)
        self.folder = folder
        self.count = 0
        self.file: BinaryIO | None = None
        self.path: Path | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        private_mkdir(self.folder)
        self.path = self.folder / f"{self.count:03d}"
        self.count += 1
        self.file = private_open(self.path)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        assert self.file is not None
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> ReceivedFile | None:
        if self.file is None or self.path is None:
            return None
        self.file.close()
        self.file = None
        return ReceivedFile(
            path=self.path,
            name=str(self.file_name or ""),
            size=file_size,
            content_type=self.content_type,
        )

    def upload_interrupted(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


# --- the private area ------------------------------------------------------------------


def private_mkdir(path: Path) -> Path:
    """Create ``path`` and its missing parents with mode 0700 (the umask cannot widen it)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR_MODE)
    return path


def private_open(path: Path) -> BinaryIO:
    """A new file (never an existing one or a link) open for writing, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    os.fchmod(fd, PRIVATE_FILE_MODE)
    return os.fdopen(fd, "wb")


def restrict_tree(root: Path) -> int:
    """Give every folder under ``root`` (itself included) mode 0700 and every file 0600.

    Links are left alone (never followed).  Returns how many modes were changed, so that
    data written before this rule existed is tightened at the next start.
    """
    if not root.is_dir() or root.is_symlink():
        return 0
    changed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name, mode in (
            [(".", PRIVATE_DIR_MODE)]
            + [(n, PRIVATE_DIR_MODE) for n in dirnames]
            + [(n, PRIVATE_FILE_MODE) for n in filenames]
        ):
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
                continue
            os.chmod(path, mode)
            changed += 1
    return changed


def receiving_folder(incoming: Path) -> Path:
    """A fresh folder for one request's files, named after this host and process."""
    token = secrets.token_hex(8)
    return incoming / RECEIVING / f"{socket.gethostname()}-{os.getpid()}-{token}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_incoming(incoming: Path, *, keep: Callable[[str], bool]) -> list[str]:
    """Remove what no live process is using from the scratch area; return what went.

    ``incoming/<id>/`` (an upload waiting for or in its check) stays while ``keep(id)``
    says its check is queued or running on a live worker.  ``incoming/receiving/<host>-
    <pid>-…/`` (a request body being received) stays while that process is alive on
    this host.  Everything else — a killed web process's half-received files, a killed
    worker's unpacked tables, stray files — is removed.
    """
    removed: list[str] = []
    if not incoming.is_dir():
        return removed
    host = socket.gethostname()
    for entry in sorted(incoming.iterdir()):
        if entry.name == RECEIVING and entry.is_dir() and not entry.is_symlink():
            for part in sorted(entry.iterdir()):
                owner_host, _, pid = part.name.rpartition("-")[0].rpartition("-")
                if owner_host == host and pid.isdigit():
                    if _process_alive(int(pid)):
                        continue
                elif owner_host and pid.isdigit() and part.is_dir():
                    continue  # another machine's request: only that machine can tell
                remove_path(part)
                removed.append(f"{RECEIVING}/{part.name}")
            continue
        if entry.is_dir() and not entry.is_symlink() and keep(entry.name):
            continue
        remove_path(entry)
        removed.append(entry.name)
    return removed


def remove_path(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Received:
    """Files of one upload as they sit on disk: ``(stored name, uploaded name)`` pairs."""

    folder: Path
    files: tuple[tuple[str, str], ...]

    @property
    def names(self) -> list[str]:
        return [name for _, name in self.files]

    def size(self) -> int:
        return sum((self.folder / stored).stat().st_size for stored, _ in self.files)


def received_from(folder: Path, uploads: Iterable[Any]) -> Received:
    """The :class:`Received` files of a request whose files the handler wrote."""
    files = []
    for upload in uploads:
        path = Path(upload.temporary_file_path())
        if path.parent != folder:
            raise PrivateDataError(gettext("The upload was not received in the private area."))
        files.append((path.name, str(upload.name or "")))
    return Received(folder=folder, files=tuple(files))


def stage_files(paths: Iterable[Path], folder: Path) -> Received:
    """Copy files already on this machine (the demo's, a command's) into ``folder``."""
    private_mkdir(folder)
    files = []
    for n, source in enumerate(paths):
        stored = f"{n:03d}"
        with source.open("rb") as src, private_open(folder / stored) as out:
            shutil.copyfileobj(src, out, CHUNK)
        files.append((stored, source.name))
    return Received(folder=folder, files=tuple(files))


def pseudonym(value: str, *, key: str) -> str:
    """HMAC-SHA256 of an identifier under the deployment key, as 32 hex characters."""
    digest = hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def pseudonymise(
    frames: dict[str, pl.DataFrame], columns: dict[str, list[str]], *, key: str
) -> dict[str, pl.DataFrame]:
    """Replace every identifier column's values by their keyed pseudonyms.

    Each distinct value is hashed once; the same id under the same key always gives the
    same pseudonym, so links between tables survive.
    """
    out = {}
    for name, frame in frames.items():
        replaced = []
        for column in columns.get(name, []):
            values = frame.get_column(column).drop_nulls().unique().to_list()
            mapping = {v: pseudonym(str(v), key=key) for v in values}
            replaced.append(
                pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)
            )
        out[name] = frame.with_columns(replaced) if replaced else frame
    return out


def derive_pseudonym_key(*, context: str, master: str | None = None) -> str:
    """The pseudonym key of one context (``org:<id>``, ``project:<id>``), derived from the
    deployment's master key (``WHATWORKS_PSEUDONYM_KEY``).

    ``HMAC-SHA256(master, "whatworks-pseudonym-v2|<context>")`` as hex (an HKDF-style
    expansion with the context as its label): the same identifier gets the same pseudonym
    in every upload of one context and unrelated pseudonyms in two, so records cannot be
    linked across contexts without the Centre's master key.
    """
    if master is None:
        from django.conf import settings

        master = str(settings.WHATWORKS_PSEUDONYM_KEY)
    label = f"whatworks-pseudonym-v2|{context}"
    return hmac.new(master.encode("utf-8"), label.encode("utf-8"), hashlib.sha256).hexdigest()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
