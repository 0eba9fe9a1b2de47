"""Effective sparsity: weights that pruning disconnected from the input or the output count as pruned.

A mask can leave a weight unmasked that no longer matters: its unit lost every incoming connection
(so it carries no information about the input, only a constant from its bias), or every outgoing
connection to a unit that reaches the output. Such weights are "alive" on the mask but dead in the
network (Vysogorets & Kempe 2023, "Connectivity matters"), and at high sparsity there are many: SNIP at
98 % on LeNet-300-100 leaves about 1.64 % of the weights on a path from input to output, not 2 %.

A weight is *effective* iff it is unmasked, its source unit is reachable from the input through
unmasked weights, and its target unit reaches the output through unmasked weights. Units are neurons
of linear layers and channels of conv layers: with no padding (LeNet-5-Caffe's valid convolutions)
every kernel tap of a channel touches some input position, so channel reachability is exact, and a
flatten maps each channel to its ``H × W`` features. The layers are taken in ``prunable`` order,
which is the forward order of the registered sequential networks (the LeNets, the CIFAR VGGs). A
CIFAR ResNet is not one path (its shortcuts bypass layers): :func:`is_chain` says so, and its rows get
no effective sparsity (NaN) rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from reproducers.models import prunable


def _unit_links(layer: nn.Module, mask: torch.Tensor) -> torch.Tensor:
    """(out units × in units) boolean: is any weight between the two units unmasked."""
    alive = mask != 0
    return alive.flatten(2).any(dim=2) if alive.dim() > 2 else alive


def _expand(fed: torch.Tensor, width: int) -> torch.Tensor:
    """Units of the previous layer → input features of this one (a flatten repeats each channel)."""
    if fed.numel() == width:
        return fed
    if width % fed.numel():
        raise ValueError(f"cannot map {fed.numel()} units onto {width} inputs")
    return fed.repeat_interleave(width // fed.numel())


def _collapse(needed: torch.Tensor, units: int) -> torch.Tensor:
    """Input features of a layer → units of the previous one (a channel is needed if any feature is)."""
    if needed.numel() == units:
        return needed
    return needed.view(units, -1).any(dim=1)


Masks = Mapping[str, torch.Tensor]


def effective_masks(model: nn.Module, masks: Masks | None = None) -> dict[str, torch.Tensor]:
    """Per prunable layer, the boolean mask of effective weights (same shape as the weight).

    ``masks`` defaults to the model's own (``weight_mask`` where pruned, all ones elsewhere).
    """
    layers = prunable(model)
    if masks is None:
        masks = {name: getattr(layer, "weight_mask", torch.ones_like(layer.weight)) for name, layer in layers}
    links = [_unit_links(layer, masks[name].cpu()) for name, layer in layers]
    # forward: which units the input reaches
    fed_in: list[torch.Tensor] = []
    fed = torch.ones(links[0].shape[1], dtype=torch.bool)
    for link in links:
        fed = _expand(fed, link.shape[1])
        fed_in.append(fed)
        fed = (link & fed[None, :]).any(dim=1)
    # backward: which units reach the output
    needed_out: list[torch.Tensor] = [torch.empty(0, dtype=torch.bool)] * len(links)
    needed = torch.ones(links[-1].shape[0], dtype=torch.bool)
    for i in range(len(links) - 1, -1, -1):
        needed_out[i] = needed
        needed = (links[i] & needed[:, None]).any(dim=0)
        if i > 0:
            needed = _collapse(needed, links[i - 1].shape[0])
    out = {}
    for (name, _), link_fed, link_needed in zip(layers, fed_in, needed_out, strict=True):
        alive = masks[name].cpu() != 0
        shape = [alive.shape[0], alive.shape[1]] + [1] * (alive.dim() - 2)
        keep = link_needed[:, None] & link_fed[None, :]
        out[name] = alive & keep.view(shape)
    return out


def is_chain(model: nn.Module) -> bool:
    """Whether the prunable layers, in ``prunable`` order, form one path from input to output (not so
    for a network with residual shortcuts, whose units are reached around the layers they skip)."""
    return not any(hasattr(module, "shortcut") for module in model.modules())


def effective_sparsity(model: nn.Module, masks: Masks | None = None) -> float:
    """Fraction of prunable weights that are masked *or* disconnected (see the module docstring).

    Defined for chains only (:func:`is_chain`); a network with shortcuts is a ValueError.
    """
    if not is_chain(model):
        raise ValueError(f"{type(model).__name__} has shortcuts: its effective sparsity is not computed")
    effective = effective_masks(model, masks)
    total = sum(m.numel() for m in effective.values())
    return 1.0 - sum(int(m.sum()) for m in effective.values()) / total
