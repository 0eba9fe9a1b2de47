"""Where a command's units of work run (``--executor``, ``--scheduler``, ``--store``), for every step.

Why one module: `audit clone`, `audit deps`, `audit checklist`, `audit census` and `audit reproduce`
take the same three options and must mean the same by them. The local executor is the default and
keeps each step's own pools (threads for clones, processes for analyses and seeds); ``dask`` sends the
same units, as tasks, to an existing ``dask.distributed`` cluster (``core.executors.cluster``).

No shared filesystem is assumed between this process and the workers: tasks return their results
(rows, small files' contents) and this process writes every output. What is too large to return
(clones, experiment states, datasets) lives in the *store* (``core.store``): a folder every worker
mounts (``--store``, else the cache folder, which is right when the workers run on this machine), or
object storage named by an fsspec URL (``s3://bucket/prefix``) that each worker mirrors. The client
never reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from audit.progress import info
from audit.workspace import cache_dir
from core.errors import UsageError
from core.executors import Executor, make_executor
from core.store import Store, open_store


@dataclass(frozen=True)
class Placement:
    """The three options: ``executor`` "local" or "dask", the scheduler's address, the store folder."""

    executor: str = "local"
    scheduler: str | None = None
    store: str | None = None

    @property
    def distributed(self) -> bool:
        return self.executor != "local"

    def open_store(self) -> Store:
        """The store (``core.store``) ``--store`` names, else the cache folder: a folder every worker
        mounts (a path or a ``file://`` URL), or, for a Dask cluster's workers, object storage through
        fsspec (``s3://bucket/prefix``…) that each worker mirrors; checked before any work starts."""
        store = open_store(self.store, cache_dir())
        if not store.local and not self.distributed:
            raise UsageError(
                f"--store {self.store!r}: object storage is where a Dask cluster's workers keep clones "
                "and states; add --executor dask, or name a folder"
            )
        return store

    def store_root(self) -> Path:
        """The store's folder on this machine (the local executor's, or a mounted folder's path)."""
        return self.open_store().root

    def store_url(self) -> str:
        """The store as the workers are told it: a folder's path or an object-storage URL."""
        store = self.open_store()
        return str(store.root) if store.local else store.url


LOCAL = Placement()


def placement_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--executor``, ``--scheduler`` and ``--store``: where the units of work run (audit.placement)."""
    command = click.option(
        "--store",
        envvar="AUDIT_STORE",
        metavar="PATH|URL",
        help="Where clones, experiment states and datasets live for every worker: a folder they all "
        "mount, or with --executor dask object storage such as s3://bucket/audit (fsspec); this "
        "process never reads it. Default the cache folder (AUDIT_CACHE_DIR).",
    )(command)
    command = click.option(
        "--scheduler",
        envvar="DASK_SCHEDULER_ADDRESS",
        metavar="ADDRESS",
        help="The Dask scheduler for --executor dask, e.g. tcp://10.0.0.5:8786 (or DASK_SCHEDULER_ADDRESS).",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="Run the units of work (repositories, seeds) here or on an existing Dask cluster.",
    )(command)


def placement_of(executor: str, scheduler: str | None, store: str | None) -> Placement:
    """The options as a :class:`Placement`, its store checked before any work starts."""
    placement = Placement(executor, scheduler or None, store or None)
    placement.open_store()
    return placement


@contextmanager
def executor_for(placement: Placement) -> Iterator[Executor | None]:
    """The cluster's executor for the duration of a step (None for ``local``: the step's own pools).

    Connecting prints the workers and, when the scheduler serves one, the dashboard's address; leaving
    the block (also on Ctrl-C) cancels the tasks not yet finished and disconnects.
    """
    if not placement.distributed:
        yield None
        return
    executor = make_executor(placement.executor, scheduler=placement.scheduler)
    try:
        facts = executor.describe()
        dashboard = f"; dashboard {facts['dashboard']}" if facts.get("dashboard") else ""
        info(f"Dask scheduler {facts['scheduler']}: {facts['workers']} workers{dashboard}")
        yield executor
    finally:
        executor.close()
