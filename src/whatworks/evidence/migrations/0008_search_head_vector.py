"""PostgreSQL: a second ``tsvector`` of the name and outcomes only, and narrow rows.

"Does this word match in the name or the outcomes?" was ``document @@ 'word:AB'``: a
weight in a ``tsquery`` makes the GIN index recheck every candidate row, which reads (from
TOAST) and decompresses each row's whole ``document``.  ``head @@ 'word'`` answers the same
question from the index alone.  The positions of ``head`` are those of the first two parts
of ``document``, so phrases match exactly as before.

A bitmap scan of the GIN index still visits every heap page that holds a match; with the
texts and vectors inline (1.6 kB a row) a broad word ("care*", 7,000 of 10,000 entries)
visited every page of the table.  ``toast_tuple_target = 128`` moves the long values out of
line (into TOAST, read only by ``ts_rank`` and the facet index), so the heap is about a
seventh of its size; the ``UPDATE`` rewrites the existing rows so (autovacuum reclaims the
old ones).  SQLite's FTS5 needs nothing.
"""

from django.db import migrations

from whatworks.evidence.dbops import VendorRunSQL

POSTGRES_FORWARDS = [
    "ALTER TABLE evidence_searchentry ADD COLUMN head tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', title_terms) || to_tsvector('simple', outcome_terms)) STORED",
    "CREATE INDEX evidence_searchentry_head_gin ON evidence_searchentry USING GIN (head)",
    "ALTER TABLE evidence_searchentry SET (toast_tuple_target = 128)",
    "UPDATE evidence_searchentry SET title_terms = title_terms",
]
POSTGRES_BACKWARDS = [
    "ALTER TABLE evidence_searchentry RESET (toast_tuple_target)",
    "DROP INDEX IF EXISTS evidence_searchentry_head_gin",
    "ALTER TABLE evidence_searchentry DROP COLUMN IF EXISTS head",
]


class Migration(migrations.Migration):
    dependencies = [("evidence", "0007_implementation_and_study_links")]

    operations = [VendorRunSQL("postgresql", POSTGRES_FORWARDS, POSTGRES_BACKWARDS)]
