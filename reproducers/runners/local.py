"""Run one seed of a paper's protocol in this process; the seam every runner implements.

The Docker runner runs ``python -m reproducers.worker`` (which calls :func:`run_seed`) inside a
container, one seed per container, and reads the same rows back.

With ``jobs > 1`` the work is cut finer than seeds: every independent branch of every seed's tree
(``reproducers.plans.branches``: SNIP at 95%, the IMP chain, a re-initialisation control...) is a
unit of work for a pool of spawned worker processes, longest first. On a GPU the processes share the
device, which is what keeps a small network's GPU busy: one process alone is bound by kernel
launches. Every state is computed by exactly one process (the tree's per-state lock) with one thread
and deterministic kernels, so it is the same state a sequential run computes, bit for bit on the
CPU. When a seed's branches are done, its rows come from one more walk over its (now cached) tree,
in a worker too; the seed's provenance is what the processes that ran its branches reported.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from core.store import Store
from reproducers import datasets, provenance
from reproducers.experiments import count_trainings, run_plan
from reproducers.plans import Key, branches
from reproducers.recipes import RECIPES
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.seeding import configure_determinism, generator
from reproducers.tree import Context, Tree

ProgressCallback = Callable[[int, int, str], None]


def resolve_device(device: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    from reproducers.errors import ReproductionUsageError

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ReproductionUsageError("--device cuda was asked for but no CUDA GPU is visible to torch")
    if device not in ("cpu", "cuda"):
        raise ReproductionUsageError(f"unknown device {device!r}; valid: auto, cpu, cuda")
    return torch.device(device)


@lru_cache(maxsize=2)
def _split(dataset: str, sizes: tuple[int, int, int], seed: int, data_dir: str, device: str):
    """One replicate's split, made once per process (recipes of a seed share it)."""
    split = datasets.make_split(dataset, sizes, generator(seed, "split"), Path(data_dir))
    return split.to(torch.device(device))


def _train_labels(dataset: str, sizes: tuple[int, int, int], seed: int, data_dir: str):
    return datasets.train_labels(dataset, sizes, generator(seed, "split"), Path(data_dir))


def run_seed(
    spec: PaperSpec,
    protocol_name: str,
    seed: int,
    device: str,
    cache_dir: Path,
    data_dir: Path,
    progress: ProgressCallback | None = None,
    *,
    tree_out: list[Tree] | None = None,
    only: Collection[Key] | None = None,
    store: Store | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """All arms of one seed: (runs.csv rows, per_class.csv rows). Cached states are reused.

    ``progress(done, total, message)`` is called after each trained state; ``tree_out`` (tests,
    benchmarks) receives the tree to inspect which recipes ran; ``only`` builds just those branches
    and returns no rows (a worker's unit of work); ``store``: the object storage that ``cache_dir``
    mirrors on a cluster's worker (``core.store``).
    """
    protocol = spec.protocol(protocol_name)
    torch_device = resolve_device(device)
    configure_determinism(device_type=torch_device.type)
    total = count_trainings(protocol)
    started = [0]

    def note(message: str) -> None:
        """Called by the plan before each training (and once at the end of the seed)."""
        if progress is not None:
            progress(min(started[0], total), total, f"seed {seed}: {message}")
        started[0] += 1

    context = Context(
        seed=seed,
        device=torch_device,
        data=lambda name, sizes: _split(name, tuple(sizes), seed, str(data_dir), str(torch_device)),
        train_labels=lambda name, sizes: _train_labels(name, tuple(sizes), seed, str(data_dir)),
    )
    tree = Tree(cache_dir, context, RECIPES, store)
    if tree_out is not None:
        tree_out.append(tree)
    rows = run_plan(tree, spec, protocol, note, only)
    if progress is not None:
        progress(total, total, f"seed {seed}: done")
    return rows


def run_unit(
    spec: PaperSpec,
    protocol_name: str,
    seed: int,
    branch: Key,
    device: str,
    cache_dir: Path,
    data_dir: Path,
) -> tuple[int, Key, dict[str, Any]]:
    """One branch of one seed's tree, in a worker process; its states land in the cache.

    Returns the process's provenance after the branch (``reproducers.provenance.describe``): the
    determinism flags and threads the branch's states were computed under.
    """
    run_seed(spec, protocol_name, seed, device, cache_dir, data_dir, only={branch})
    return seed, branch, provenance.describe(resolve_device(device).type)


def units(protocol: Protocol, seeds: Sequence[int]) -> list[tuple[int, Key]]:
    """Every (seed, branch) of the run, longest branches first (seed order among equals).

    Longest first keeps the pool busy to the end (the IMP chain is most of an LTH seed), and puts a
    branch that follows another's states (a re-initialisation control trailing its chain) after it.
    """
    work = [(cost, index, seed, key) for index, seed in enumerate(seeds) for key, cost in branches(protocol)]
    work.sort(key=lambda item: (-item[0], item[1]))
    return [(seed, key) for _, _, seed, key in work]


def iter_seeds(
    spec: PaperSpec,
    protocol_name: str,
    seeds: Sequence[int],
    device: str,
    cache_dir: Path,
    data_dir: Path,
    jobs: int = 1,
    progress: ProgressCallback | None = None,
    facts: dict[int, dict[str, Any]] | None = None,
) -> Iterator[tuple[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]]]:
    """(seed, rows) for every seed: in this process, or with ``jobs`` worker processes.

    Worker processes are spawned (not forked: a forked torch can deadlock in its thread pools), run
    one thread each and take the branches of all seeds as units of work (module docstring), so the
    states, and hence the rows, are bit for bit those of a sequential run. When a seed's branches are
    done, one more worker walks its (now cached) tree for the rows, so this process's torch settings
    are never touched. ``progress`` gets (seeds done, seeds, message). ``facts``, when given, receives
    per seed what the processes that computed it report about themselves after their work
    (``reproducers.provenance.describe``: torch, threads, determinism flags as the states were
    computed): this process after a sequential seed, the worker processes of the seed's branches in
    parallel (:func:`branch_facts`).
    """
    total = len(seeds)
    protocol = spec.protocol(protocol_name)
    work = units(protocol, seeds)
    if jobs <= 1 or len(work) <= 1:
        for index, seed in enumerate(seeds):

            def within(done: int, of: int, message: str, index: int = index) -> None:
                if progress is not None:
                    progress(index, total, message)

            rows = run_seed(spec, protocol_name, seed, device, cache_dir, data_dir, within)
            if facts is not None:
                facts[seed] = provenance.describe(resolve_device(device).type)
            if progress is not None:
                progress(index + 1, total, f"seed {seed} done")
            yield seed, rows
        return
    left = {seed: sum(1 for s, _ in work if s == seed) for seed in seeds}
    reports: dict[int, list[dict[str, Any]]] = {seed: [] for seed in seeds}
    workers = min(jobs, len(work))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # future → "branch" (a unit of work) or "rows" (the walk of a seed whose branches are done)
        pending: dict[Future, str] = {
            pool.submit(run_unit, spec, protocol_name, seed, key, device, cache_dir, data_dir): "branch"
            for seed, key in work
        }
        if progress is not None:
            progress(0, total, f"{workers} worker processes, {len(work)} branches of {total} seeds")
        done = 0
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    kind = pending.pop(future)
                    if kind == "branch":
                        seed, _, described = future.result()
                        reports[seed].append(described)
                        left[seed] -= 1
                        if not left[seed]:
                            args = (spec, protocol_name, seed, device, cache_dir, data_dir)
                            pending[pool.submit(_seed_rows, *args)] = "rows"
                        continue
                    seed, rows = future.result()
                    if facts is not None:
                        facts[seed] = branch_facts(reports[seed])
                    done += 1
                    if progress is not None:
                        progress(done, total, f"seed {seed} done")
                    yield seed, rows
        finally:
            for future in pending:
                future.cancel()


def branch_facts(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One seed's provenance from the reports of the processes that ran its branches: the first
    report, and under ``branch_processes_differ`` every distinct report that is not the same (so a
    seed whose branches ran under different set-ups is never recorded as one set-up)."""
    first, others = reports[0], []
    for report in reports[1:]:
        if report != first and report not in others:
            others.append(report)
    return {**first, "branch_processes_differ": others} if others else dict(first)


def _seed_rows(
    spec: PaperSpec, protocol_name: str, seed: int, device: str, cache_dir: Path, data_dir: Path
) -> tuple[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """In a worker process: the rows of a seed whose branches are all computed (a walk of the cache)."""
    return seed, run_seed(spec, protocol_name, seed, device, cache_dir, data_dir)
