"""Signals the core sends for the parts to act on (the parts connect; the core imports none).

``task_lost``
    A running task's worker stopped beating and
    :func:`~whatworks.core.services.background.tasks_reap_lost` has failed the task. Sent
    with ``record`` (the :class:`~whatworks.core.models.TaskRecord` of the task, or ``None``
    when it was enqueued without one) and ``reason`` (the message shown to people). A part
    whose rows mirror a task's state (a pilot's run, say) marks them failed, so that nothing
    reads "running" for ever. Sent inside the reaping transaction: receivers write, they do
    not call out.

``process_started``
    A worker (after it has failed the tasks of lost workers) or ``whatworks serve``
    (before it accepts a request) is starting.  Sent with ``role`` (``"worker"`` or
    ``"web"``).  A part that keeps scratch files (the pilots' raw uploads) removes what
    a killed process left behind.  Sent with ``send_robust``: a receiver's failure is
    logged and does not stop the process.

``application_accepted``
    Sent by calls for partners when an application is accepted, *inside* the accepting
    transaction, so that a receiver's writes commit or roll back with the acceptance, and
    an exception raised by a receiver refuses the acceptance (the applicant sees its
    message if it is a :class:`whatworks.core.errors.WhatworksError`).  Arguments:
    ``sender`` (the ``calls.Call`` class), ``application`` (the accepted application),
    ``organisation`` (the applicant's :class:`~whatworks.core.models.Organisation`, which
    becomes a partner site), ``project_ref`` (the identifier of the research project the
    call names, or ""), and ``actor`` (the user who accepted it).  The research registry
    connects to it in its ``AppConfig.ready`` (the organisation joins the project).

``trial_findings_published``
    Sent by the research registry when an editor publishes results that a trial analysis
    in the platform computed (the report's rows are exactly the analysis's), and the team
    has said which Evidence Store intervention the trial evaluates.  Sent *inside* the
    publishing transaction with ``send_robust``: a receiver writes in its own savepoint,
    and its failure is logged and never refuses the publication.  Arguments (plain data,
    no registry objects): ``sender`` (the ``registry.ResultsReport`` class), ``study`` (a
    mapping: ``reference``, ``title``, ``citation``, ``url`` — the registration's absolute
    address —, ``year``, ``design`` (``"rct"`` or ``"cluster-rct"``), ``sample_size``,
    ``padlocks``, ``report_number``), ``intervention`` (the Evidence Store intervention's
    stable id), ``findings`` (one mapping per linked outcome: ``outcome``, ``measure``,
    ``time_point``, ``domain``, ``higher_is_better``, ``measure_type`` (``"SMD"``, ``"RR"``
    or ``"OR"``), ``as_reported``, ``effect_size`` and ``se`` on the pooling scale,
    ``n_treatment``, ``n_control``, ``events_treatment``, ``events_control``,
    ``mean_treatment``, ``mean_control``, ``prespecified``) and ``actor`` (the editor).
    The Evidence Store connects to it (``evidence/registry_findings.py``).
"""

from __future__ import annotations

from django.dispatch import Signal

task_lost = Signal()
process_started = Signal()
application_accepted = Signal()
trial_findings_published = Signal()
