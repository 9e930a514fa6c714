"""Signals the core sends for the parts to act on (the parts connect; the core imports none).

``task_lost``
    A running task's worker stopped beating and :func:`~whatworks.core.services.tasks_reap_lost`
    has failed the task.  Sent with ``record`` (the :class:`~whatworks.core.models.TaskRecord`
    of the task, or ``None`` when it was enqueued without one) and ``reason`` (the message
    shown to people).  A part whose rows mirror a task's state (a pilot's run, say) marks
    them failed, so that nothing reads "running" for ever.  Sent inside the reaping
    transaction: receivers write, they do not call out.

``process_started``
    A worker (after it has failed the tasks of lost workers) or ``whatworks serve``
    (before it accepts a request) is starting.  Sent with ``role`` (``"worker"`` or
    ``"web"``).  A part that keeps scratch files (the pilots' raw uploads) removes what
    a killed process left behind.  Sent with ``send_robust``: a receiver's failure is
    logged and does not stop the process.
"""

from __future__ import annotations

from django.dispatch import Signal

task_lost = Signal()
process_started = Signal()
