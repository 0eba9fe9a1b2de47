"""Pruning on ``torch.nn.utils.prune``: magnitude (layer-wise, global), random, SNIP; rewind; sparsity.

Why these helpers exist: ``torch.nn.utils.prune`` stores the trainable tensor as ``weight_orig`` and the
mask as the buffer ``weight_mask``, recomputing ``weight`` before each forward. Three pitfalls follow
and are handled here: rewinding must overwrite ``weight_orig`` and keep the mask; sparsity must be
counted on the effective weight (mask), never on ``weight_orig``; an optimizer built before pruning
holds the old ``weight`` parameter, so training code must build its optimizer after pruning. A fourth:
``module.weight`` is a plain attribute recomputed only by the forward pre-hook, and torch's pruning
methods rank *it*; after ``weight_orig`` is overwritten (rewind, reinit, loading a state_dict) it is
stale until :func:`refresh` recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn
from torch.nn.utils import prune

from reproducers.models import prunable


def masks(model: nn.Module) -> dict[str, torch.Tensor]:
    """Current 0/1 mask of every prunable layer (all ones for a layer never pruned)."""
    out = {}
    for name, layer in prunable(model):
        mask = getattr(layer, "weight_mask", None)
        out[name] = mask.detach().clone() if mask is not None else torch.ones_like(layer.weight)
    return out


def effective_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """The weights the forward pass uses: ``weight_orig * weight_mask`` (what ``module.weight`` is)."""
    out = {}
    for name, layer in prunable(model):
        if hasattr(layer, "weight_mask"):
            out[name] = (layer.weight_orig * layer.weight_mask).detach()
        else:
            out[name] = layer.weight.detach()
    return out


def sparsity(model: nn.Module) -> float:
    """Fraction of prunable weights that are masked out, over all prunable layers together."""
    zeros = total = 0
    for mask in masks(model).values():
        zeros += int((mask == 0).sum())
        total += mask.numel()
    return zeros / total


def layer_sparsity(model: nn.Module) -> dict[str, float]:
    """Per-layer masked fraction (recorded in a state's metrics for provenance)."""
    return {name: float((mask == 0).float().mean()) for name, mask in masks(model).items()}


def layerwise_magnitude(model: nn.Module, rates: Mapping[str, float]) -> None:
    """Prune each layer's smallest-magnitude surviving weights by its own rate (LTH's IMP step).

    Calling it again stacks a ``PruningContainer`` that acts on surviving weights only, so a rate of
    0.2 per round leaves 0.8^k of the layer after k rounds.
    """
    refresh(model)  # torch ranks ``module.weight``, which is stale after weight_orig was overwritten
    for name, layer in prunable(model):
        rate = rates.get(name, rates.get("*", 0.0))
        if rate > 0:
            prune.l1_unstructured(layer, "weight", amount=rate)


def global_magnitude(model: nn.Module, amount: float) -> None:
    """Prune the ``amount`` fraction of surviving weights with the smallest magnitude across layers."""
    refresh(model)  # as in layerwise_magnitude: rank the effective weights, never stale ones
    params = [(layer, "weight") for _, layer in prunable(model)]
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)


def random_prune(model: nn.Module, amount: float, gen: torch.Generator) -> None:
    """Prune the same fraction of every layer at random, drawn from ``gen`` (the ``prune`` source).

    ``prune.random_unstructured`` draws from the global RNG, so it runs inside a forked RNG seeded
    from ``gen``: the draw is reproducible and the global RNG state is left as it was.
    """
    layer_seed = int(torch.randint(0, 2**62, (1,), generator=gen))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(layer_seed)
        for _, layer in prunable(model):
            prune.random_unstructured(layer, "weight", amount=amount)


def snip_scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Connection sensitivity |∂L/∂w ⊙ w| of every prunable weight on one mini-batch (SNIP, eq. 6)."""
    model.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    scores = {}
    for name, layer in prunable(model):
        weight = layer.weight_orig if hasattr(layer, "weight_orig") else layer.weight
        scores[name] = (weight.grad * weight).abs().detach()
    model.zero_grad(set_to_none=True)
    return scores


def snip_prune(model: nn.Module, amount: float, x: torch.Tensor, y: torch.Tensor) -> None:
    """Keep the (1 − amount) connections with the highest sensitivity, globally across layers."""
    scores = snip_scores(model, x, y)
    layers = dict(prunable(model))
    params = [(layers[name], "weight") for name in scores]
    importance = {(layers[name], "weight"): score for name, score in scores.items()}
    prune.global_unstructured(
        params, pruning_method=prune.L1Unstructured, importance_scores=importance, amount=amount
    )


@torch.no_grad()
def rewind(model: nn.Module, init_state: Mapping[str, torch.Tensor]) -> None:
    """Reset every surviving weight to its value in ``init_state`` (a state_dict), keeping the masks.

    ``init_state`` may come from an unpruned model (keys ``fc1.weight``) or a pruned one
    (``fc1.weight_orig``); either way the values land in ``weight_orig`` and the mask is untouched.
    """
    for name, layer in prunable(model):
        source = init_state.get(f"{name}.weight_orig", init_state.get(f"{name}.weight"))
        target = layer.weight_orig if hasattr(layer, "weight_orig") else layer.weight
        target.copy_(source.to(target.device))
        if layer.bias is not None:
            layer.bias.copy_(init_state[f"{name}.bias"].to(layer.bias.device))
    refresh(model)


@torch.no_grad()
def refresh(model: nn.Module) -> None:
    """Recompute ``weight = weight_orig * weight_mask`` now, as the pruning pre-hook does on forward.

    Without this, ``module.weight`` stays stale after ``weight_orig`` is overwritten (rewind, reinit)
    until the next forward pass, and anything reading it in between sees the old weights.
    """
    for _, layer in prunable(model):
        if hasattr(layer, "weight_mask"):
            layer.weight = layer.weight_orig * layer.weight_mask


def apply_masks(model: nn.Module, mask_by_layer: Mapping[str, torch.Tensor]) -> None:
    """Install saved masks on a freshly built model (restoring a pruned state from disk)."""
    layers = dict(prunable(model))
    for name, mask in mask_by_layer.items():
        prune.custom_from_mask(layers[name], "weight", mask.to(layers[name].weight.device))


class LowestScore(prune.BasePruningMethod):
    """Prune the ``amount`` entries with the lowest scores, signs included (no absolute value).

    ``prune.L1Unstructured`` ranks |score|, which is right for magnitudes but wrong for a signed
    score such as GraSP's. Fed to ``prune.global_unstructured`` with ``importance_scores``, it ranks
    the scores of all layers together, among the weights that are still unpruned.
    ``amount``: a fraction of the surviving entries, or an exact count (int).
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        prune._validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: torch.Tensor, default_mask: torch.Tensor) -> torch.Tensor:
        size = t.nelement()
        count = prune._compute_nparams_toprune(self.amount, size)
        prune._validate_pruning_amount(count, size)
        mask = default_mask.clone(memory_format=torch.contiguous_format)
        if count:
            lowest = torch.topk(t.view(-1), k=count, largest=False)
            mask.view(-1)[lowest.indices] = 0
        return mask


def prune_by_scores(
    model: nn.Module, scores: Mapping[str, torch.Tensor], amount: int | float, *, invert: bool = False
) -> None:
    """Prune ``amount`` of the surviving weights with the lowest ``scores``, globally across layers.

    ``invert`` prunes the highest scores instead (the inversion sanity check of Frankle et al.).
    """
    layers = dict(prunable(model))
    params = [(layers[name], "weight") for name in scores]
    importance = {(layers[name], "weight"): (-s if invert else s) for name, s in scores.items()}
    prune.global_unstructured(params, pruning_method=LowestScore, importance_scores=importance, amount=amount)


def iterative_masks(
    model: nn.Module,
    score_fn: Callable[[dict[str, torch.Tensor]], Mapping[str, torch.Tensor]],
    amount: float,
    iterations: int,
    *,
    invert: bool = False,
) -> dict[str, torch.Tensor]:
    """Masks after ``iterations`` rounds of scoring and pruning to an exponentially falling density.

    SynFlow's schedule: after round k of n, a fraction (1 − amount)^(k/n) of the weights is kept, so
    the last round reaches exactly ``round(total × (1 − amount))``. ``score_fn(masks)`` scores the
    network under the masks so far; each round prunes the lowest scores among surviving weights with
    :class:`LowestScore` (the highest with ``invert``). The model is not modified (install the
    result with :func:`apply_masks`).
    """
    current = masks(model)
    names = list(current)
    total = sum(mask.numel() for mask in current.values())
    for k in range(1, iterations + 1):
        keep = round(total * (1 - amount) ** (k / iterations))
        flat_mask = torch.cat([current[name].flatten() for name in names])
        count = int(flat_mask.sum()) - keep
        if count <= 0:
            continue
        scores = score_fn(current)
        flat_scores = torch.cat([scores[name].flatten() for name in names])
        if invert:
            flat_scores = -flat_scores
        survivors = flat_mask == 1
        partial = LowestScore(count).compute_mask(flat_scores[survivors], flat_mask[survivors])
        flat_mask = flat_mask.clone()
        flat_mask[survivors] = partial
        pointer = 0
        for name in names:
            n = current[name].numel()
            current[name] = flat_mask[pointer : pointer + n].view_as(current[name])
            pointer += n
    return current


@torch.no_grad()
def shuffle_masks(model: nn.Module, gen: torch.Generator) -> None:
    """Permute each pruned layer's mask at random (same count per layer, new positions), in place.

    The sanity check of Frankle et al. (ICLR 2021): it keeps a method's per-layer sparsities and
    throws away its per-weight choices. The pruning hook reads ``weight_mask`` at every forward, so
    overwriting the buffer is enough; ``weight`` is refreshed at once.
    """
    for _, layer in prunable(model):
        mask = getattr(layer, "weight_mask", None)
        if mask is None:
            continue
        order = torch.randperm(mask.numel(), generator=gen).to(mask.device)
        mask.copy_(mask.flatten()[order].view_as(mask))
    refresh(model)
