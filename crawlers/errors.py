"""Expected crawler errors; the CLI maps ``exit_code`` to the process exit status (see core.errors)."""

from core.errors import AuditError, UsageError


class CrawlerError(AuditError):
    """A failure with a clear cause (blocked by the server, bad export file); exit 1."""


class CrawlerUsageError(CrawlerError, UsageError):
    """Bad input from the user, such as a malformed venue id; exit 2."""
