"""The core's extension points: providers asked in order, replaced by key, failures left out."""

from __future__ import annotations

from typing import Any

from whatworks.core.extensions import Providers, Registration


def _read(registration: Registration[Any], answer: Any) -> str | None:
    return f"{registration.key}:{answer}" if answer else None


def test_providers_are_asked_in_order_and_a_key_registered_again_replaces_it() -> None:
    points: Providers[Any] = Providers("Example")
    points.register("b", lambda *, n: n * 2, order=20)
    points.register("a", lambda *, n: n + 1, order=20)
    points.register("first", lambda *, n: 0, order=10)
    points.register("b", lambda *, n: n * 3, order=20)
    assert points.registered() == ["first", "a", "b"]
    assert points.collect(_read, n=5) == ["a:6", "b:15"], "None answers are left out"


def test_a_provider_that_raises_or_cannot_be_read_is_logged_and_left_out(caplog: Any) -> None:
    points: Providers[Any] = Providers("Example")
    points.register("broken", lambda *, n: 1 / 0)
    points.register("unreadable", lambda *, n: object())
    points.register("fine", lambda *, n: n, order=60)

    def read(registration: Registration[Any], answer: Any) -> str:
        return f"{registration.key}:{int(answer)}"

    with caplog.at_level("ERROR"):
        assert points.collect(read, n=2) == ["fine:2"]
    assert "Example provider 'broken' failed" in caplog.text
    assert "Example provider 'unreadable' failed" in caplog.text
