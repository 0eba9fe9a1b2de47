"""Importance scores of the pruning-at-initialisation methods: magnitude, SNIP, GraSP, SynFlow.

Every function returns one tensor per prunable layer (``models.prunable`` order), shaped like the
layer's weight, with one convention: **the lowest scores are pruned first**
(``pruning.prune_by_scores``). That makes "inverting" a method (Frankle et al., ICLR 2021: prune the
weights a method would keep) the same operation for all of them: prune the highest scores instead.

* magnitude: |w|.
* SNIP (Lee et al., ICLR 2019): |∂L/∂w ⊙ w| on one mini-batch (``pruning.snip_scores``).
* GraSP (Wang et al., ICLR 2020): the authors remove the weights with the highest
  S(−w) = −w ⊙ Hg, where g = ∇L at temperature T (the logits divided by T = 200) and Hg the
  Hessian-gradient product; here the score is −S = w ⊙ Hg, so that pruning its lowest values is
  their rule. Hg is one double-backward pass: ∇(gᵀ·stop_gradient(g)).
* SynFlow (Tanaka et al., NeurIPS 2020): with every parameter replaced by its absolute value and an
  all-ones input, R = 1ᵀ f(1); the score is |∂R/∂w ⊙ w|. It needs no data. Computed in float64, as
  the authors do, because R is a product over layers and overflows float32 in deep networks.

Scores are computed on the *effective* weights (``weight_orig × weight_mask`` once a layer is
pruned), so weights already pruned score 0 (SNIP, SynFlow, magnitude) and are never chosen again
(``torch.nn.utils.prune`` only prunes among surviving weights).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from reproducers.models import prunable

Scores = dict[str, torch.Tensor]


def _variable(layer: nn.Module) -> torch.Tensor:
    """The trainable tensor behind ``weight`` (``weight_orig`` once the layer is pruned)."""
    return layer.weight_orig if hasattr(layer, "weight_orig") else layer.weight


def _mask(layer: nn.Module) -> torch.Tensor:
    mask = getattr(layer, "weight_mask", None)
    return mask if mask is not None else torch.ones_like(_variable(layer))


def magnitude_scores(model: nn.Module) -> Scores:
    """|w| of the effective weights (pruned weights score 0)."""
    return {name: (_variable(layer) * _mask(layer)).detach().abs() for name, layer in prunable(model)}


def grasp_scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor, temperature: float = 200.0) -> Scores:
    """w ⊙ Hg on the batch (x, y) at ``temperature`` (GraSP's −S; see the module docstring).

    One batch, as Frankle et al.'s implementation of GraSP does (10 examples per class); the model is
    left as it was (no gradients kept, same mode).
    """
    layers = prunable(model)
    weights = [_variable(layer) for _, layer in layers]
    was_training = model.training
    model.train()
    loss = nn.functional.cross_entropy(model(x) / temperature, y)
    g = torch.autograd.grad(loss, weights)
    loss = nn.functional.cross_entropy(model(x) / temperature, y)
    g_graph = torch.autograd.grad(loss, weights, create_graph=True)
    z = sum((gi.detach() * gfi).sum() for gi, gfi in zip(g, g_graph, strict=True))
    hg = torch.autograd.grad(z, weights)
    model.train(was_training)
    model.zero_grad(set_to_none=True)
    return {name: (w * h).detach() for (name, _), w, h in zip(layers, weights, hg, strict=True)}


def synflow_scores(
    model: nn.Module, input_shape: Sequence[int], masks: Mapping[str, torch.Tensor] | None = None
) -> Scores:
    """|∂R/∂w ⊙ w| with R = 1ᵀ f_|θ|(1) in float64, on the weights kept by ``masks`` (SynFlow).

    ``masks`` (layer name → 0/1) are the masks of the iteration in progress; without them the
    layers' own masks apply. The network is evaluated functionally (``torch.func.functional_call``)
    on absolute-valued float64 copies of its parameters and buffers, so the model itself is untouched.
    """
    from torch.func import functional_call

    layers = dict(prunable(model))
    device = _variable(next(iter(layers.values()))).device
    variables: dict[str, torch.Tensor] = {}
    inputs: dict[str, torch.Tensor] = {}
    for name, layer in layers.items():
        mask = masks[name] if masks is not None else _mask(layer)
        value = (_variable(layer).detach().abs() * mask).double().requires_grad_(True)
        variables[name] = value
        if hasattr(layer, "weight_orig"):  # the pruning hook multiplies by weight_mask: make it 1
            inputs[f"{name}.weight_orig"] = value
            inputs[f"{name}.weight_mask"] = torch.ones_like(value)
        else:
            inputs[f"{name}.weight"] = value
    for key, tensor in model.named_parameters():
        if key not in inputs:
            inputs[key] = tensor.detach().abs().double()
    for key, tensor in model.named_buffers():
        if key not in inputs:
            inputs[key] = tensor.detach().double() if tensor.is_floating_point() else tensor
    was_training = model.training
    model.eval()  # batch norm uses its running statistics: a single all-ones input has no batch
    try:
        ones = torch.ones((1, *input_shape), dtype=torch.float64, device=device)
        total = functional_call(model, inputs, (ones,)).sum()
        grads = torch.autograd.grad(total, list(variables.values()))
    finally:
        model.train(was_training)
    return {
        name: (grad * value).detach().abs()
        for (name, value), grad in zip(variables.items(), grads, strict=True)
    }


def balanced_batch(
    x: torch.Tensor, y: torch.Tensor, per_class: int, gen: torch.Generator, classes: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` training examples of every class, drawn by ``gen`` (SNIP/GraSP as Frankle et al.
    and Wang et al. run them: 10 per class)."""
    labels = y.cpu()
    chosen = []
    for cls in range(classes):
        members = torch.nonzero(labels == cls).flatten()
        if len(members) < per_class:
            raise ValueError(f"class {cls} has {len(members)} training examples, fewer than {per_class}")
        chosen.append(members[torch.randperm(len(members), generator=gen)[:per_class]])
    index = torch.cat(chosen).to(x.device)
    return x[index], y[index]
