"""Writes of the panel, one module per process: ``members`` (joining, consent, the
erasures), ``polls`` (studies, scales, polls) and ``questions`` (authoring a draft),
``schedule`` (opening and closing on time, publishing results), ``invitations`` (inviting
and reminding), ``answering``, ``outside`` (surveys of people outside the panel) and
``retention``.  Import from the module that does the work.
"""
