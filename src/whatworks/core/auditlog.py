"""The audit log's tamper evidence: a hash chain, and triggers that refuse change.

Each entry stores ``prev_hash`` (the previous entry's hash) and ``entry_hash``, the
SHA-256 of its canonical content followed by ``prev_hash``.  Changing, removing or
re-ordering any entry breaks the chain at that entry or the next; :func:`chain_verify`
(``whatworks check --audit``) finds the first break.  The head hash it prints can be
copied somewhere else (a ticket, an e-mail) so that even cutting off the newest entries
shows.

Writers append under a lock so that two transactions never chain onto the same head:
PostgreSQL takes a transaction-level advisory lock (held until commit, so the next writer
reads the committed head); SQLite connections begin every transaction ``IMMEDIATE``
(``config/env.py``), so one writer at a time holds the database.

The triggers (installed by migration ``core.0002``) refuse every UPDATE and DELETE on
``core_auditentry`` from any path, raw SQL included, with one exception: erasing a person
sets ``actor_id`` to NULL on their entries and changes nothing else (the log names people
by number, in ``actor_label``, which stays; the hash does not cover ``actor_id``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from whatworks.core.canonical import canonical_json
from whatworks.core.triggers import TriggerSet

#: Key of the PostgreSQL advisory lock that serialises appends to the chain.
ADVISORY_LOCK_KEY = 0x57_57_41_55_44_49_54  # "WWAUDIT"

#: The columns the hash covers, besides ``prev_hash``; all but ``actor_id`` and the id.
HASHED_FIELDS = (
    "created_at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
)
#: Columns an UPDATE may never change (erasure may only set ``actor_id`` to NULL).
FROZEN_COLUMNS = ("id", *HASHED_FIELDS, "prev_hash", "entry_hash")

MESSAGE = "audit entries are never changed or deleted"


def _canonical(value: Any) -> Any:
    """JSON as the database gives it back, in one form: numbers by value, keys sorted.

    PostgreSQL's jsonb may print ``1e20`` as ``100000000000000000000``; numbers are hashed
    by their normalised decimal value so that a round trip never breaks the chain.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return f"n:{number.normalize()}"
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return str(value)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def content_bytes(fields: dict[str, Any]) -> bytes:
    """The canonical bytes of an entry's hashed fields."""
    content = {
        name: _timestamp(fields[name]) if name == "created_at" else _canonical(fields[name])
        for name in HASHED_FIELDS
    }
    return canonical_json(content, allow_nan=True)


def entry_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(content_bytes(fields) + b"\n" + prev_hash.encode()).hexdigest()


def fields_of(entry: Any) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def lock_chain_head(connection: Any) -> None:
    """Hold the chain until this transaction ends (PostgreSQL; SQLite holds the database)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def chain_verify(queryset: Any) -> ChainReport:
    """Walk the entries in id order; report the first whose hashes do not add up."""
    previous = ""
    count = 0
    for entry in queryset.order_by("id").iterator(chunk_size=2000):
        count += 1
        if entry.prev_hash != previous:
            return ChainReport(
                count,
                previous,
                entry.pk,
                "its link to the entry before does not match: an entry before it was "
                "removed or changed",
            )
        if entry.entry_hash != entry_hash(fields_of(entry), entry.prev_hash):
            return ChainReport(
                count, previous, entry.pk, "its content does not match its hash: it was changed"
            )
        previous = entry.entry_hash
    return ChainReport(count, previous)


# --- triggers ------------------------------------------------------------------------

_SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS)

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update
    BEFORE UPDATE ON core_auditentry
    WHEN NOT (NEW.actor_id IS NULL AND {_SQLITE_SAME})
    BEGIN SELECT RAISE(ABORT, 'core_auditentry: {MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete
    BEFORE DELETE ON core_auditentry
    BEGIN SELECT RAISE(ABORT, 'core_auditentry: {MESSAGE}'); END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
]

POSTGRESQL_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION core_auditentry_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'core_auditentry: {MESSAGE} (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$""",
    """CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_refuse_change()""",
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_refuse_change()",
]


TRIGGERS = TriggerSet(
    "the audit log",
    install_sql={"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL},
    remove_sql={"sqlite": SQLITE_REMOVE, "postgresql": POSTGRESQL_REMOVE},
)
guards_install = TRIGGERS.install
guards_remove = TRIGGERS.remove
