"""One seed of a protocol: run its plan (``reproducers.plans``) and turn trained states into rows.

Each trained state becomes one runs.csv row and ten per_class.csv rows. The per-class rows also
carry facts about the class for the per-class analysis (its count and share in the seed's training
split; its difficulty for the seed's dense network: mean predictive entropy and loss on its test
examples). They are extra keys of the row dicts: per_class.csv keeps its columns, and the pipeline
writes them to class_facts.csv.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import torch
from torch import nn

from reproducers.connectivity import effective_sparsity, is_chain
from reproducers.plans import PLANS, Key, branches, count_trainings, nominal_remaining
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.tree import State, Tree

__all__ = ["PLANS", "branches", "count_trainings", "nominal_remaining", "run_plan"]

Rows = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def run_plan(
    tree: Tree,
    spec: PaperSpec,
    protocol: Protocol,
    note: Callable[[str], None],
    only: Collection[Key] | None = None,
) -> Rows:
    """Build (or find) every state of one seed and turn trained states into rows.

    ``only``: build just these branches (a worker's share of the seed); no rows are made then, the
    states are what counts (the seed's rows come from one more walk over the cached tree).
    """
    start = time.perf_counter()
    results = PLANS[protocol.experiment](tree, spec, protocol, note, only)
    if only is not None:
        return [], []
    runs, per_class = [], []
    facts = _class_facts(tree, protocol, results)
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
                    **facts.get((state.model_name, int(cls)), {}),
                }
            )
    note(
        f"seed {tree.context.seed} done in {time.perf_counter() - start:.1f}s "
        f"({len(tree.executed)} computed, {len(tree.reused)} reused)"
    )
    return runs, per_class


def _effective_sparsity(state: State, mask_sparsity: float) -> float:
    """Effective sparsity of a trained state, from its stored masks (the state and its hash are untouched).

    Computed when rows are built, not stored in the state, so cached states of any engine version get
    it too; an unpruned network has no disconnected units, so its masks are not even loaded. A network
    with residual shortcuts (the CIFAR ResNets) is not a chain of layers: NaN, not a wrong number.
    """
    if mask_sparsity == 0:
        return 0.0
    model = state.model()
    if not is_chain(model):
        return math.nan
    return round(effective_sparsity(model), 6)


def _class_facts(tree: Tree, protocol: Protocol, results: list) -> dict[tuple[str, int], dict[str, Any]]:
    """(model, class) → training count and share, and the dense network's difficulty per class."""
    labels_of = tree.context.train_labels
    counts: np.ndarray | None = None
    if labels_of is not None:
        labels = np.asarray(labels_of(protocol.dataset, tuple(protocol.split)))
        counts = np.bincount(labels, minlength=10)
    facts: dict[tuple[str, int], dict[str, Any]] = {}
    key = {"dataset": protocol.dataset, "split": list(protocol.split)}
    for arm, _, _, state, _ in results:
        if arm != "dense":
            continue
        difficulty = tree.annotation(
            state, "class_difficulty", key, lambda s=state: _difficulty(tree, s, key)
        )
        for cls in range(10):
            row: dict[str, Any] = {
                "difficulty_entropy": difficulty["entropy"][str(cls)],
                "difficulty_loss": difficulty["loss"][str(cls)],
            }
            if counts is not None:
                row.update(train_n=int(counts[cls]), train_share=float(counts[cls] / counts.sum()))
            facts[(state.model_name, cls)] = row
    return facts


@torch.no_grad()
def _difficulty(tree: Tree, state: State, key: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per class, the dense network's mean predictive entropy (nats) and cross-entropy on its test
    examples: how uncertain and how wrong the unpruned network is about the class ("class entropy"
    in Paganini's Prune Responsibly)."""
    data = tree.context.data(key["dataset"], tuple(key["split"]))
    model = state.model()
    model.eval()
    entropy, loss = [], []
    for start in range(0, len(data.test_y), 2000):
        logits = model(data.test_x[start : start + 2000]).double()
        log_p = nn.functional.log_softmax(logits, dim=1)
        entropy.append(-(log_p.exp() * log_p).sum(1))
        loss.append(nn.functional.nll_loss(log_p, data.test_y[start : start + 2000], reduction="none"))
    ent, los, y = torch.cat(entropy).cpu(), torch.cat(loss).cpu(), data.test_y.cpu()
    out: dict[str, dict[str, float]] = {"entropy": {}, "loss": {}}
    for cls in range(10):
        chosen = y == cls
        out["entropy"][str(cls)] = float(ent[chosen].mean()) if chosen.any() else float("nan")
        out["loss"][str(cls)] = float(los[chosen].mean()) if chosen.any() else float("nan")
    return out
