"""The background jobs of the panel, by name (``whatworks.core.queue``).

The services enqueue these; ``tasks.py`` binds each to its task.  This module imports
nothing of the part, so that the services need not import the tasks.
"""

from __future__ import annotations

from whatworks.core.queue import Job

#: Remind the members of one poll who have not finished.
SEND_REMINDERS = Job("panel.send_reminders")
#: Open and close the polls whose scheduled time has come.
APPLY_SCHEDULE = Job("panel.apply_schedule")
#: The panel's retention rules (daily; ``panel_retention``).
APPLY_RETENTION = Job("panel.apply_retention")
