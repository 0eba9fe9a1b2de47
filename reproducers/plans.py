"""What each protocol builds for one seed: the states its plan asks the tree for, branch by branch.

A plan only asks the tree for states; the tree decides what must be computed and what is cached.
Every plan returns ``(arm, round, target sparsity, trained state, init state)`` per trained state and
tags every state it asks for (arm, round, sparsity; the tree adds seed and model).

Plans are cut into *branches* (:func:`branches`): the independent pieces of one seed's tree, such as
"SNIP at 95%" or "the IMP chain", which worker processes can build at the same time. ``only`` (a set
of branch keys) restricts a plan to those branches and to the states they need; states shared by two
branches (the initialisation, the dense network) are computed by whichever gets there first and
reused by the other (the tree's per-state lock).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from reproducers import recipes
from reproducers.datasets import input_shape
from reproducers.models import build, prunable
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.tree import Recipe, State, Tree

Result = tuple[str, int, float, State, State]
Note = Callable[[str], None]
Key = tuple[Any, ...]
Plan = Callable[..., list[Result]]

#: the sanity checks of "Missing the Mark", as arm suffixes
SANITY_ARMS = {"shuffle": "shuffled", "reinit": "reinit", "invert": "inverted"}


def nominal_remaining(model_name: str, rates: dict[str, float], rounds: int) -> float:
    """Fraction of prunable weights left after ``rounds`` of layer-wise pruning at ``rates``."""
    layers = prunable(build(model_name))
    total = sum(layer.weight.numel() for _, layer in layers)
    kept = sum(layer.weight.numel() * (1 - rates.get(name, 0.0)) ** rounds for name, layer in layers)
    return kept / total


def _tags(arm: str, rnd: int = 0, sparsity: float = 0.0) -> dict[str, Any]:
    return {"arm": arm, "round": rnd, "sparsity": round(float(sparsity), 4)}


def _wanted(only: Collection[Key] | None, *key: Any) -> bool:
    return only is None or tuple(key) in only


def lth_imp(
    tree: Tree, spec: PaperSpec, protocol: Protocol, note: Note, only: Collection[Key] | None = None
) -> list[Result]:
    """Dense training, then ``rounds`` of prune → rewind to init → retrain; reinit controls.

    Branches: ``(model, "imp")`` (dense and the chain) and ``(model, "random_reinit", k)`` (the
    control at round k, which needs the chain up to round k's rewound state).
    """
    out = []
    train = recipes.training(protocol.schedule, protocol.dataset, protocol.split)
    for model in protocol.models:
        chain = _wanted(only, model, "imp")
        controls = [
            k
            for k in protocol.reinit_rounds
            if k <= protocol.rounds and _wanted(only, model, "random_reinit", k)
        ]
        if not chain and not controls:
            continue
        last = protocol.rounds if chain else max(controls)
        init = tree.root(recipes.init(protocol.init, tree.context.device.type), model, tags=_tags("init"))
        note(f"{model} dense")
        trained = tree.apply(train, init, tags=_tags("dense"))
        if chain:
            out.append(("dense", 0, 0.0, trained, init))
        for k in range(1, last + 1):
            target = round(1 - nominal_remaining(model, protocol.prune_rates, k), 4)
            tags = _tags("imp", k, target)
            prune = Recipe("prune_layerwise", {"rates": dict(protocol.prune_rates)})
            pruned = tree.apply(prune, trained, tags=tags)
            rewound = tree.apply(Recipe("rewind", {}), pruned, to=init, tags=tags)
            if chain or k < last:
                note(f"{model} imp round {k}")
                trained = tree.apply(train, rewound, tags=tags)
                if chain:
                    out.append(("imp", k, target, trained, init))
            if k in controls:
                control_tags = _tags("random_reinit", k, target)
                reinit = tree.apply(
                    Recipe("reinit", {"init": protocol.init, "round": k}), rewound, tags=control_tags
                )
                note(f"{model} random_reinit round {k}")
                out.append(("random_reinit", k, target, tree.apply(train, reinit, tags=control_tags), init))
    return out


def snip(
    tree: Tree, spec: PaperSpec, protocol: Protocol, note: Note, only: Collection[Key] | None = None
) -> list[Result]:
    """Dense training, SNIP at each sparsity and random pruning controls, all from the same init.

    Branches: ``(model, "dense")``, ``(model, "snip", sparsity)``, ``(model, "random", sparsity)``.
    """
    out = []
    train = recipes.training(protocol.schedule, protocol.dataset, protocol.split)
    for model in protocol.models:
        init = tree.root(recipes.init(protocol.init, tree.context.device.type), model, tags=_tags("init"))
        if _wanted(only, model, "dense"):
            note(f"{model} dense")
            out.append(("dense", 0, 0.0, tree.apply(train, init, tags=_tags("dense")), init))
        for amount in protocol.sparsities:
            if not _wanted(only, model, "snip", amount):
                continue
            props = {
                "amount": amount,
                "batch_size": protocol.snip_batch,
                "dataset": protocol.dataset,
                "split": list(protocol.split),
            }
            pruned = tree.apply(Recipe("snip", props), init, tags=_tags("snip", 0, amount))
            note(f"{model} snip {amount:.0%}")
            out.append(("snip", 0, amount, tree.apply(train, pruned, tags=_tags("snip", 0, amount)), init))
        out += _random_controls(tree, protocol, model, init, train, note, only)
    return out


def _random_controls(tree, protocol, model, init, train, note, only) -> list[Result]:
    out = []
    for amount in protocol.random_sparsities:
        if not _wanted(only, model, "random", amount):
            continue
        tags = _tags("random", 0, amount)
        pruned = tree.apply(Recipe("random_prune", {"amount": amount}), init, tags=tags)
        note(f"{model} random {amount:.0%}")
        out.append(("random", 0, amount, tree.apply(train, pruned, tags=tags), init))
    return out


def prune_init_recipe(protocol: Protocol, method: str, amount: float, invert: bool = False) -> Recipe:
    """The ``prune_init`` recipe of one method at one sparsity, with the settings it depends on only."""
    props: dict[str, Any] = {"method": method, "amount": amount, "invert": invert}
    if method in ("snip", "grasp"):
        props.update(dataset=protocol.dataset, split=list(protocol.split))
        props["samples_per_class"] = protocol.samples_per_class
    if method == "grasp":
        props["temperature"] = protocol.grasp_temperature
    if method == "synflow":
        props.update(iterations=protocol.synflow_iterations, input_shape=list(input_shape(protocol.dataset)))
    return Recipe("prune_init", props)


def pai(
    tree: Tree, spec: PaperSpec, protocol: Protocol, note: Note, only: Collection[Key] | None = None
) -> list[Result]:
    """Pruning at initialisation with the sanity checks of Frankle et al. (ICLR 2021).

    Per model: the dense network; per sparsity and method, the method's mask trained from the
    initialisation (arm ``<method>``) and, per sanity check, the mask shuffled within each layer
    (``<method>_shuffled``), the mask with new initial weights (``<method>_reinit``) and the inverted
    scores (``<method>_inverted``); random pruning controls. Branches: ``(model, "dense")``,
    ``(model, arm, sparsity)``, ``(model, "random", sparsity)``.
    """
    out = []
    train = recipes.training(protocol.schedule, protocol.dataset, protocol.split)
    for model in protocol.models:
        init = tree.root(recipes.init(protocol.init, tree.context.device.type), model, tags=_tags("init"))
        if _wanted(only, model, "dense"):
            note(f"{model} dense")
            out.append(("dense", 0, 0.0, tree.apply(train, init, tags=_tags("dense")), init))
        for amount in protocol.sparsities:
            for method in protocol.methods:
                variants = [SANITY_ARMS[check] for check in protocol.sanity_checks]
                arms = [
                    a
                    for a in [method, *(f"{method}_{v}" for v in variants)]
                    if _wanted(only, model, a, amount)
                ]
                if not arms:
                    continue
                tags = _tags(method, 0, amount)
                pruned = None
                for arm in arms:
                    arm_tags = _tags(arm, 0, amount)
                    if arm == f"{method}_inverted":
                        start = tree.apply(
                            prune_init_recipe(protocol, method, amount, True), init, tags=arm_tags
                        )
                    else:
                        pruned = pruned or tree.apply(
                            prune_init_recipe(protocol, method, amount), init, tags=tags
                        )
                        start = pruned
                        if arm == f"{method}_shuffled":
                            start = tree.apply(Recipe("mask_shuffle", {}), pruned, tags=arm_tags)
                        elif arm == f"{method}_reinit":
                            reinit = Recipe("weights_reinit", {"init": protocol.init})
                            start = tree.apply(reinit, pruned, tags=arm_tags)
                    note(f"{model} {arm} {amount:.0%}")
                    out.append((arm, 0, amount, tree.apply(train, start, tags=arm_tags), init))
        out += _random_controls(tree, protocol, model, init, train, note, only)
    return out


PLANS: dict[str, Plan] = {"lth_imp": lth_imp, "snip": snip, "pai": pai}


def branches(protocol: Protocol) -> list[tuple[Key, int]]:
    """The independent branches of one seed's plan, with their number of trainings (their cost)."""
    out: list[tuple[Key, int]] = []
    for model in protocol.models:
        if protocol.experiment == "lth_imp":
            out.append(((model, "imp"), 1 + protocol.rounds))
            out += [((model, "random_reinit", k), 1) for k in protocol.reinit_rounds if k <= protocol.rounds]
            continue
        out.append(((model, "dense"), 1))
        if protocol.experiment == "snip":
            out += [((model, "snip", s), 1) for s in protocol.sparsities]
        elif protocol.experiment == "pai":
            variants = [SANITY_ARMS[check] for check in protocol.sanity_checks]
            for s in protocol.sparsities:
                for method in protocol.methods:
                    out += [((model, a, s), 1) for a in [method, *(f"{method}_{v}" for v in variants)]]
        out += [((model, "random", s), 1) for s in protocol.random_sparsities]
    return out


def count_trainings(protocol: Protocol) -> int:
    """How many train recipes one seed of the protocol asks for (for progress totals)."""
    return sum(cost for _, cost in branches(protocol))
