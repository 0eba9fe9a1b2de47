"""Seeds as tasks of an executor (a Dask cluster): one task per seed, the rows sent back to the client.

Why per seed and not per branch: a task must be self-contained on a worker that shares nothing with
the client but the store, and a seed's rows come from a walk over its whole tree; the branches of a
seed share its states (the dense training every IMP round starts from), which the store provides
to whichever worker comes next. A worker that dies mid-seed leaves its finished states in the store;
the scheduler gives the task to another worker, which finds them and computes only the rest, so the
rows are those of an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from core.executors import Executor, Task
from core.store import Store
from reproducers import datasets, provenance
from reproducers.registry.base import PaperSpec
from reproducers.runners.local import ProgressCallback, resolve_device, run_seed

Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def seed_task(
    spec: PaperSpec, protocol_name: str, seed: int, device: str, store_url: str
) -> tuple[Rows, dict[str, Any]]:
    """Runs on a worker: one seed's rows, and the worker process's provenance after the seed.

    With object storage the worker's mirror gets the dataset first; states are fetched as the plan
    asks for them and published as they are saved (``reproducers.tree``)."""
    store = Store(store_url)
    store.fetch_tree("data")
    rows = run_seed(spec, protocol_name, seed, device, store.root, store.root / "data", store=store)
    return rows, provenance.describe(resolve_device(device).type)


def prepare_task(dataset: str, store_url: str, mirrors: Sequence[str] | None) -> None:
    """Runs on a worker: the dataset downloaded and verified into the store (``datasets.prepare``),
    then published to object storage, so that every seed's worker fetches checked files."""
    store = Store(store_url)
    store.check()
    store.fetch_tree("data")
    datasets.prepare(dataset, store.root / "data", mirrors=mirrors)
    store.publish_tree("data")


def iter_seeds_on(
    executor: Executor,
    spec: PaperSpec,
    protocol_name: str,
    seeds: Sequence[int],
    device: str,
    store_url: str,
    progress: ProgressCallback | None = None,
    facts: dict[int, dict[str, Any]] | None = None,
    where: dict[int, str] | None = None,
) -> Iterator[tuple[int, Rows]]:
    """(seed, rows) as the cluster finishes seeds; ``facts`` gets each seed's worker provenance and
    ``where`` the worker that finished it (a seed retried after a worker died names the second one).

    ``store_url`` names the store as the workers see it (``core.store``). A CUDA seed needs a
    worker started with ``--resources GPU=1``. A seed that raised stops the run (as with the local
    runner): leaving the iteration cancels the others, and their finished states stay in the store.
    """
    gpu = {"GPU": 1} if device == "cuda" else None
    tasks = [
        Task(
            f"seed {seed}",
            seed_task,
            (spec, protocol_name, seed, device, store_url),
            resources=gpu,
        )
        for seed in seeds
    ]
    for done, outcome in enumerate(executor.run(tasks), start=1):
        seed = outcome.task.args[2]
        if not outcome.ok:
            outcome.reraise(f"seed {seed}")
        rows, described = outcome.result
        if facts is not None:
            facts[seed] = described
        if where is not None:
            where[seed] = outcome.where
        if progress is not None:
            progress(done, len(seeds), f"seed {seed} done on {outcome.where}")
        yield seed, rows
