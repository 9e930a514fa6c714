"""Writes of the core, one module per concern: :mod:`.audit`, :mod:`.organisations`,
:mod:`.users` (and roles), :mod:`.background` (task bookkeeping), :mod:`.search`
(synonyms) and :mod:`.mfa` (the second factor).

Every function is keyword-only, runs in one transaction and writes an audit entry (task
progress, which is bookkeeping, is the exception).  Views and commands call these; they
never save core models themselves.
"""
