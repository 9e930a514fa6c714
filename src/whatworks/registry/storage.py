"""Private storage of the registry's protocol attachments: ``PRIVATE_DATA_ROOT/registry``,
folders 0700 and files 0600, never served by URL (only through a view that checks access
and audits the read)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class RegistryPrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_DATA_ROOT/registry``, read from settings when first used."""

    def __init__(self) -> None:
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self) -> str:
        return str(Path(settings.PRIVATE_DATA_ROOT) / "registry")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return ""


storages_private = RegistryPrivateStorage()
