from __future__ import annotations

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "whatworks.registry"
    label = "registry"

    def ready(self) -> None:
        # The tasks bind the registry's jobs (``jobs.py``) before the first request.
        from whatworks.core.extensions import demo_projects, newsletter_sections
        from whatworks.core.projects import register_visibility_provider
        from whatworks.core.signals import application_accepted, process_started, task_lost
        from whatworks.registry import tasks, trial_tasks  # noqa: F401
        from whatworks.registry.newsletter import new_research
        from whatworks.registry.receivers import partner_site_from_application
        from whatworks.registry.selectors import demo_project_reference, project_views
        from whatworks.registry.services.trial_data import trial_incoming_sweep, trial_mark_lost

        # Other parts ask the registry's one visibility decision through the core.
        register_visibility_provider(project_views)

        newsletter_sections.register("registry", new_research, order=50)
        # The parts' demos link their content to the registry's demo projects by title.
        demo_projects.register("registry", demo_project_reference)
        # An organisation accepted through a call joins the call's project as a partner site.
        application_accepted.connect(
            partner_site_from_application, dispatch_uid="registry.partner_site_from_application"
        )
        # Trial data follow the pilots' private-data rules: a check or analysis whose worker
        # died is failed in its own row, and raw uploads a killed process left are removed.
        task_lost.connect(trial_mark_lost, dispatch_uid="registry.trial_mark_lost")
        process_started.connect(trial_incoming_sweep, dispatch_uid="registry.trial_incoming_sweep")
