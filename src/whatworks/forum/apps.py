from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "whatworks.forum"
    label = "forum"

    def ready(self) -> None:
        from whatworks.forum import tasks  # noqa: F401  (binds the forum's jobs)
