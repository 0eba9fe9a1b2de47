"""Expected reproduction errors; the CLI maps ``exit_code`` to the process exit status."""


class ReproductionError(Exception):
    """A failure with a clear cause (dataset missing offline, engine unreachable); exit 1."""

    exit_code = 1


class ReproductionUsageError(ReproductionError):
    """Bad input from the user, such as an unknown paper id; exit 2."""

    exit_code = 2
