from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _private_root(settings: Any, tmp_path_factory: Any) -> None:
    settings.PRIVATE_DATA_ROOT = tmp_path_factory.mktemp("private")
    settings.WHATWORKS_PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef"
