"""One error base for the package: every public error derives from ``AnalyticsError``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import whatworks_analytics
from whatworks_analytics.errors import (
    EXIT_INVALID_INPUT,
    EXIT_IO,
    AnalyticsConvergenceError,
    AnalyticsError,
    AnalyticsInputError,
    AnalyticsIOError,
)


def _public_errors() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(whatworks_analytics.__path__, "whatworks_analytics."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and not issubclass(value, Warning)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return [found[key] for key in sorted(found)]


PUBLIC_ERRORS = _public_errors()


def test_the_package_defines_errors_to_check() -> None:
    names = {error.__name__ for error in PUBLIC_ERRORS}
    assert {"MetaInputError", "WeightingError", "ConfigError", "DatasetReadError"} <= names


@pytest.mark.parametrize("error", PUBLIC_ERRORS, ids=lambda error: error.__qualname__)
def test_every_public_error_derives_from_the_base(error: type[BaseException]) -> None:
    assert issubclass(error, AnalyticsError)
    kinds = (AnalyticsInputError, AnalyticsIOError, AnalyticsConvergenceError)
    assert issubclass(error, kinds) or error in kinds or error is AnalyticsError


def test_each_kind_keeps_the_built_in_exception_it_replaces() -> None:
    assert issubclass(AnalyticsInputError, ValueError)
    assert issubclass(AnalyticsIOError, OSError)
    assert issubclass(AnalyticsConvergenceError, ArithmeticError)
    assert AnalyticsInputError.exit_code == EXIT_INVALID_INPUT
    assert AnalyticsConvergenceError.exit_code == EXIT_INVALID_INPUT
    assert AnalyticsIOError.exit_code == EXIT_IO


def test_input_errors_keep_every_problem_and_an_explicit_message() -> None:
    error = AnalyticsInputError(["a", "b"], message="two problems")
    assert error.problems == ("a", "b")
    assert str(error) == "two problems"
    assert AnalyticsIOError("cannot read x.csv").problems == ("cannot read x.csv",)


def test_module_errors_keep_their_structured_problems() -> None:
    from whatworks_analytics.pilots.config import ConfigError, ConfigProblem

    problem = ConfigProblem(path="model.kind", message="must be one of ...")
    error = ConfigError([problem, problem])
    assert isinstance(error, AnalyticsInputError)
    assert error.problems == (problem,)
    assert "1 problem(s)" in str(error)
