"""Expected crawler errors; the CLI maps ``exit_code`` to the process exit status."""


class CrawlerError(Exception):
    """A failure with a clear cause (blocked by the server, bad export file); exit 1."""

    exit_code = 1


class CrawlerUsageError(CrawlerError):
    """Bad input from the user, such as a malformed venue id; exit 2."""

    exit_code = 2
