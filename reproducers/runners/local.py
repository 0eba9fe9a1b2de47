"""Run one seed of a paper's protocol in this process; the seam every runner implements.

The Docker runner runs ``python -m reproducers.worker`` (which calls :func:`run_seed`) inside a
container, one seed per container, and reads the same rows back.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from reproducers import datasets, provenance
from reproducers.experiments import count_trainings, run_plan
from reproducers.recipes import RECIPES
from reproducers.registry.base import PaperSpec
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
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """All arms of one seed: (runs.csv rows, per_class.csv rows). Cached states are reused.

    ``progress(done, total, message)`` is called after each trained state; ``tree_out`` (tests,
    benchmarks) receives the tree to inspect which recipes ran.
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
    )
    tree = Tree(cache_dir, context, RECIPES)
    if tree_out is not None:
        tree_out.append(tree)
    rows = run_plan(tree, spec, protocol, note)
    if progress is not None:
        progress(total, total, f"seed {seed}: done")
    return rows


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
    """(seed, rows) for every seed: in this process, or ``jobs`` worker processes at a time.

    Worker processes are spawned (not forked: a forked torch can deadlock in its thread pools) and
    each runs one thread, so results are bit-for-bit those of a sequential run. ``progress`` gets
    (seeds done, seeds, message); in parallel only when a seed finishes. ``facts``, when given,
    receives per seed what the process that ran it reports about itself after the seed
    (``reproducers.provenance.describe``: torch, threads, determinism flags as the seed ran).
    """
    total = len(seeds)
    if jobs <= 1 or total <= 1 or resolve_device(device).type == "cuda":
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
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=context) as pool:
        futures = {
            pool.submit(_run_seed_described, spec, protocol_name, seed, device, cache_dir, data_dir): seed
            for seed in seeds
        }
        if progress is not None:
            progress(0, total, f"{min(jobs, total)} worker processes")
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                seed = futures[future]
                rows, described = future.result()
                if facts is not None:
                    facts[seed] = described
                if progress is not None:
                    progress(done, total, f"seed {seed} done")
                yield seed, rows
        finally:
            for future in futures:
                future.cancel()


def _run_seed_described(
    spec: PaperSpec, protocol_name: str, seed: int, device: str, cache_dir: Path, data_dir: Path
) -> tuple[tuple[list[dict[str, Any]], list[dict[str, Any]]], dict[str, Any]]:
    """In a worker process: the seed's rows and that process's provenance after running it."""
    rows = run_seed(spec, protocol_name, seed, device, cache_dir, data_dir)
    return rows, provenance.describe(resolve_device(device).type)
