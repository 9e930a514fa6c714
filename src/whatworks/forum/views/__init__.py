"""The forum's pages: ``public`` (taking part, the report, moderation, export) and
``manage`` (the staff pages that set conversations up, edit, open and import them)."""
