"""Writes of the forum, one module per kind: ``conversations``, ``participants``, ``votes``,
``statements`` (with moderation), ``analysis``, ``polis`` (the open-data export) and
``importing`` (an export stored as a new conversation).

Conventions (see CONTRIBUTING.md) with two deliberate exceptions:

* **Votes write no audit entry.**  The vote log is itself append-only (a vote is never
  updated or deleted; the latest per participant and statement counts), so it *is* the
  record; an audit row per vote would double the writes on the hottest path for no new
  information.  Conversation changes, statements and moderation decisions are audited.
* **The analysis job is enqueued by its name** (``forum/jobs.py``, ``core.queue.enqueue``), not
  through ``task_start``: it is system
  bookkeeping nobody watches on a progress page, debounced by :class:`AnalysisState` (one
  conditional UPDATE sets ``queued``; only the request that flipped it enqueues, on commit,
  to run ``ANALYSIS_DEBOUNCE_SECONDS`` later).  The task clears the flag before it reads
  the votes, so votes arriving during a run queue the next one.  A flag left set by a lost
  task is taken over after ``ANALYSIS_STALE_AFTER``.

Rate limits count the participant's own rows in the database (the vote log and the
statements), a sliding window that holds across processes, unlike a per-process cache.
A browser that drops its cookie is a new participant, so the views also limit anonymous
votes, statements and new participants per client address (``core.throttle``), and a
conversation can require anonymous participants to confirm an e-mail address
(``participant_verify_request`` / ``participant_verify``: one participant per address,
kept as an HMAC, never in clear).
"""

from __future__ import annotations
