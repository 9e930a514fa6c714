"""Writes of calls for partners, one module per process; import from the
module that does the work.

``calls`` (calls, their criteria and questions), ``applications`` (drafts, uploads,
eligibility, submission, withdrawal, deadline reminders), ``review`` (reviewers,
conflicts, scores, decisions) and ``accounts`` (applicants' own accounts and their
requests to join an organisation).  Their refusals are in :mod:`whatworks.calls.errors`."""
