"""Expected reproduction errors; the CLI maps ``exit_code`` to the process exit status (see core.errors)."""

from core.errors import AuditError, UsageError


class ReproductionError(AuditError):
    """A failure with a clear cause (dataset missing offline, engine unreachable); exit 1."""


class ReproductionUsageError(ReproductionError, UsageError):
    """Bad input from the user, such as an unknown paper id; exit 2."""
