"""The recipes of the experiment tree: init, train, prune (layer-wise / global magnitude, random, SNIP),
rewind and reinit. Each takes its parent's network and returns the new one plus metrics.

Every random draw uses a generator derived from the replicate seed and a named source, created
fresh inside the recipe: a recipe's result depends only on its inputs, properties and seed, which is
what its state hash records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from reproducers import models, pruning
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
    metrics = train(parent, data, schedule, generator(ctx.seed, "data_order"), ctx.progress)
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


RECIPES: dict[str, RecipeFn] = {
    "init": init_recipe,
    "train": train_recipe,
    "prune_layerwise": prune_layerwise_recipe,
    "prune_global": prune_global_recipe,
    "random_prune": random_prune_recipe,
    "snip": snip_recipe,
    "rewind": rewind_recipe,
    "reinit": reinit_recipe,
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
