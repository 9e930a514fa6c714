"""The errors of the package: one base, three kinds.

Every error that ``whatworks_analytics`` raises on purpose derives from
:class:`AnalyticsError`, so a caller can catch the package's refusals in one ``except``
without also catching its own bugs::

    >>> from whatworks_analytics.errors import AnalyticsError, AnalyticsInputError
    >>> try:
    ...     raise AnalyticsInputError(["the column 'age' is missing", "row 3: weight is -1"])
    ... except AnalyticsError as error:
    ...     print(error.exit_code, error.problems)
    1 ("the column 'age' is missing", 'row 3: weight is -1')

Each kind also derives from the built-in exception it used to be (``ValueError``,
``OSError``, ``ArithmeticError``), so code that caught those keeps working.  The kind fixes
the exit code of the ``whatworks-analytics`` command (see :mod:`whatworks_analytics.cli`):

* :class:`AnalyticsInputError` -- the input was read but is invalid; exit 1.  ``problems``
  lists every problem found, so that a user can fix them all at once.
* :class:`AnalyticsIOError` -- a file or folder could not be read or written; exit 3.
* :class:`AnalyticsConvergenceError` -- an iterative method did not converge; exit 1.

Modules subclass these for their own errors (``MetaInputError``, ``WeightingError`` ...).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AnalyticsConvergenceError",
    "AnalyticsError",
    "AnalyticsIOError",
    "AnalyticsInputError",
]

#: The exit codes of the command line, shared by every sub-command.
EXIT_OK = 0
EXIT_INVALID_INPUT = 1
EXIT_USAGE = 2
EXIT_IO = 3


class AnalyticsError(Exception):
    """The base of every error the package raises on purpose.

    ``problems`` holds the problems found, one item each (the message alone when the error
    was raised with a message only); ``exit_code`` is the code the command line exits with
    when this error ends a command.
    """

    exit_code: int = EXIT_INVALID_INPUT
    problems: tuple[object, ...]

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        if not hasattr(self, "problems"):
            self.problems = (str(self),) if str(self) else ()


class AnalyticsInputError(AnalyticsError, ValueError):
    """The input was read but is invalid; ``problems`` lists every problem found.

    Without ``message`` the message joins the problems with ``"; "``::

        >>> str(AnalyticsInputError(["a is missing", "b is negative"]))
        'a is missing; b is negative'
        >>> AnalyticsInputError("one problem").problems
        ('one problem',)
    """

    exit_code = EXIT_INVALID_INPUT

    def __init__(
        self, problems: Iterable[object] | str = (), *, message: str | None = None
    ) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        if message is None:
            message = "; ".join(str(problem) for problem in self.problems)
        super().__init__(message)


class AnalyticsIOError(AnalyticsError, OSError):
    """A file or folder could not be read or written (missing, not a folder, no access)."""

    exit_code = EXIT_IO


class AnalyticsConvergenceError(AnalyticsError, ArithmeticError):
    """An iterative method did not converge within its iteration limit."""

    exit_code = EXIT_INVALID_INPUT
