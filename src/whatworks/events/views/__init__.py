"""The pages of events: ``public`` (the list, an event, registering and the attendee's own
links), ``manage`` (staff's pages), ``checkin`` (the door) and ``feedback`` (the survey)."""
