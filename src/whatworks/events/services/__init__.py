"""Writes of events, one module per process; import from the module
that does the work.

``registrations`` (events, their questions, registering, the waiting list, retention),
``staff`` (the staff pages' writes: duplicate, publish, cancel, questions, attendees,
reminders and certificates), ``checkin`` (the door) and ``feedback`` (the survey after
an event).  Their refusals are in :mod:`whatworks.events.errors`."""
