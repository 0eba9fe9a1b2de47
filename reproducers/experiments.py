"""The experiment plans: which states each paper's protocol builds for one seed, and which rows they give.

A plan only asks the tree for states; the tree decides what must be computed and what is cached.
Each trained state becomes one runs.csv row and ten per_class.csv rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reproducers import recipes
from reproducers.connectivity import effective_sparsity
from reproducers.models import build, prunable
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.tree import Recipe, State, Tree

Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]
Plan = Callable[
    [Tree, PaperSpec, Protocol, Callable[[str], None]], list[tuple[str, int, float, State, State]]
]


def nominal_remaining(model_name: str, rates: dict[str, float], rounds: int) -> float:
    """Fraction of prunable weights left after ``rounds`` of layer-wise pruning at ``rates``."""
    layers = prunable(build(model_name))
    total = sum(layer.weight.numel() for _, layer in layers)
    kept = sum(layer.weight.numel() * (1 - rates.get(name, 0.0)) ** rounds for name, layer in layers)
    return kept / total


def lth_imp(tree: Tree, spec: PaperSpec, protocol: Protocol, note: Callable[[str], None]):
    """Dense training, then ``rounds`` of prune → rewind to init → retrain; reinit controls."""
    out = []
    train = recipes.training(protocol.schedule, protocol.dataset, protocol.split)
    for model in protocol.models:
        init = tree.root(recipes.init(protocol.init, tree.context.device.type), model)
        note(f"{model} dense")
        trained = tree.apply(train, init)
        out.append(("dense", 0, 0.0, trained, init))
        for k in range(1, protocol.rounds + 1):
            target = round(1 - nominal_remaining(model, protocol.prune_rates, k), 4)
            pruned = tree.apply(Recipe("prune_layerwise", {"rates": dict(protocol.prune_rates)}), trained)
            rewound = tree.apply(Recipe("rewind", {}), pruned, to=init)
            note(f"{model} imp round {k}")
            trained = tree.apply(train, rewound)
            out.append(("imp", k, target, trained, init))
            if k in protocol.reinit_rounds:
                reinit = tree.apply(Recipe("reinit", {"init": protocol.init, "round": k}), rewound)
                note(f"{model} random_reinit round {k}")
                out.append(("random_reinit", k, target, tree.apply(train, reinit), init))
    return out


def snip(tree: Tree, spec: PaperSpec, protocol: Protocol, note: Callable[[str], None]):
    """Dense training, SNIP at each sparsity and random pruning controls, all from the same init."""
    out = []
    train = recipes.training(protocol.schedule, protocol.dataset, protocol.split)
    for model in protocol.models:
        init = tree.root(recipes.init(protocol.init, tree.context.device.type), model)
        note(f"{model} dense")
        out.append(("dense", 0, 0.0, tree.apply(train, init), init))
        for amount in protocol.sparsities:
            props = {
                "amount": amount,
                "batch_size": protocol.snip_batch,
                "dataset": protocol.dataset,
                "split": list(protocol.split),
            }
            pruned = tree.apply(Recipe("snip", props), init)
            note(f"{model} snip {amount:.0%}")
            out.append(("snip", 0, amount, tree.apply(train, pruned), init))
        for amount in protocol.random_sparsities:
            pruned = tree.apply(Recipe("random_prune", {"amount": amount}), init)
            note(f"{model} random {amount:.0%}")
            out.append(("random", 0, amount, tree.apply(train, pruned), init))
    return out


PLANS: dict[str, Plan] = {"lth_imp": lth_imp, "snip": snip}


def count_trainings(protocol: Protocol) -> int:
    """How many train recipes one seed of the protocol asks for (for progress totals)."""
    per_model = 1
    if protocol.experiment == "lth_imp":
        per_model += protocol.rounds + len([k for k in protocol.reinit_rounds if k <= protocol.rounds])
    else:
        per_model += len(protocol.sparsities) + len(protocol.random_sparsities)
    return per_model * len(protocol.models)


def _effective_sparsity(state: State, mask_sparsity: float) -> float:
    """Effective sparsity of a trained state, from its stored masks (the state and its hash are untouched).

    Computed when rows are built, not stored in the state, so cached states of any engine version get
    it too; an unpruned network has no disconnected units, so its masks are not even loaded.
    """
    if mask_sparsity == 0:
        return 0.0
    return round(effective_sparsity(state.model()), 6)


def run_plan(tree: Tree, spec: PaperSpec, protocol: Protocol, note: Callable[[str], None]) -> Rows:
    """Build (or find) every state of one seed and turn trained states into rows."""
    start = time.perf_counter()
    results = PLANS[protocol.experiment](tree, spec, protocol, note)
    runs, per_class = [], []
    for arm, rnd, target, state, init in results:
        m = state.metrics
        base = {
            "paper_id": spec.id,
            "protocol": protocol.name,
            "seed": tree.context.seed,
            "arm": arm,
            "model": state.model_name,
        }
        runs.append(
            {
                **base,
                "dataset": protocol.dataset,
                "target_sparsity": target,
                "sparsity": round(m["sparsity"], 6),
                "round": rnd,
                "test_accuracy": m["test_accuracy"],
                "test_loss": m["test_loss"],
                "val_loss": m["val_loss"],
                "early_stop_iteration": m["early_stop_iteration"],
                "iterations": m["iterations"],
                "wall_s": round(m["train_wall_s"], 3),
                "device": tree.context.device.type,
                "state_hash": state.hash,
                "val_accuracy": m["val_accuracy"],
                "final_test_accuracy": m["final_test_accuracy"],
                "reported_at_iteration": m["reported_at_iteration"],
                "parent_hash": state.parent,
                "init_hash": init.hash,
                "effective_sparsity": _effective_sparsity(state, m["sparsity"]),
            }
        )
        for cls, accuracy in sorted(m["per_class"].items(), key=lambda kv: int(kv[0])):
            per_class.append(
                {
                    **base,
                    "target_sparsity": target,
                    "sparsity": round(m["sparsity"], 6),
                    "round": rnd,
                    "class": int(cls),
                    "accuracy": accuracy,
                    "n": m["per_class_n"][cls],
                    "state_hash": state.hash,
                }
            )
    note(
        f"seed {tree.context.seed} done in {time.perf_counter() - start:.1f}s "
        f"({len(tree.executed)} computed, {len(tree.reused)} reused)"
    )
    return runs, per_class
