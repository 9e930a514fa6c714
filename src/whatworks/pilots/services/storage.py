"""Where pilots keep their private files: the data root and its scratch area."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def data_root() -> Path:
    return Path(settings.PRIVATE_DATA_ROOT) / "pilots"


def incoming_root() -> Path:
    """The scratch area: raw files of uploads waiting for or in their check."""
    return data_root() / "incoming"
