"""An experiment tree with provenance: states named by content hashes, cached on disk, reused.

Idea from facebookresearch/dagger (no code taken): a *state* (a network with its masks and metrics) is
made by applying a *recipe* (init, train, prune, rewind, ...) to a parent state. Its name is the
SHA-256 of (parent name, recipe name, recipe properties, other input states, seed), so the name says
exactly how the state was made, and the same request always finds the same state on disk. Hence a
rerun recomputes nothing, adding a seed computes only that seed, and a killed run resumes from the
last state it saved.

On disk, ``<cache_dir>/states/<hash>/`` holds ``state.pt`` (the model's state_dict, masks included)
and ``state.json`` (recipe, properties, parent, seed, metrics, engine version, tags, and the SHA-256 of
``state.pt`` as ``payload_sha256`` since object storage: which weights it describes). A state folder
is written under a temporary name and renamed into place, so a killed run never leaves half a state.

Tags (arm, round, sparsity, seed, model) say what a state is *for*; they are never part of its name,
so tagging cannot orphan a cached state. A state reused under a tag it lacks gets the tag added to
its ``state.json`` (a value already there under another one makes the tag a list of both). Several
processes may share one cache (seeds and independent arms in parallel): a per-state lock file makes
sure a state asked for by two of them at once is computed once, and that tag updates never race.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core import atomic
from core.digests import sha256_file
from core.store import Store
from reproducers import models, pruning

#: Bumped when recipes change meaning, so states of an older engine are never reused silently.
#: 2: a restored pruned network's ``weight`` is recomputed at load; under 1, magnitude pruning of a
#: restored network (IMP rounds ≥ 2) ranked nn.Linear's default (global-RNG) weights, not the trained ones.
ENGINE_VERSION = 2

Payload = dict[str, torch.Tensor]
#: A recipe's implementation: (context, parent model or None, properties, input models) → metrics.
RecipeFn = Callable[["Context", nn.Module | None, Mapping[str, Any], Mapping[str, nn.Module]], dict[str, Any]]


def state_hash(
    parent: str | None, recipe: str, properties: Mapping[str, Any], refs: Mapping[str, str], seed: int
) -> str:
    """The content name of a state: what it was made from and how (32 hex digits of SHA-256)."""
    body = {
        "engine": ENGINE_VERSION,
        "parent": parent,
        "recipe": recipe,
        "properties": properties,
        "refs": dict(refs),
        "seed": seed,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Recipe:
    """An edge of the tree: a named operation with the properties that define it."""

    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class State:
    """A node: identity, provenance and metrics; the network itself is loaded only when needed."""

    hash: str
    recipe: str
    properties: dict[str, Any]
    parent: str | None
    refs: dict[str, str]
    seed: int
    model_name: str
    metrics: dict[str, Any]
    computed: bool  # True when this run computed it, False when it came from the cache
    tree: Tree = field(repr=False)
    tags: dict[str, Any] = field(default_factory=dict)

    def model(self) -> nn.Module:
        """A fresh copy of this state's network (masks installed) on the tree's device."""
        return self.tree.load_model(self)


@dataclass
class Context:
    """What recipes may use besides their inputs: the replicate's seed, the device, data access."""

    seed: int
    device: torch.device
    data: Callable[[str, tuple[int, int, int]], Any]
    progress: Callable[[int, int], None] | None = None
    #: the labels of the seed's training split, without loading images (per-class facts)
    train_labels: Callable[[str, tuple[int, int, int]], Any] | None = None


class Tree:
    """Applies recipes to states, reusing any state already in ``<cache_dir>/states``."""

    def __init__(
        self,
        cache_dir: Path,
        context: Context,
        recipes: Mapping[str, RecipeFn],
        store: Store | None = None,
    ) -> None:
        """``store``: object storage that ``cache_dir`` mirrors (``core.store``): a state missing here
        is fetched from it before it is computed, and every state saved or retagged is published."""
        self.root_dir = Path(cache_dir) / "states"
        self.store = store if store is not None and not store.local else None
        #: states whose copy in the store mixed two workers' files: replaced once computed here
        self._mismatched: set[str] = set()
        self.context = context
        self.recipes = dict(recipes)
        #: (recipe name, state hash) of every state computed (not reused) by this tree, in order.
        self.executed: list[tuple[str, str]] = []
        self.reused: list[tuple[str, str]] = []

    # -- building ------------------------------------------------------------------------------
    def root(self, recipe: Recipe, model_name: str, *, tags: Mapping[str, Any] | None = None) -> State:
        """The root of a replicate's tree: ``recipe`` (an init) applied to nothing."""
        properties = {"model": model_name, **recipe.properties}
        return self._get(None, recipe.name, properties, {}, model_name, tags)

    def apply(
        self, recipe: Recipe, parent: State, *, tags: Mapping[str, Any] | None = None, **refs: State
    ) -> State:
        """The state made by ``recipe`` from ``parent`` (and named input states such as ``to=init``).

        ``tags`` (arm, round, sparsity...) are recorded in the state's JSON, never in its name; the
        seed and the model are always added.
        """
        return self._get(parent, recipe.name, dict(recipe.properties), refs, parent.model_name, tags)

    def annotation(
        self, state: State, name: str, key: Mapping[str, Any], compute: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Facts derived from a state (e.g. per-class difficulty), cached beside it, computed once.

        An annotation is not a state: it changes no network, so it gets no node in the tree, only a
        JSON file ``annotations/<name>-<digest of key>.json`` in the state's folder.
        """
        digest = hashlib.sha256(json.dumps(dict(key), sort_keys=True, default=_jsonable).encode()).hexdigest()
        path = self.path(state.hash) / "annotations" / f"{name}-{digest[:16]}.json"
        stored = f"states/{state.hash}/annotations/{path.name}"
        if path.is_file() or (self.store is not None and self.store.fetch(stored)):
            return json.loads(path.read_text())["value"]
        with self._lock(state.hash):
            if path.is_file():
                return json.loads(path.read_text())["value"]
            value = compute()
            path.parent.mkdir(exist_ok=True)
            body = {"name": name, "key": dict(key), "value": value, "engine": ENGINE_VERSION}
            atomic.write_text(path, json.dumps(body, sort_keys=True, indent=1, default=_jsonable))
            if self.store is not None:
                self.store.publish(stored)
        return value

    # -- storage -------------------------------------------------------------------------------
    def path(self, digest: str) -> Path:
        return self.root_dir / digest

    def lineage(self, digest: str) -> list[dict[str, Any]]:
        """The provenance of a state: its JSON and its ancestors' (root first), read from the cache.

        This is how a number in runs.csv is traced back: its ``state_hash`` names the training, whose
        parents name the pruning, rewinding and initialisation that preceded it.
        """
        chain: list[dict[str, Any]] = []
        current: str | None = digest
        while current is not None:
            meta = json.loads((self.path(current) / "state.json").read_text())
            chain.append(meta)
            current = meta["parent"]
        return chain[::-1]

    def load_model(self, state: State) -> nn.Module:
        payload: Payload = torch.load(
            self.path(state.hash) / "state.pt", map_location="cpu", weights_only=True
        )
        model = models.build(state.model_name)
        for key in [k for k in payload if k.endswith(".weight_mask")]:  # stored as bool, used as float
            payload[key] = payload[key].to(payload[key[: -len("_mask")] + "_orig"].dtype)
        pruned = {k[: -len(".weight_mask")]: v for k, v in payload.items() if k.endswith(".weight_mask")}
        pruning.apply_masks(model, pruned)
        model.load_state_dict(payload, strict=True)
        model = model.to(self.context.device)
        # load_state_dict fills weight_orig and weight_mask in place, but ``weight`` (an attribute that
        # the pruning hook recomputes only at the next forward) still holds the freshly built model's
        # default weights × mask; torch's pruning methods rank ``weight``, so recompute it now.
        pruning.refresh(model)
        return model

    def _get(
        self,
        parent: State | None,
        recipe: str,
        properties: dict[str, Any],
        refs: Mapping[str, State],
        model_name: str,
        tags: Mapping[str, Any] | None = None,
    ) -> State:
        seed = self.context.seed
        ref_hashes = {name: state.hash for name, state in refs.items()}
        digest = state_hash(parent.hash if parent else None, recipe, properties, ref_hashes, seed)
        wanted = {"seed": seed, "model": model_name, **(tags or {})}
        cached = self._reuse(digest, recipe, properties, ref_hashes, model_name, wanted)
        if cached is not None:
            return cached
        with self._lock(digest):
            # another process may have computed it while this one waited for the lock
            cached = self._reuse(digest, recipe, properties, ref_hashes, model_name, wanted, locked=True)
            if cached is not None:
                return cached
            return self._compute(parent, recipe, properties, refs, model_name, digest, wanted)

    def _reuse(
        self,
        digest: str,
        recipe: str,
        properties: dict[str, Any],
        ref_hashes: dict[str, str],
        model_name: str,
        wanted: dict[str, Any],
        *,
        locked: bool = False,
    ) -> State | None:
        """The cached state, its JSON updated with any tag it lacks; None when not on disk.

        ``locked``: the caller holds this state's lock already (a second flock would wait forever).
        """
        meta_path = self.path(digest) / "state.json"
        if self.store is not None and meta_path.is_file():
            self.store.refresh(f"states/{digest}/state.json")  # the tags other workers added since
        elif (self.store is not None and not self._fetch(digest)) or not meta_path.is_file():
            return None
        meta = json.loads(meta_path.read_text())
        if merge_tags(meta.get("tags") or {}, wanted) != (meta.get("tags") or {}):
            lock = contextlib.nullcontext() if locked else self._lock(digest)
            with lock:  # re-read under the lock: another process may be tagging it
                meta = json.loads(meta_path.read_text())
                merged = merge_tags(meta.get("tags") or {}, wanted)
                if merged != meta.get("tags"):
                    meta["tags"] = merged
                    atomic.write_text(
                        meta_path, json.dumps(meta, sort_keys=True, indent=1, default=_jsonable)
                    )
                    if self.store is not None:  # fetched fresh above: only a simultaneous tagger races
                        self.store.publish(f"states/{digest}/state.json", replace=True)
        self.reused.append((recipe, digest))
        seed = self.context.seed
        state = State(
            digest,
            recipe,
            properties,
            meta["parent"],
            ref_hashes,
            seed,
            model_name,
            meta["metrics"],
            False,
            self,
        )
        state.tags = meta["tags"] if "tags" in meta else dict(wanted)
        return state

    def _fetch(self, digest: str) -> bool:
        """The state from object storage into this mirror; False when the store lacks it, or when its
        weights are not the ones its ``state.json`` names (two workers that raced on one state)."""
        if not self.store.fetch(f"states/{digest}", "state.json"):  # type: ignore[union-attr]
            return False
        folder = self.path(digest)
        expected = json.loads((folder / "state.json").read_text()).get("payload_sha256")
        if expected and sha256_file(folder / "state.pt") != expected:
            shutil.rmtree(folder, ignore_errors=True)  # computed here instead, then published whole
            self._mismatched.add(digest)
            return False
        return True

    def _compute(
        self,
        parent: State | None,
        recipe: str,
        properties: dict[str, Any],
        refs: Mapping[str, State],
        model_name: str,
        digest: str,
        tags: dict[str, Any],
    ) -> State:
        seed = self.context.seed
        ref_hashes = {name: state.hash for name, state in refs.items()}
        fn = self.recipes.get(recipe)
        if fn is None:
            raise ValueError(f"unknown recipe {recipe!r}; known: {', '.join(sorted(self.recipes))}")
        start = time.perf_counter()
        model = parent.model() if parent is not None else None
        inputs = {name: state.model() for name, state in refs.items()}
        result = fn(self.context, model, properties, inputs)
        built: nn.Module = result.pop("model")
        metrics = {
            **result,
            "sparsity": pruning.sparsity(built),
            "layer_sparsity": pruning.layer_sparsity(built),
            "recipe_wall_s": time.perf_counter() - start,
        }
        meta = {
            "hash": digest,
            "engine": ENGINE_VERSION,
            "recipe": recipe,
            "properties": properties,
            "parent": parent.hash if parent else None,
            "refs": ref_hashes,
            "seed": seed,
            "model": model_name,
            "device": str(self.context.device),
            "metrics": metrics,
            "tags": tags,
        }
        self._save(digest, built, meta)
        self.executed.append((recipe, digest))
        state = State(
            digest, recipe, properties, meta["parent"], ref_hashes, seed, model_name, metrics, True, self
        )
        state.tags = dict(tags)
        return state

    @contextlib.contextmanager
    def _lock(self, digest: str):
        """An exclusive advisory lock on one state (``states/.locks/<hash>``), shared by processes."""
        locks = self.root_dir / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / digest, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _save(self, digest: str, model: nn.Module, meta: dict[str, Any]) -> None:
        """Write the state folder under a temporary name, then rename it into place."""
        self.root_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root_dir, prefix=f".tmp-{digest}-"))
        try:
            payload = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
            for key in [k for k in payload if k.endswith(".weight_mask")]:
                payload[key] = payload[key].bool()  # a quarter of the float mask's size on disk
            torch.save(payload, tmp / "state.pt")
            # which weights this JSON describes: a mirror of object storage checks it on fetch
            meta = {**meta, "payload_sha256": sha256_file(tmp / "state.pt")}
            (tmp / "state.json").write_text(json.dumps(meta, sort_keys=True, indent=1, default=_jsonable))
            atomic.place_folder(tmp, self.path(digest), self.path(digest) / "state.json")  # or a twin's
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        if self.store is not None:  # before the next state: a killed worker loses only the one running
            self.store.publish(f"states/{digest}", "state.json", replace=digest in self._mismatched)


def merge_tags(existing: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``existing`` with ``new``'s tags added; a key with two different values keeps both, as a list.

    A state can serve several purposes (one initialisation is the root of every arm of a seed; the
    same initialisation can be asked for by two papers), and its tags record all of them.
    """
    merged = dict(existing)
    for key, value in new.items():
        if key not in merged:
            merged[key] = value
            continue
        current = merged[key] if isinstance(merged[key], list) else [merged[key]]
        if value not in current:
            merged[key] = sorted([*current, value], key=lambda v: (str(type(v)), v))
    return merged


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | set):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not serialisable in a state's identity: {type(value).__name__}")
