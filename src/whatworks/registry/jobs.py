"""The registry's background jobs, by name (``whatworks.core.queue``).

Services start them with ``core.services.background.task_start(job=...)``; ``trial_tasks.py`` binds
each to its task.  This module imports nothing of the registry.
"""

from __future__ import annotations

from whatworks.core.queue import Job

TRIAL_DATASET_CHECK = Job("registry.trial_dataset_check")
TRIAL_ANALYSIS_RUN = Job("registry.trial_analysis_run")
