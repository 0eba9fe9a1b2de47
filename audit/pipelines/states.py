"""`audit states DIR`: a reproduction's experiment tree, listed, filtered by tags, and restored.

Also writes the two files the reproduction report reads besides runs.csv: ``states.csv`` (every state
of every seed's tree, from the cache) and ``class_facts.csv`` (per seed, model and class: training
count and share, the dense network's difficulty), so that the report never needs the cache.
"""

from __future__ import annotations

import contextlib
import csv
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audit import workspace
from core import atomic

#: class_facts.csv columns (per seed, model and class).
CLASS_FACT_COLUMNS = (
    "seed",
    "model",
    "class",
    "train_n",
    "train_share",
    "difficulty_entropy",
    "difficulty_loss",
)
#: the columns `audit states` prints (the rest are in --json and states.csv)
SHOWN = ("hash", "seed", "model", "recipe", "arm", "round", "sparsity", "test_accuracy", "parent")


def run_hashes(out_dir: Path) -> list[str]:
    """The trained states a reproduction folder's runs.csv names (a usage error when it has none)."""
    from core.errors import UsageError

    path = out_dir / "runs.csv"
    if not path.is_file():
        raise UsageError(f"{path} is missing; is {out_dir} a reproduction output folder?")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if "state_hash" not in (reader.fieldnames or []):
            raise UsageError(f"{path} has no state_hash column; is it a runs.csv of `audit reproduce`?")
        return [r["state_hash"] for r in reader if r.get("state_hash")]


def write_tree_files(
    out_dir: Path,
    store_url: str,
    runs: Sequence[dict[str, Any]],
    per_class: Sequence[dict[str, Any]],
    executor: Any = None,
) -> None:
    """states.csv (closure of the runs' states in the cache) and class_facts.csv, atomically.

    ``store_url``: the folder holding ``states/`` or, on a cluster, the store as the workers are told it.
    With ``executor`` (a Dask cluster) the closure is read by a worker, and only the states' metadata
    comes back here.
    """
    from reproducers import catalog

    hashes = [str(r["state_hash"]) for r in runs]
    if executor is None:
        metas = catalog.closure_in_store(store_url, hashes)
    else:
        from core.executors import Task

        (outcome,) = list(executor.run([Task("states.csv", catalog.closure_in_store, (store_url, hashes))]))
        if not outcome.ok:
            outcome.reraise("reading the states for states.csv")
        metas = outcome.result
    atomic.write_csv(out_dir / "states.csv", catalog.STATE_COLUMNS, [catalog.row(m) for m in metas])
    facts: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for r in per_class:
        if "difficulty_entropy" in r or "train_n" in r:
            facts.setdefault((r["seed"], r["model"], r["class"]), {k: r.get(k) for k in CLASS_FACT_COLUMNS})
    rows = [facts[key] for key in sorted(facts, key=lambda k: (int(k[0]), str(k[1]), int(k[2])))]
    if rows:
        atomic.write_csv(out_dir / "class_facts.csv", CLASS_FACT_COLUMNS, rows)


def command(
    directory: Path,
    tags: Sequence[str],
    hash_prefix: str | None,
    restore_to: Path | None,
    as_json: bool,
    store_url: str | None = None,
) -> None:
    """List the run's states matching the filters, or restore the one that matches (``store_url``: the
    folder or object storage holding ``states/``, as the run's ``--store`` named it; default the cache
    folder). Object storage is read here, into a temporary mirror (``core.store``)."""
    from core.errors import UsageError
    from core.store import Store, open_store
    from reproducers import catalog

    store = open_store(store_url, workspace.cache_dir())
    filters = catalog.parse_filters(tags)
    if hash_prefix:
        filters["hash"] = hash_prefix
    hashes = run_hashes(directory)
    with contextlib.ExitStack() as scope:
        if not store.local:  # read into a throwaway mirror: fresh tags, weights only for --restore
            scratch = Path(scope.enter_context(tempfile.TemporaryDirectory(prefix="audit-states-")))
            store = Store(store.url, mirror=scratch)
            store.check()
        states_dir = store.root / "states"
        metas = catalog.closure(states_dir, hashes, store)
        chosen = [m for m in metas if catalog.matches(m, filters)]
        if restore_to is not None:
            if len(chosen) != 1:
                hint = "; narrow it with --hash or more --tag (e.g. --tag recipe=train)" if chosen else ""
                raise UsageError(f"{len(chosen)} states of {directory} match {_describe(filters)}{hint}")
            store.fetch(f"states/{chosen[0]['hash']}/state.pt")
            path = catalog.restore(states_dir, chosen[0]["hash"], restore_to)
            print(path)
            return
    rows = [catalog.row(m) for m in chosen]
    if as_json:
        for r in rows:
            print(json.dumps(r, sort_keys=True))
        return
    table = [[str(r[c])[:12] if c in ("hash", "parent") else str(r[c]) for c in SHOWN] for r in rows]
    widths = [max([len(c), *(len(line[i]) for line in table)]) for i, c in enumerate(SHOWN)]
    for line in [list(SHOWN), *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _describe(filters: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in filters.items()) or "(no filter)"
