from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate`` (and test-database flushes), make the role groups match the table.

    Permissions of every app are created first, since apps migrate in any order.
    """
    from django.contrib.auth.management import create_permissions

    from whatworks.core.services.users import roles_sync

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    roles_sync(using=using)


class CoreConfig(AppConfig):
    name = "whatworks.core"
    label = "core"
    verbose_name = _("Core: people, organisations, roles and audit")

    def ready(self) -> None:
        from whatworks.core import tasks  # noqa: F401 - binds the core's jobs

        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="whatworks-roles-sync")
