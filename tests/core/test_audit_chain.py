"""The audit log is append-only at the database and chained by hash (core/auditlog.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import UserFactory
from tests.threads import run_at_once
from whatworks.core import auditlog
from whatworks.core.models import AuditEntry
from whatworks.core.selectors import audit_chain_verify
from whatworks.core.services.audit import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain() -> list[AuditEntry]:
    return [
        audit_record(actor=None, action=f"test.step{i}", changes={"n": i, "x": 0.1 * i})
        for i in range(5)
    ]


@pytest.fixture
def lifted() -> Iterator[None]:
    """The triggers lifted, as someone with database rights could: then put back."""
    auditlog.guards_remove(connection)
    yield
    auditlog.guards_install(connection)


def _refused(sql: str, params: list[Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_each_entry_links_to_the_one_before(chain: list[AuditEntry]) -> None:
    assert chain[0].prev_hash == "" or AuditEntry.objects.filter(pk__lt=chain[0].pk).exists()
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.entry_hash
    stored = AuditEntry.objects.get(pk=chain[2].pk)
    assert stored.entry_hash == auditlog.entry_hash(auditlog.fields_of(stored), stored.prev_hash)
    assert audit_chain_verify().intact


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditentry SET action = 'forged' WHERE id = %s",
        "UPDATE core_auditentry SET changes = '{}' WHERE id = %s",
        "UPDATE core_auditentry SET actor_label = 'user #1' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ],
)
def test_the_database_refuses_update_and_delete(chain: list[AuditEntry], sql: str) -> None:
    _refused(sql, [chain[1].pk])
    assert AuditEntry.objects.get(pk=chain[1].pk).action == "test.step1"


def test_the_orm_refuses_too(chain: list[AuditEntry]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=chain[0].pk).update(action="forged")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=chain[0].pk).delete()
    with pytest.raises(ValueError, match="never changed"):
        chain[0].save()


def test_erasing_a_person_still_works_and_keeps_their_number() -> None:
    person = UserFactory.create()
    number = person.pk
    entry = audit_record(actor=person, action="test.by_person")
    person.delete()
    entry.refresh_from_db()
    assert entry.actor_id is None
    assert entry.actor_label == f"user #{number}"
    assert audit_chain_verify().intact


def test_erasure_cannot_smuggle_in_another_change(chain: list[AuditEntry]) -> None:
    person = UserFactory.create()
    entry = audit_record(actor=person, action="test.by_person")
    _refused(
        "UPDATE core_auditentry SET actor_id = NULL, action = 'forged' WHERE id = %s", [entry.pk]
    )


def test_a_changed_entry_is_found(chain: list[AuditEntry], lifted: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", [chain[2].pk])
    report = audit_chain_verify()
    assert report.broken_id == chain[2].pk
    assert "changed" in report.reason


def test_a_removed_entry_is_found(chain: list[AuditEntry], lifted: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [chain[2].pk])
    report = audit_chain_verify()
    assert report.broken_id == chain[3].pk
    assert "removed" in report.reason


def test_a_recomputed_entry_still_breaks_the_next_link(
    chain: list[AuditEntry], lifted: None
) -> None:
    forged = AuditEntry.objects.get(pk=chain[2].pk)
    forged.action = "forged"
    new_hash = auditlog.entry_hash(auditlog.fields_of(forged), forged.prev_hash)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET action = 'forged', entry_hash = %s WHERE id = %s",
            [new_hash, chain[2].pk],
        )
    assert audit_chain_verify().broken_id == chain[3].pk


def test_numbers_hash_by_value_whatever_json_the_database_returns() -> None:
    fields = dict.fromkeys(auditlog.HASHED_FIELDS, "") | {
        "created_at": datetime(2026, 1, 1, tzinfo=UTC)
    }
    as_float = auditlog.entry_hash({**fields, "changes": {"n": 1e20, "m": 2.0}}, "")
    as_int = auditlog.entry_hash({**fields, "changes": {"m": 2, "n": 10**20}}, "")
    assert as_float == as_int
    assert as_float != auditlog.entry_hash({**fields, "changes": {"m": "2", "n": 10**20}}, "")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    """Eight threads, each on its own connection, append at once; one chain results."""

    def write(n: int) -> None:
        for i in range(10):
            with transaction.atomic():
                audit_record(actor=None, action=f"test.thread{n}.{i}")

    errors = run_at_once([partial(write, n) for n in range(8)])
    assert errors == []
    assert AuditEntry.objects.filter(action__startswith="test.thread").count() == 80
    hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(hashes) == len(set(hashes)), "two entries chained onto the same head"
    assert audit_chain_verify().intact


@pytest.mark.slow
def test_check_audit_names_the_first_broken_entry(tmp_path: Path) -> None:
    import sqlite3

    from tests.test_cli import run

    assert run(["migrate"], tmp_path).returncode == 0
    script = (
        "from whatworks.core.services.audit import audit_record\n"
        "for i in range(4): audit_record(actor=None, action=f'cli.step{i}')\n"
    )
    made = run(["manage", "shell", "-c", script], tmp_path)
    assert made.returncode == 0, made.stderr
    good = run(["check", "--audit"], tmp_path)
    assert good.returncode == 0, good.stderr
    assert "entries chain up" in good.stdout
    database = tmp_path / "whatworks.sqlite3"
    with sqlite3.connect(database) as db:
        (target,) = db.execute(
            "SELECT id FROM core_auditentry WHERE action = 'cli.step2'"
        ).fetchone()
        db.execute("DROP TRIGGER core_auditentry_no_update")
        db.execute("UPDATE core_auditentry SET action = 'cli.forged' WHERE id = ?", [target])
    bad = run(["check", "--audit"], tmp_path)
    assert bad.returncode == 1
    assert f"audit entry #{target} breaks the chain" in bad.stderr
    assert "Traceback" not in bad.stderr
