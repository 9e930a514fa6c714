"""The full-text index over evidence_searchentry: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from django.db import migrations

from whatworks.evidence.dbops import VendorRunSQL

SQLITE_FORWARDS = [
    "CREATE VIRTUAL TABLE evidence_search_fts USING fts5("
    "title, body, content='evidence_searchentry', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER evidence_search_ai AFTER INSERT ON evidence_searchentry BEGIN "
    "INSERT INTO evidence_search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); "
    "END",
    "CREATE TRIGGER evidence_search_ad AFTER DELETE ON evidence_searchentry BEGIN "
    "INSERT INTO evidence_search_fts(evidence_search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER evidence_search_au AFTER UPDATE ON evidence_searchentry BEGIN "
    "INSERT INTO evidence_search_fts(evidence_search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO evidence_search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); "
    "END",
    "INSERT INTO evidence_search_fts(evidence_search_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS evidence_search_au",
    "DROP TRIGGER IF EXISTS evidence_search_ad",
    "DROP TRIGGER IF EXISTS evidence_search_ai",
    "DROP TABLE IF EXISTS evidence_search_fts",
]
POSTGRES_FORWARDS = [
    "ALTER TABLE evidence_searchentry ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX evidence_searchentry_document_gin ON evidence_searchentry "
    "USING GIN (document)",
]
POSTGRES_BACKWARDS = [
    "DROP INDEX IF EXISTS evidence_searchentry_document_gin",
    "ALTER TABLE evidence_searchentry DROP COLUMN IF EXISTS document",
]


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [
        VendorRunSQL("sqlite", SQLITE_FORWARDS, SQLITE_BACKWARDS),
        VendorRunSQL("postgresql", POSTGRES_FORWARDS, POSTGRES_BACKWARDS),
    ]
