"""Background tasks for trial data (issue #18): thin wrappers that call the services.

The work is in ``services/trial_work.py`` (the check of an upload, the only code that
reads an uploaded trial file, and the analysis) and ``services/trial_data.py`` (the
retention rule).  Services enqueue the first two by their jobs (``registry/jobs.py``),
never by importing this module; the third runs daily (``registry_trial_data_delete_expired``
from cron, or its job enqueued).  The registry's ``AppConfig.ready`` imports this module so
the jobs are bound.  Tasks take ids, never objects.
"""

from __future__ import annotations

from django_tasks import task

from whatworks.registry import jobs
from whatworks.registry.services import trial_work
from whatworks.registry.services.trial_data import trial_datasets_delete_expired


@task()
def trial_dataset_check(dataset_id: str, record_id: str) -> str:
    """Check an uploaded CSV against the registered plan and keep it pseudonymised, or
    record every problem (``services.trial_work.trial_dataset_check``)."""
    return trial_work.trial_dataset_check(dataset_id, record_id)


@task()
def trial_analysis_run(analysis_id: str, record_id: str) -> str:
    """Run the registered plan on the stored data (``services.trial_work``)."""
    return trial_work.trial_analysis_run(analysis_id, record_id)


@task()
def trial_data_delete_expired() -> int:
    """The retention rule, daily: delete every trial's data past its deletion date."""
    return trial_datasets_delete_expired(actor=None)


jobs.TRIAL_DATASET_CHECK.bind(trial_dataset_check)
jobs.TRIAL_ANALYSIS_RUN.bind(trial_analysis_run)
jobs.TRIAL_DATA_DELETE_EXPIRED.bind(trial_data_delete_expired)
