"""The core's background jobs, by name (see :mod:`whatworks.core.queue`).

This module imports nothing of the core but the queue, so that services and views can name
a job without importing the tasks that do it (``core/tasks.py`` binds them).
"""

from __future__ import annotations

from whatworks.core.queue import Job

#: Write the audit log, filtered as on the staff page, to a CSV file.
AUDIT_EXPORT = Job("core.audit_export")
#: Prove that a worker picks up tasks and reports progress (``whatworks check --queue``).
QUEUE_SELFCHECK = Job("core.queue_selfcheck")
