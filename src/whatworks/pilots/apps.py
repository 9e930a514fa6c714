from django.apps import AppConfig


class PilotsConfig(AppConfig):
    name = "whatworks.pilots"
    label = "pilots"

    def ready(self) -> None:
        from whatworks.core import labels
        from whatworks.core.extensions import project_links, results_phases
        from whatworks.core.signals import process_started, task_lost
        from whatworks.pilots import tasks  # noqa: F401 - binds the jobs to their tasks
        from whatworks.pilots.selectors import pilots_for_user, shadow_phases_for
        from whatworks.pilots.services.datasets import dataset_upload_mark_lost, incoming_sweep
        from whatworks.pilots.services.runs import run_mark_lost
        from whatworks.pilots.services.shadow import shadow_mark_lost

        # A run whose worker died is failed in its own row too, not only in the queue;
        # an upload's check likewise, and its raw files are removed.
        task_lost.connect(run_mark_lost, dispatch_uid="pilots.run_mark_lost")
        task_lost.connect(dataset_upload_mark_lost, dispatch_uid="pilots.upload_mark_lost")
        task_lost.connect(shadow_mark_lost, dispatch_uid="pilots.shadow_mark_lost")
        # Raw files a killed web process or worker left in the scratch area go at start.
        process_started.connect(incoming_sweep, dispatch_uid="pilots.incoming_sweep")

        # The contract's table names as people say them (the stored row counts use codes).
        labels.register(
            "pilots.table",
            {
                "children": "Children",
                "referrals": "Referrals",
                "assessments": "Assessments",
                "s47_enquiries": "Section 47 enquiries",
                "child_protection_plans": "Child protection plans",
                "looked_after_episodes": "Episodes of care",
            },
        )

        # Only the pilots this user may see: the authority's analysts, the project's team.
        project_links.register(
            "pilots",
            lambda *, project, user: pilots_for_user(user=user).filter(project=project),
            heading="Pilots",
            order=20,
        )
        # A pilot's shadow phase on the project's results page (only for those who may
        # see the pilot).
        results_phases.register("pilots", shadow_phases_for, order=20)
