from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Attachments go to a temporary folder, never var/private."""
    settings.PRIVATE_DATA_ROOT = tmp_path / "private"
