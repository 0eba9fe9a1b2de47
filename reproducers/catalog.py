"""A run's states read back from the cache: list them, filter them by tags, restore one as a plain
``state_dict`` that PyTorch loads without this project.

dagger's "experiment analysis" (restore the tree, filter its nodes by tags, restore a node), for a
reproduction folder: its runs.csv names the trained states; their parents and inputs (``refs``, such
as a rewind's ``to=init``) are followed through each ``state.json`` to the roots, so the listing is
the whole tree of every seed. ``states.csv`` (columns :data:`STATE_COLUMNS`) is that listing as a
file, written next to runs.csv for the report's tree figure.

A restored file holds the *effective* weights (``weight = weight_orig × weight_mask``, pruned weights
exactly 0) under the plain names (``fc1.weight``, ``fc1.bias``, batch-norm buffers): ``torch.load``
with ``weights_only=True`` reads it, and ``load_state_dict(strict=True)`` of a network of the same
architecture defined in plain PyTorch accepts it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from core import atomic
from core.store import Store
from reproducers.errors import ReproductionError, ReproductionUsageError

#: states.csv columns, one row per state of the run (roots first, then children).
STATE_COLUMNS = (
    "seed",
    "model",
    "hash",
    "recipe",
    "parent",
    "refs",
    "arm",
    "round",
    "sparsity",
    "measured_sparsity",
    "test_accuracy",
    "properties",
    "tags",
)
#: what a filter may name besides tags
FIELDS = ("recipe", "hash")


def read_state(states_dir: Path, digest: str) -> dict[str, Any]:
    path = states_dir / digest / "state.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ReproductionError(
            f"state {digest} is not in the cache {states_dir}: rerun `audit reproduce` with the same "
            "arguments, or set AUDIT_CACHE_DIR to the cache the run used"
        ) from None
    except ValueError as exc:
        raise ReproductionError(f"{path} is not a state file ({exc}); delete its folder and rerun") from None


def closure_in_store(store_url: str, hashes: Iterable[str]) -> list[dict[str, Any]]:
    """:func:`closure` in the store ``store_url`` names: the task a cluster's worker runs for
    states.csv. Object storage is read into a throwaway mirror, ``state.json`` files only (fresh
    tags, and no weights downloaded to list them)."""
    store = Store(store_url)
    if store.local:
        return closure(store.root / "states", hashes)
    with tempfile.TemporaryDirectory(prefix="audit-states-") as scratch:
        reader = Store(store_url, mirror=Path(scratch))
        reader.check()
        return closure(reader.root / "states", hashes, reader)


def closure(states_dir: Path, hashes: Iterable[str], store: Store | None = None) -> list[dict[str, Any]]:
    """Every state the given ones were made from (parents and refs), each once, ancestors first
    (``store``: object storage that ``states_dir`` mirrors; a ``state.json`` missing here is fetched,
    so give it a mirror of its own: the weights are not)."""
    hashes = list(hashes)
    metas: dict[str, dict[str, Any]] = {}
    stack = [h for h in dict.fromkeys(hashes) if h]
    while stack:
        digest = stack.pop()
        if digest in metas:
            continue
        if store is not None and not store.local:
            store.fetch(f"states/{digest}/state.json")
        meta = read_state(states_dir, digest)
        metas[digest] = meta
        stack += [h for h in [meta.get("parent"), *(meta.get("refs") or {}).values()] if h and h not in metas]
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(digest: str) -> None:
        if digest in placed:
            return
        meta = metas[digest]
        for ancestor in [meta.get("parent"), *(meta.get("refs") or {}).values()]:
            if ancestor:
                place(ancestor)
        placed.add(digest)
        ordered.append(meta)

    # the given states in their order (runs.csv: the plan's order), each after its ancestors
    for digest in [*dict.fromkeys(h for h in hashes if h), *sorted(metas)]:
        if digest in metas:
            place(digest)
    return ordered


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(_text(v) for v in value)
    return str(value)


def row(meta: Mapping[str, Any]) -> dict[str, Any]:
    """One states.csv row."""
    tags = meta.get("tags") or {}
    metrics = meta.get("metrics") or {}
    refs = meta.get("refs") or {}
    return {
        "seed": meta.get("seed"),
        "model": meta.get("model"),
        "hash": meta["hash"],
        "recipe": meta.get("recipe"),
        "parent": meta.get("parent") or "",
        "refs": ";".join(f"{name}={digest}" for name, digest in sorted(refs.items())),
        "arm": _text(tags.get("arm")),
        "round": _text(tags.get("round")),
        "sparsity": _text(tags.get("sparsity")),
        "measured_sparsity": round(float(metrics.get("sparsity", 0.0)), 6),
        "test_accuracy": metrics.get("test_accuracy", ""),
        "properties": json.dumps(meta.get("properties") or {}, sort_keys=True, separators=(",", ":")),
        "tags": json.dumps(tags, sort_keys=True, separators=(",", ":")),
    }


def parse_filters(items: Iterable[str]) -> dict[str, str]:
    """``["arm=imp", "round=3"]`` → ``{"arm": "imp", "round": "3"}``; a malformed item is a usage error."""
    filters: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ReproductionUsageError(
                f"--tag {item!r} is not KEY=VALUE (e.g. --tag arm=imp --tag round=3)"
            )
        filters[key.strip()] = value.strip()
    return filters


def _equal(have: Any, want: str) -> bool:
    if isinstance(have, list):
        return any(_equal(v, want) for v in have)
    if isinstance(have, bool) or have is None:
        return str(have).lower() == want.lower()
    if isinstance(have, int | float):
        try:
            return round(float(have), 4) == round(float(want), 4)
        except ValueError:
            return False
    return str(have) == want


def matches(meta: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    """Every filter holds: ``hash`` by prefix, ``recipe`` by name, any other key by tag value."""
    tags = {**(meta.get("tags") or {}), "seed": meta.get("seed"), "model": meta.get("model")}
    for key, want in filters.items():
        if key == "hash":
            if not str(meta.get("hash", "")).startswith(want):
                return False
        elif key == "recipe":
            if meta.get("recipe") != want:
                return False
        elif key not in tags or not _equal(tags[key], want):
            return False
    return True


def plain_state_dict(payload: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A saved state's tensors under plain names, masks applied (see the module docstring)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in payload.items():
        if key.endswith(".weight_mask"):
            continue
        if key.endswith(".weight_orig"):
            name = key[: -len("_orig")]
            mask = payload[name + "_mask"].to(value.dtype)
            out[name] = (value * mask).contiguous()
        else:
            out[key] = value
    return out


def restore(states_dir: Path, digest: str, destination: Path) -> Path:
    """Write state ``digest`` as a plain state_dict file at ``destination`` (atomically)."""
    read_state(states_dir, digest)  # one clear line when the state is not in the cache
    payload = torch.load(states_dir / digest / "state.pt", map_location="cpu", weights_only=True)
    plain = plain_state_dict(payload)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic.replacing(destination) as tmp:
        torch.save(plain, tmp)
    return destination
