"""An experiment tree with provenance: states named by content hashes, cached on disk, reused.

Idea from facebookresearch/dagger (no code taken): a *state* (a network with its masks and metrics) is
made by applying a *recipe* (init, train, prune, rewind, ...) to a parent state. Its name is the
SHA-256 of (parent name, recipe name, recipe properties, other input states, seed), so the name says
exactly how the state was made, and the same request always finds the same state on disk. Hence a
rerun recomputes nothing, adding a seed computes only that seed, and a killed run resumes from the
last state it saved.

On disk, ``<cache_dir>/states/<hash>/`` holds ``state.pt`` (the model's state_dict, masks included)
and ``state.json`` (recipe, properties, parent, seed, metrics, engine version). A state folder is
written under a temporary name and renamed into place, so a killed run never leaves half a state.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

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


class Tree:
    """Applies recipes to states, reusing any state already in ``<cache_dir>/states``."""

    def __init__(self, cache_dir: Path, context: Context, recipes: Mapping[str, RecipeFn]) -> None:
        self.root_dir = Path(cache_dir) / "states"
        self.context = context
        self.recipes = dict(recipes)
        #: (recipe name, state hash) of every state computed (not reused) by this tree, in order.
        self.executed: list[tuple[str, str]] = []
        self.reused: list[tuple[str, str]] = []

    # -- building ------------------------------------------------------------------------------
    def root(self, recipe: Recipe, model_name: str) -> State:
        """The root of a replicate's tree: ``recipe`` (an init) applied to nothing."""
        properties = {"model": model_name, **recipe.properties}
        return self._get(None, recipe.name, properties, {}, model_name)

    def apply(self, recipe: Recipe, parent: State, **refs: State) -> State:
        """The state made by ``recipe`` from ``parent`` (and named input states such as ``to=init``)."""
        return self._get(parent, recipe.name, dict(recipe.properties), refs, parent.model_name)

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
    ) -> State:
        seed = self.context.seed
        ref_hashes = {name: state.hash for name, state in refs.items()}
        digest = state_hash(parent.hash if parent else None, recipe, properties, ref_hashes, seed)
        meta_path = self.path(digest) / "state.json"
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text())
            self.reused.append((recipe, digest))
            return State(
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
        }
        self._save(digest, built, meta)
        self.executed.append((recipe, digest))
        return State(
            digest, recipe, properties, meta["parent"], ref_hashes, seed, model_name, metrics, True, self
        )

    def _save(self, digest: str, model: nn.Module, meta: dict[str, Any]) -> None:
        """Write the state folder under a temporary name, then rename it into place."""
        self.root_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root_dir, prefix=f".tmp-{digest}-"))
        try:
            payload = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
            for key in [k for k in payload if k.endswith(".weight_mask")]:
                payload[key] = payload[key].bool()  # a quarter of the float mask's size on disk
            torch.save(payload, tmp / "state.pt")
            (tmp / "state.json").write_text(json.dumps(meta, sort_keys=True, indent=1, default=_jsonable))
            try:
                os.rename(tmp, self.path(digest))
            except OSError:
                if not (self.path(digest) / "state.json").is_file():  # not a concurrent writer's copy
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | set):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not serialisable in a state's identity: {type(value).__name__}")
