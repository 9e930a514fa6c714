"""Database triggers kept as data: one set of statements per vendor, installed or removed.

The audit log (``core/auditlog.py``) and the registry (``registry/guards.py``) protect rows
with triggers that every path to the database meets, raw SQL included.  Each declares a
:class:`TriggerSet`; migrations and tests call its :meth:`~TriggerSet.install` and
:meth:`~TriggerSet.remove`.  A vendor without statements is refused, so that a new database
cannot silently run unprotected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TriggerSet:
    """What a set of triggers protects, with its SQL to install and to remove by vendor."""

    protects: str
    install_sql: Mapping[str, Sequence[str]]
    remove_sql: Mapping[str, Sequence[str]]

    def _run(self, connection: Any, statements: Mapping[str, Sequence[str]]) -> None:
        try:
            chosen = statements[connection.vendor]
        except KeyError:
            raise NotImplementedError(
                f"No triggers protecting {self.protects} for the {connection.vendor} database."
            ) from None
        with connection.cursor() as cursor:
            for sql in chosen:
                cursor.execute(sql)

    def install(self, connection: Any) -> None:
        self._run(connection, self.install_sql)

    def remove(self, connection: Any) -> None:
        self._run(connection, self.remove_sql)
