"""The recipes of the experiment tree: init, train, prune (layer-wise / global magnitude, random, SNIP),
rewind and reinit; for the pruning-at-initialisation papers, prune_init (magnitude, SNIP, GraSP,
SynFlow, optionally inverted), mask_shuffle and weights_reinit. Each takes its parent's network and
returns the new one plus metrics.

Every random draw uses a generator derived from the replicate seed and a named source, created
fresh inside the recipe: a recipe's result depends only on its inputs, properties and seed, which is
what its state hash records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from reproducers import models, pruning, saliency
from reproducers.seeding import generator
from reproducers.training import Schedule, train
from reproducers.tree import Context, Recipe, RecipeFn

Model = nn.Module | None
Props = Mapping[str, Any]
Refs = Mapping[str, nn.Module]
#: "model" (the new network) plus metrics recorded in the state's JSON.
Result = dict[str, Any]


def init_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    model = models.build(props["model"])
    models.initialise(model, props["init"], generator(ctx.seed, "init"))
    return {"model": model.to(ctx.device)}


def train_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    assert parent is not None
    schedule = Schedule(**props["schedule"])
    data = ctx.data(props["dataset"], tuple(props["split"]))
    augment = generator(ctx.seed, "augment") if data.augment else None
    metrics = train(parent, data, schedule, generator(ctx.seed, "data_order"), ctx.progress, augment)
    return {"model": parent, **metrics}


def prune_layerwise_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    assert parent is not None
    pruning.layerwise_magnitude(parent, props["rates"])
    return {"model": parent}


def prune_global_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    assert parent is not None
    pruning.global_magnitude(parent, props["amount"])
    return {"model": parent}


def random_prune_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    assert parent is not None
    pruning.random_prune(parent, props["amount"], generator(ctx.seed, "prune"))
    return {"model": parent}


def snip_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    """SNIP on one mini-batch of the training split, drawn by the ``snip_batch`` source."""
    assert parent is not None
    data = ctx.data(props["dataset"], tuple(props["split"]))
    gen = generator(ctx.seed, "snip_batch")
    index = torch.randperm(len(data.train_y), generator=gen)[: props["batch_size"]].to(data.train_x.device)
    pruning.snip_prune(parent, props["amount"], data.train_x[index], data.train_y[index])
    return {"model": parent}


def rewind_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    """Reset surviving weights to the ``to`` state (LTH: the original initialisation); keep masks."""
    assert parent is not None
    pruning.rewind(parent, refs["to"].state_dict())
    return {"model": parent}


def reinit_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    """Random re-initialisation of the same mask (LTH's control): a fresh draw per pruning round.

    LTH draws a new θ′0 ∼ Dθ for every ticket it re-initialises; one shared draw for all rounds would
    make the rounds' controls dependent. The draw comes from the ``reinit/<round>`` source.
    """
    assert parent is not None
    models.initialise(parent, props["init"], generator(ctx.seed, f"reinit/{props['round']}"))
    pruning.refresh(parent)
    return {"model": parent}


def prune_init_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    """One pruning-at-initialisation method, global across layers (Frankle et al., ICLR 2021).

    ``method``: magnitude, snip, grasp (one balanced batch of ``samples_per_class`` per class from the
    ``score_batch`` source; GraSP at ``temperature``) or synflow (data-free, ``iterations`` rounds on
    an all-ones input of ``input_shape``). ``invert``: prune the weights the method would keep.
    """
    assert parent is not None
    method, amount, invert = props["method"], props["amount"], bool(props.get("invert", False))
    if method == "synflow":
        shape = tuple(props["input_shape"])
        final = pruning.iterative_masks(
            parent,
            lambda current: saliency.synflow_scores(parent, shape, current),
            amount,
            int(props["iterations"]),
            invert=invert,
        )
        pruning.apply_masks(parent, final)
        pruning.refresh(parent)
        return {"model": parent}
    if method == "magnitude":
        scores = saliency.magnitude_scores(parent)
    elif method in ("snip", "grasp"):
        data = ctx.data(props["dataset"], tuple(props["split"]))
        gen = generator(ctx.seed, "score_batch")
        x, y = saliency.balanced_batch(data.train_x, data.train_y, int(props["samples_per_class"]), gen)
        if method == "snip":
            scores = pruning.snip_scores(parent, x, y)
        else:
            scores = saliency.grasp_scores(parent, x, y, float(props["temperature"]))
    else:
        raise ValueError(f"unknown pruning method {method!r}; known: magnitude, snip, grasp, synflow")
    pruning.prune_by_scores(parent, scores, amount, invert=invert)
    return {"model": parent}


def mask_shuffle_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    """Shuffle each layer's mask at random (``mask_shuffle`` source); weights stay as they are."""
    assert parent is not None
    pruning.shuffle_masks(parent, generator(ctx.seed, "mask_shuffle"))
    return {"model": parent}


def weights_reinit_recipe(ctx: Context, parent: Model, props: Props, refs: Refs) -> Result:
    """New initial weights from the same distribution (``weights_reinit`` source); masks kept."""
    assert parent is not None
    models.initialise(parent, props["init"], generator(ctx.seed, "weights_reinit"))
    pruning.refresh(parent)
    return {"model": parent}


RECIPES: dict[str, RecipeFn] = {
    "init": init_recipe,
    "train": train_recipe,
    "prune_layerwise": prune_layerwise_recipe,
    "prune_global": prune_global_recipe,
    "random_prune": random_prune_recipe,
    "snip": snip_recipe,
    "rewind": rewind_recipe,
    "reinit": reinit_recipe,
    "prune_init": prune_init_recipe,
    "mask_shuffle": mask_shuffle_recipe,
    "weights_reinit": weights_reinit_recipe,
}


def init(scheme: str, device_type: str) -> Recipe:
    """The root recipe. The device type is part of every descendant's identity: CPU and GPU
    arithmetic differ in the last bits, so their states are different states."""
    return Recipe("init", {"init": scheme, "device": device_type})


def training(schedule: Schedule, dataset: str, split: tuple[int, int, int]) -> Recipe:
    return Recipe("train", {"schedule": _schedule_props(schedule), "dataset": dataset, "split": list(split)})


def _schedule_props(schedule: Schedule) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(schedule)
    data["lr_milestones"] = list(schedule.lr_milestones)
    return data
