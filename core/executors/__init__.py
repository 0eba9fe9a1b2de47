"""Where the units of work run: on this machine (``local``) or on a Dask cluster (``dask``).

A pipeline turns its work into :class:`Task` objects (one repository for ``audit clone`` and
``audit deps``, one seed for ``audit reproduce``), hands them to an executor and receives
:class:`Outcome` objects as tasks finish, in any order. The pipeline, on the client, writes every
output from those results, always in a fixed order, so the files do not depend on where or in which
order the tasks ran. An executor never writes outputs itself.
"""

from __future__ import annotations

from core.errors import UsageError
from core.executors.base import Executor, Outcome, Task, map_ordered
from core.executors.local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "Outcome", "Task", "make_executor", "map_ordered"]

KINDS = ("local", "dask")


def make_executor(
    kind: str, *, scheduler: str | None = None, workers: int = 1, processes: bool = False
) -> Executor:
    """The executor for ``--executor``: ``local`` (``workers`` threads or processes) or ``dask``.

    ``dask`` connects to the scheduler at ``scheduler`` (else ``DASK_SCHEDULER_ADDRESS``); it never
    starts a cluster of its own, so that the same command runs on a laptop's two workers or on a
    Slurm cluster started with dask-jobqueue.
    """
    if kind == "local":
        return LocalExecutor(workers=workers, processes=processes)
    if kind == "dask":
        from core.executors.cluster import DaskExecutor

        return DaskExecutor(scheduler)
    raise UsageError(f"unknown executor {kind!r}; valid: {', '.join(KINDS)}")
