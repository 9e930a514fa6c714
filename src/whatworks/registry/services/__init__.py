"""Writes of the research registry.  Every function is keyword-only, atomic and audited.

Split by process: ``projects`` (create, edit, publish, withdraw, embargo release, partner
sites, the team), ``protocols`` (draft and register, including amendments), ``requests``
(the team asks editors to publish or withdraw), ``results``, ``reminders`` (results due
soon or overdue), ``trial_findings`` (a published trial's findings sent to the Evidence
Store), and one module for each of the other processes.  Their refusal,
``RegistryError``, is in ``registry/errors.py``.  Import from the module that does the work.
"""
