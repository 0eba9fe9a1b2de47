"""Expected errors and how the command line turns them into one line and an exit code.

Lower packages (``crawlers``, ``reproducers``, ``reports``) must not import the command line, so the
contract is duck-typed: any exception with an integer ``exit_code`` attribute is *expected*. The CLI
prints ``error: <message>`` on one line and exits with that code (2 = usage, 1 = failure) and never
shows a traceback for it unless ``--verbose`` is given. Everything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2


class AuditError(Exception):
    """A failure the user can act on; finished work is on disk and a rerun continues (exit 1)."""

    exit_code = EXIT_FAILURE


class UsageError(AuditError):
    """The command was called wrongly: a bad id, venue or option value (exit 2)."""

    exit_code = EXIT_USAGE


def is_expected(exc: BaseException) -> bool:
    """True for exceptions that follow the ``exit_code`` protocol described above."""
    return isinstance(getattr(exc, "exit_code", None), int)


def one_line(exc: BaseException) -> str:
    """The exception's message squeezed onto one line, for the terminal and for logs."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
