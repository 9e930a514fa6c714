from django.apps import AppConfig


class PanelConfig(AppConfig):
    name = "whatworks.panel"
    label = "panel"

    def ready(self) -> None:
        from whatworks.core import surveys
        from whatworks.panel import tasks  # noqa: F401 - binds the jobs to their tasks
        from whatworks.panel.outside import PanelOutsideSurveys

        surveys.register_provider(PanelOutsideSurveys())
