"""Database triggers that refuse to change registered records, for SQLite and PostgreSQL.

Installed by migration ``0002_immutability_triggers``.  They hold against every path that
reaches the database — the ORM, ``QuerySet.update``/``delete``, the admin and raw SQL:

- ``registry_protocolversion``: every UPDATE and DELETE is refused;
- ``registry_resultsreport``: UPDATE and DELETE are refused once ``published_at`` is set.

Both raise an integrity error (SQLite ``RAISE(ABORT)``, PostgreSQL SQLSTATE 23000), which
Django surfaces as ``django.db.IntegrityError``.

PostgreSQL empties tables with TRUNCATE (``flush``, transactional tests), which these row
triggers do not see.  SQLite empties them with DELETE, which they refuse: a test that
commits registered rows on SQLite removes them with :func:`remove` / :func:`install`
first (see ``tests/browser/test_registry_pages.py``).
"""

from __future__ import annotations

from whatworks.core.triggers import TriggerSet

MESSAGE = "registered records are never changed or deleted"

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS registry_protocolversion_no_update
    BEFORE UPDATE ON registry_protocolversion
    BEGIN SELECT RAISE(ABORT, 'registry_protocolversion: {MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS registry_protocolversion_no_delete
    BEFORE DELETE ON registry_protocolversion
    BEGIN SELECT RAISE(ABORT, 'registry_protocolversion: {MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS registry_resultsreport_no_update
    BEFORE UPDATE ON registry_resultsreport WHEN OLD.published_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'registry_resultsreport: {MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS registry_resultsreport_no_delete
    BEFORE DELETE ON registry_resultsreport WHEN OLD.published_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'registry_resultsreport: {MESSAGE}'); END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS registry_protocolversion_no_update",
    "DROP TRIGGER IF EXISTS registry_protocolversion_no_delete",
    "DROP TRIGGER IF EXISTS registry_resultsreport_no_update",
    "DROP TRIGGER IF EXISTS registry_resultsreport_no_delete",
]

POSTGRESQL_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION registry_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%: {MESSAGE} (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$""",
    """CREATE TRIGGER registry_protocolversion_immutable
    BEFORE UPDATE OR DELETE ON registry_protocolversion
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change()""",
    """CREATE TRIGGER registry_resultsreport_immutable
    BEFORE UPDATE OR DELETE ON registry_resultsreport
    FOR EACH ROW WHEN (OLD.published_at IS NOT NULL)
    EXECUTE FUNCTION registry_refuse_change()""",
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS registry_protocolversion_immutable ON registry_protocolversion",
    "DROP TRIGGER IF EXISTS registry_resultsreport_immutable ON registry_resultsreport",
    "DROP FUNCTION IF EXISTS registry_refuse_change()",
]


TRIGGERS = TriggerSet(
    "registered records",
    install_sql={"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL},
    remove_sql={"sqlite": SQLITE_REMOVE, "postgresql": POSTGRESQL_REMOVE},
)
install = TRIGGERS.install
remove = TRIGGERS.remove
