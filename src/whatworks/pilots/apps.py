from django.apps import AppConfig


class PilotsConfig(AppConfig):
    name = "whatworks.pilots"
    label = "pilots"

    def ready(self) -> None:
        from django.apps import apps

        from whatworks.core.signals import task_lost
        from whatworks.pilots.services import run_mark_lost

        # A run whose worker died is failed in its own row too, not only in the queue.
        task_lost.connect(run_mark_lost, dispatch_uid="pilots.run_mark_lost")

        if apps.is_installed("whatworks.registry"):
            from whatworks.pilots.selectors import pilots_for_user

            # Only the pilots this user may see: the authority's analysts, the project's team.
            apps.get_app_config("registry").register_link_provider(  # type: ignore[attr-defined]
                "pilots",
                lambda *, project, user: pilots_for_user(user=user).filter(project=project),
                heading="Pilots",
                order=20,
            )
