from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _private_files(settings: Settings, tmp_path: Path) -> None:
    """Attachments go to a temporary folder, never var/private."""
    settings.PRIVATE_DATA_ROOT = tmp_path / "private"
