"""Where the units of work run: on this machine (``local``) or on a Dask cluster (``dask``).

A pipeline turns its work into :class:`Task` objects (one repository for ``audit clone`` and
``audit deps``, one seed for ``audit reproduce``), hands them to an executor and receives
:class:`Outcome` objects as tasks finish, in any order. The pipeline, on the client, writes every
output from those results, always in a fixed order, so the files do not depend on where or in which
order the tasks ran. An executor never writes outputs itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from core.errors import UsageError
from core.executors.base import Executor, Outcome, ProgressCallback, Task, map_ordered
from core.executors.local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "Outcome", "Task", "make_executor", "map_ordered", "map_units"]

Unit = TypeVar("Unit")
Result = TypeVar("Result")

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


def map_units(
    fn: Callable[[Unit], Result],
    units: Sequence[Unit],
    *,
    key: Callable[[Unit], str],
    failed: Callable[[Unit, BaseException], Result],
    label: Callable[[Unit], str],
    workers: int = 1,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
) -> list[Result]:
    """``[fn(u) for u in units]`` in the order of ``units``: one task per unit on ``executor`` (a Dask
    cluster), else ``workers`` spawned processes, else (one worker or one unit) in this process.

    Why one function: `audit deps` and `audit checklist` cut their work the same way, and every
    place must behave the same: spawned processes (a worker imports the project afresh, as on Dask),
    and leaving early (Ctrl-C) drops the queued units instead of finishing them before exiting.
    ``label`` names a unit in the in-process progress lines.
    """
    total = len(units)
    if progress:
        progress(0, total, "")
    if executor is None and workers > 1 and total > 1:
        executor = LocalExecutor(workers, processes=True)
    if executor is not None:
        return map_ordered(executor, fn, units, key=key, failed=failed, progress=progress)
    results: list[Result] = []
    for index, unit in enumerate(units):
        results.append(fn(unit))
        if progress:
            progress(index + 1, total, label(unit))
    return results
