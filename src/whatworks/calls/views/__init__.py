"""The pages of calls for partners: ``public`` (calls, applying, review and decisions),
``accounts`` (applicants' own accounts and requests to join an organisation) and
``manage`` (staff's pages)."""
