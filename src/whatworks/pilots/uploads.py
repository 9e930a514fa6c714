"""Uploaded files to a folder of contract tables, safely (the private-data rules
themselves, streaming, modes, the sweep and the keyed pseudonyms, are the core's:
``whatworks.core.privatedata``).

Raw child-level files are only ever written under ``PRIVATE_DATA_ROOT/pilots/incoming/``
(the scratch area), with mode 0600 in folders of mode 0700, and never read whole into
memory:

- the web process streams each uploaded file straight to disk
  (:class:`ScratchUploadHandler`) into ``incoming/receiving/<host>-<pid>-<token>/``; it
  checks only the files' names and sizes, never their content;
- the service moves that folder to ``incoming/<upload id>/`` and queues the check; the
  worker unpacks it (:func:`place_received`), checks it, pseudonymises it and removes it;
- whatever a crash leaves behind is removed by :func:`sweep_incoming`, which every worker
  and ``whatworks serve`` run when they start.

A zip is checked before anything is extracted: no absolute paths, no ``..``, no links,
only the contract's table names, and the *declared* sizes must stay under the limit and a
sane compression ratio (a zip bomb fails here); extraction then stops at the declared size
in case the headers lie.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from django.utils.translation import gettext

from whatworks.core.errors import PrivateDataError

# The private-data rules every part shares live in the core; the pilots' modules keep
# importing them from here.
from whatworks.core.privatedata import (
    CHUNK,
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    RECEIVING,
    Received,
    ReceivedFile,
    ScratchUploadHandler,
    SizeLimitHandler,
    derive_pseudonym_key,
    private_mkdir,
    private_open,
    pseudonym,
    pseudonymise,
    receiving_folder,
    remove_path,
    remove_tree,
    restrict_tree,
    stage_files,
    sweep_incoming,
)
from whatworks.core.privatedata import received_from as _received_from
from whatworks.pilots.analytics import SUFFIXES, TABLE_NAMES
from whatworks.pilots.errors import PilotError

__all__ = [
    "CHUNK",
    "MAX_RATIO",
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "RECEIVING",
    "Received",
    "ReceivedFile",
    "ScratchUploadHandler",
    "SizeLimitHandler",
    "names_problems",
    "place_received",
    "private_mkdir",
    "private_open",
    "pseudonym",
    "pseudonym_key",
    "pseudonymise",
    "received_from",
    "receiving_folder",
    "remove_path",
    "remove_tree",
    "restrict_tree",
    "stage_files",
    "sweep_incoming",
    "table_file_name",
    "unzip_safely",
]

#: A compressed member expanding more than this many times is treated as a zip bomb.
MAX_RATIO = 200


# --- unpacking -------------------------------------------------------------------------


def table_file_name(name: str) -> str | None:
    """The contract file name an upload's name stands for, or None."""
    base = PurePosixPath(name.replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    if dot and stem in TABLE_NAMES and f".{suffix.lower()}" in SUFFIXES:
        return f"{stem}.{suffix.lower()}"
    return None


def names_problems(names: Sequence[str]) -> list[str]:
    """What is wrong with the names of the uploaded files (every problem at once).

    Only names: the content is checked by the worker.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for name in names:
        if name.lower().endswith(".zip"):
            continue
        target = table_file_name(name)
        if target is None:
            problems.append(
                f"{name} is not one of the contract's tables: upload "
                + ", ".join(f"{t}.csv" for t in TABLE_NAMES)
                + " (or .parquet), or a zip of them."
            )
        elif target in seen:
            problems.append(gettext("%(target)s was uploaded more than once.") % {"target": target})
        else:
            seen.add(target)
    if not names:
        problems.append(gettext("Choose the dataset's files, or a zip of them."))
    return problems


def _unsafe_member(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def unzip_safely(archive: Path, into: Path, *, limit: int) -> list[str]:
    """Extract the contract tables of ``archive`` into ``into``; refuse unsafe archives."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise PilotError(
            gettext("The zip file cannot be opened: it is damaged or not a zip.")
        ) from None
    with zf:
        wanted: list[tuple[zipfile.ZipInfo, str]] = []
        problems: list[str] = []
        declared = 0
        for info in zf.infolist():
            if _unsafe_member(info.filename):
                raise PilotError(
                    gettext("The zip contains an unsafe path (%(filename)s); nothing was kept.")
                    % {"filename": info.filename}
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise PilotError(
                    gettext("The zip contains a link (%(filename)s); nothing was kept.")
                    % {"filename": info.filename}
                )
            if info.is_dir():
                continue
            target = table_file_name(info.filename)
            if target is None:
                continue  # README files, manifests: ignored
            declared += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise PilotError(
                    gettext(
                        "%(filename)s expands more than %(max_ratio)s times: refused "
                        "as a possible zip bomb."
                    )
                    % {"filename": info.filename, "max_ratio": MAX_RATIO}
                )
            if any(t == target for _, t in wanted):
                problems.append(
                    gettext("The zip holds %(target)s more than once.") % {"target": target}
                )
            wanted.append((info, target))
        if declared > limit:
            raise PilotError(
                gettext("The zip expands to %(declared)s bytes, more than the limit of %(limit)s.")
                % {"declared": format(declared, ","), "limit": format(limit, ",")}
            )
        if problems:
            raise PilotError(problems)
        for info, target in wanted:
            if (into / target).exists():
                raise PilotError(
                    gettext("%(target)s was uploaded more than once.") % {"target": target}
                )
            _extract(zf, info, into / target)
        return [t for _, t in wanted]


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> None:
    written = 0
    with zf.open(info) as source, private_open(dest) as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise PilotError(
                    gettext("%(filename)s is larger than its zip entry says: refused.")
                    % {"filename": info.filename}
                )
            out.write(chunk)


def place_received(received: Received, into: Path, *, limit: int) -> list[str]:
    """Unpack the received files into ``into`` as contract tables; the originals go.

    A table file is moved (no copy); a zip is checked and unpacked, then removed.
    """
    private_mkdir(into)
    names: list[str] = []
    for stored, name in received.files:
        source = received.folder / stored
        if name.lower().endswith(".zip"):
            names.extend(unzip_safely(source, into, limit=limit))
            source.unlink()
            continue
        target = table_file_name(name)
        if target is None or (into / target).exists():
            raise PilotError(names_problems(received.names) or [f"{name} is not a table."])
        os.replace(source, into / target)
        names.append(target)
    if not names:
        raise PilotError(gettext("Choose the dataset's files, or a zip of them."))
    return names


def received_from(folder: Path, uploads: Iterable[Any]) -> Received:
    """The :class:`Received` files of a request whose files the handler wrote."""
    try:
        return _received_from(folder, uploads)
    except PrivateDataError as exc:
        raise PilotError(exc.message) from None


def pseudonym_key(*, organisation_id: object, master: str | None = None) -> str:
    """The pseudonym key of one local authority, derived from the deployment's master key
    (``HMAC-SHA256(master, "whatworks-pseudonym-v2|org:<id>")``, see
    :func:`whatworks.core.privatedata.derive_pseudonym_key`): the same child gets the same
    pseudonym in every upload of one authority, and unrelated pseudonyms in two."""
    return derive_pseudonym_key(context=f"org:{organisation_id}", master=master)
