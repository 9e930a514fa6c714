"""The background work events declare (bound to tasks in ``events/tasks.py``).

This module imports nothing of events, so services may name a job without importing the
tasks that do it.
"""

from __future__ import annotations

from whatworks.core.queue import Job

EXPIRE_OFFERS = Job("events.expire_offers")
ANONYMISE_ATTENDEES = Job("events.anonymise_attendees")
SEND_REMINDERS = Job("events.send_reminders")
