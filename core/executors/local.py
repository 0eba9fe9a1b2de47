"""The local executor: this machine's threads or spawned processes (the default of every command)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from typing import Any

from core.executors.base import Outcome, ProgressCallback, Task


class LocalExecutor:
    """``workers`` threads (I/O-bound work such as git clones) or processes (CPU-bound work).

    Processes are spawned, never forked: a forked torch can deadlock in its thread pools, and a spawned
    worker imports the project afresh, exactly as a Dask worker does.
    """

    name = "local"

    def __init__(self, workers: int = 1, *, processes: bool = False) -> None:
        self.workers = max(1, workers)
        self.processes = processes

    def _pool(self, n_tasks: int) -> FuturesExecutor:
        size = min(self.workers, max(1, n_tasks))
        if self.processes:
            return ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(max_workers=size, thread_name_prefix="audit-task")

    def run(self, tasks: Sequence[Task], progress: ProgressCallback | None = None) -> Iterator[Outcome]:
        """Submit every task now, then iterate over the outcomes as they finish."""
        if not tasks:
            return iter(())
        pool = self._pool(len(tasks))
        futures = {pool.submit(task.fn, *task.args, **task.kwargs): task for task in tasks}
        return self._collect(pool, futures, progress)

    @staticmethod
    def _collect(
        pool: FuturesExecutor, futures: dict[Future[Any], Task], progress: ProgressCallback | None
    ) -> Iterator[Outcome]:
        total = len(futures)
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                task = futures[future]
                error = future.exception()
                outcome = Outcome(task, None if error else future.result(), "local", error)
                if progress is not None:
                    progress(done, total, f"{task.key} {'failed' if error else 'done'}")
                yield outcome
        finally:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "processes": self.processes}

    def close(self) -> None:
        """Nothing to release: each run owns its pool."""
