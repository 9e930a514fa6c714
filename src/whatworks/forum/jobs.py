"""The forum's background jobs, by name (``whatworks.core.queue``); imports nothing of the
forum, so that services enqueue them without importing the tasks."""

from __future__ import annotations

from whatworks.core.queue import Job

#: Recompute a conversation's opinion analysis (args: the conversation id).
ANALYSIS_RECOMPUTE = Job("forum.analysis_recompute")
