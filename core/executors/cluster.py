"""The Dask executor: the same tasks on an existing ``dask.distributed`` cluster.

Why Dask: research groups' GPUs sit behind Slurm, PBS or SGE, where ``dask-jobqueue`` starts the same
workers this executor talks to, so a census of tens of thousands of repositories or a paper protocol
with dozens of trainings runs with the same command as on a laptop. The executor only connects to a
scheduler (``--scheduler ADDRESS`` or ``DASK_SCHEDULER_ADDRESS``); it never starts one.

No shared filesystem is assumed between the client and the workers: a task's result (rows, small
files' contents) travels back through Dask, and the client writes the outputs. Large artefacts
(clones, experiment states) go to a store every worker can reach (see ``--store``).

Faults: a worker that dies while running a task is noticed by the scheduler, which runs the task again
on another worker (up to ``distributed.scheduler.allowed-failures`` deaths per task); a task that
raises is returned as a failed outcome. Leaving the iteration early (Ctrl-C) cancels every future.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from core.errors import AuditError, UsageError
from core.executors.base import Outcome, ProgressCallback, Task

ENV = "DASK_SCHEDULER_ADDRESS"


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, str]:
    """Runs on the worker: the task's result and the worker's name (for "where it ran")."""
    from distributed import get_worker

    result = fn(*args, **kwargs)
    worker = get_worker()
    return result, str(worker.name if worker.name is not None else worker.address)


class DaskExecutor:
    """Submits every task as one future; yields outcomes as futures complete."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, *, timeout_s: float = 30.0) -> None:
        address = scheduler or os.environ.get(ENV, "")
        if not address:
            raise UsageError(
                f"--executor dask needs --scheduler ADDRESS (or {ENV}), e.g. tcp://127.0.0.1:8786"
            )
        from distributed import Client

        try:
            self.client = Client(address, timeout=timeout_s, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise AuditError(
                f"cannot reach the Dask scheduler at {address}: {' '.join(str(exc).split())}"
            ) from None
        self.address = address
        self.run_id = uuid.uuid4().hex[:8]

    def dashboard(self) -> str | None:
        """The dashboard's address when the scheduler serves one (``--no-dashboard`` serves none)."""
        services = self.client.scheduler_info().get("services", {})
        return self.client.dashboard_link if "dashboard" in services else None

    def workers(self) -> dict[str, dict[str, Any]]:
        return self.client.scheduler_info().get("workers", {})

    def run(self, tasks: Sequence[Task], progress: ProgressCallback | None = None) -> Iterator[Outcome]:
        """Submit every task now (so the cluster starts at once), then iterate over the outcomes."""
        futures = {}
        for task in tasks:
            future = self.client.submit(
                _call,
                task.fn,
                task.args,
                dict(task.kwargs),
                key=f"{task.key} [{self.run_id}-{len(futures)}]",
                pure=False,
                resources=dict(task.resources) if task.resources else None,
            )
            futures[future] = task
        if progress is not None and tasks:
            progress(0, len(tasks), f"{len(tasks)} tasks on {len(self.workers())} Dask workers")
        return self._collect(futures, progress)

    def _collect(self, futures: dict[Any, Task], progress: ProgressCallback | None) -> Iterator[Outcome]:
        from distributed import as_completed

        total = len(futures)
        try:
            for done, future in enumerate(as_completed(futures, loop=self.client.loop), start=1):
                task = futures[future]
                try:
                    result, where = future.result()
                except Exception as exc:  # the task raised, or died on more workers than allowed
                    outcome = Outcome(task, None, "?", exc)
                else:
                    outcome = Outcome(task, result, where, None)
                if progress is not None:
                    state = "failed" if outcome.error else "done"
                    progress(done, total, f"{task.key} {state} on {outcome.where}")
                yield outcome
        finally:
            pending = [future for future in futures if not future.done()]
            if pending:
                self.client.cancel(pending)
            for future in futures:
                future.release()

    def describe(self) -> dict[str, Any]:
        workers = self.workers()
        return {
            "executor": self.name,
            "scheduler": self.address,
            "dashboard": self.dashboard(),
            "workers": len(workers),
            "worker_resources": sorted({key for w in workers.values() for key in (w.get("resources") or {})}),
        }

    def close(self) -> None:
        self.client.close()
