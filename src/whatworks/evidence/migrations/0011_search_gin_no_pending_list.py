"""PostgreSQL: the search's GIN indexes take new entries straight into the index.

With ``fastupdate`` (PostgreSQL's default) a GIN index collects new and changed rows in a
pending list of up to ``gin_pending_list_limit`` (4 MB) before it merges them in, and
every search reads the whole list: at 10,000 entries written one by one, each part of the
search query read about 300 pages of pending list where the index needs three to seven
(2 to 3 ms instead of 0.2 ms).  Entries are written when an editor changes an
intervention, rarely against how often people search, so the indexes are updated on each
write instead, and the list already pending is merged now.  SQLite's FTS5 needs nothing.
"""

from django.db import migrations

from whatworks.evidence.dbops import VendorRunSQL

INDEXES = ("evidence_searchentry_document_gin", "evidence_searchentry_head_gin")
POSTGRES_FORWARDS = [
    *(f"ALTER INDEX {name} SET (fastupdate = off)" for name in INDEXES),
    *(f"SELECT gin_clean_pending_list('{name}'::regclass)" for name in INDEXES),
]
POSTGRES_BACKWARDS = [f"ALTER INDEX {name} RESET (fastupdate)" for name in INDEXES]


class Migration(migrations.Migration):
    dependencies = [("evidence", "0010_merge_trial_findings_and_several_values")]

    operations = [VendorRunSQL("postgresql", POSTGRES_FORWARDS, POSTGRES_BACKWARDS)]
