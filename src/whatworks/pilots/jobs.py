"""The background jobs of pilots, by name (``whatworks.core.queue``).

The services enqueue these; ``tasks.py`` binds each to its task.  This module imports
nothing of the part, so that the services need not import the tasks.
"""

from __future__ import annotations

from whatworks.core.queue import Job

#: Check an upload's raw files and keep them as a pseudonymised dataset.
DATASET_CHECK = Job("pilots.dataset_check")
#: Run a pilot's fixed config on a stored dataset.
PILOT_RUN = Job("pilots.pilot_run")
#: Fit a finished run's model again and freeze it for the shadow phase.
SHADOW_FREEZE = Job("pilots.shadow_freeze")
#: Score a later extract with a frozen model.
SHADOW_SCORE = Job("pilots.shadow_score")
#: Evaluate recorded scores forward from a still later extract.
SHADOW_EVALUATE = Job("pilots.shadow_evaluate")
#: The retention rule: delete every dataset past its deletion date (daily;
#: ``pilots_delete_expired``).
DELETE_EXPIRED_DATASETS = Job("pilots.delete_expired_datasets")
