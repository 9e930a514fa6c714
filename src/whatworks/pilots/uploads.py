"""Uploaded files to a folder of contract tables, safely; and the keyed pseudonyms.

Uploads arrive as temporary files on disk (``TemporaryFileUploadHandler``) and are never
read whole into memory.  A zip is checked before anything is extracted: no absolute
paths, no ``..``, no links, only the contract's table names, and the *declared* sizes must
stay under the limit and a sane compression ratio (a zip bomb fails here); extraction then
stops at the declared size in case the headers lie.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from whatworks.pilots.analytics import SUFFIXES, TABLE_NAMES
from whatworks.pilots.errors import PilotError

#: A compressed member expanding more than this many times is treated as a zip bomb.
MAX_RATIO = 200
CHUNK = 1024 * 1024


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


def _table_file_name(name: str) -> str | None:
    """The contract file name an upload's name stands for, or None."""
    base = PurePosixPath(name.replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    if dot and stem in TABLE_NAMES and f".{suffix.lower()}" in SUFFIXES:
        return f"{stem}.{suffix.lower()}"
    return None


def _unsafe_member(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def unzip_safely(archive: Path, into: Path, *, limit: int) -> list[str]:
    """Extract the contract tables of ``archive`` into ``into``; refuse unsafe archives."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise PilotError("The zip file cannot be opened: it is damaged or not a zip.") from None
    with zf:
        wanted: list[tuple[zipfile.ZipInfo, str]] = []
        problems: list[str] = []
        declared = 0
        for info in zf.infolist():
            if _unsafe_member(info.filename):
                raise PilotError(
                    f"The zip contains an unsafe path ({info.filename}); nothing was kept."
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise PilotError(f"The zip contains a link ({info.filename}); nothing was kept.")
            if info.is_dir():
                continue
            target = _table_file_name(info.filename)
            if target is None:
                continue  # README files, manifests: ignored
            declared += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise PilotError(
                    f"{info.filename} expands more than {MAX_RATIO} times: refused as a "
                    "possible zip bomb."
                )
            if any(t == target for _, t in wanted):
                problems.append(f"The zip holds {target} more than once.")
            wanted.append((info, target))
        if declared > limit:
            raise PilotError(
                f"The zip expands to {declared:,} bytes, more than the limit of {limit:,}."
            )
        if problems:
            raise PilotError(problems)
        for info, target in wanted:
            _extract(zf, info, into / target)
        return [t for _, t in wanted]


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> None:
    written = 0
    with zf.open(info) as source, dest.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise PilotError(f"{info.filename} is larger than its zip entry says: refused.")
            out.write(chunk)


def place_uploads(files: Iterable[Any], into: Path, *, limit: int) -> list[str]:
    """Copy uploaded files (or unzip an uploaded zip) into ``into``, chunk by chunk."""
    names: list[str] = []
    for upload in files:
        name = str(upload.name or "")
        if name.lower().endswith(".zip"):
            path = getattr(upload, "temporary_file_path", None)
            archive = Path(path()) if callable(path) else _spool(upload, into)
            names.extend(unzip_safely(archive, into, limit=limit))
            continue
        target = _table_file_name(name)
        if target is None:
            raise PilotError(
                f"{name} is not one of the contract's tables: upload "
                + ", ".join(f"{t}.csv" for t in TABLE_NAMES)
                + " (or .parquet), or a zip of them."
            )
        if target in names:
            raise PilotError(f"{target} was uploaded more than once.")
        with (into / target).open("wb") as out:
            for chunk in upload.chunks(CHUNK):
                out.write(chunk)
        names.append(target)
    if not names:
        raise PilotError("Choose the dataset's files, or a zip of them.")
    return names


def _spool(upload: Any, into: Path) -> Path:
    path = into / ".upload.zip"
    with path.open("wb") as out:
        for chunk in upload.chunks(CHUNK):
            out.write(chunk)
    return path


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


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
