"""The trigger sets: the statements of the connection's vendor run, and no other vendor's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from whatworks.core.triggers import TriggerSet


class _Cursor:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> _Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str) -> None:
        self.log.append(sql)


def _connection(vendor: str, log: list[str]) -> Any:
    return SimpleNamespace(vendor=vendor, cursor=lambda: _Cursor(log))


SET = TriggerSet(
    "the example table",
    install_sql={"sqlite": ["install a", "install b"], "postgresql": ["pg install"]},
    remove_sql={"sqlite": ["remove a"], "postgresql": ["pg remove"]},
)


def test_install_and_remove_run_the_vendors_statements_in_order() -> None:
    log: list[str] = []
    SET.install(_connection("sqlite", log))
    SET.remove(_connection("postgresql", log))
    assert log == ["install a", "install b", "pg remove"]


def test_a_vendor_without_statements_is_refused_rather_than_left_unprotected() -> None:
    log: list[str] = []
    with pytest.raises(NotImplementedError, match="the example table for the mysql database"):
        SET.install(_connection("mysql", log))
    assert log == []
