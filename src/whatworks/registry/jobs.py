"""The registry's background jobs, by name (``whatworks.core.queue``).

Services start them with ``core.services.background.task_start(job=...)``; the daily ones
run from cron through their commands or enqueued with ``core.queue.enqueue``.  ``tasks.py``
and ``trial_tasks.py`` bind each to its task.  This module imports nothing of the registry.
"""

from __future__ import annotations

from whatworks.core.queue import Job

TRIAL_DATASET_CHECK = Job("registry.trial_dataset_check")
TRIAL_ANALYSIS_RUN = Job("registry.trial_analysis_run")

#: Stamp the release of every embargo whose date has come (daily;
#: ``registry_release_embargoes``).
RELEASE_EMBARGOES = Job("registry.release_embargoes")
#: Tell each team whose results are due soon or overdue, once per state (daily;
#: ``registry_results_reminders``).
SEND_RESULTS_REMINDERS = Job("registry.send_results_reminders")
#: The trial data's retention rule: delete every trial's data past its deletion date (daily;
#: ``registry_trial_data_delete_expired``).
TRIAL_DATA_DELETE_EXPIRED = Job("registry.trial_data_delete_expired")
