"""The newsletter's background jobs, by name (see :mod:`whatworks.core.queue`).

This module imports nothing of the news part, so that its services can start a job without
importing the tasks that do it (``news/tasks.py`` binds them).
"""

from __future__ import annotations

from whatworks.core.queue import Job

#: Send one batch of an issue and queue the next while any remain.
NEWSLETTER_SEND_BATCH = Job("news.newsletter_send_batch")
#: At an issue's scheduled time, start its sending unless it was moved or sent meanwhile.
NEWSLETTER_SEND_SCHEDULED = Job("news.newsletter_send_scheduled")
