"""Writes of pilots, one module per process.  Every write is keyword-only, atomic and
audited; callers have already checked that the actor may see the pilot
(:func:`whatworks.pilots.selectors.pilot_get_for_user`).

``storage`` (the private data root and its scratch area), ``pilots`` (a pilot and its
fixed config), ``datasets`` (uploads, their check, retention), ``runs`` (runs and offline
bundles, the registry's results report), ``shadow`` (the shadow phase) and ``asking``
(requests for a pilot).  Import from the module that does the work.
"""
