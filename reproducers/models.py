"""The networks of the registered papers, with the initialisations the papers used.

Models take no seed themselves: :func:`initialise` draws every weight from an explicit generator so
that initialisation is one named source of randomness (see ``reproducers.seeding``).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class LeNet300100(nn.Module):
    """Fully connected 784-300-100-10 (266,200 weights), LTH's and SNIP's MNIST network."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 300)
        self.fc2 = nn.Linear(300, 100)
        self.fc3 = nn.Linear(100, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class LeNet5Caffe(nn.Module):
    """Caffe's LeNet-5: conv20(5x5)-pool-conv50(5x5)-pool-fc500-fc10 (430,500 weights), used by SNIP."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(-1, 1, 28, 28)
        x = torch.max_pool2d(self.conv1(x), 2)
        x = torch.max_pool2d(self.conv2(x), 2)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


MODELS: dict[str, type[nn.Module]] = {"lenet_300_100": LeNet300100, "lenet5_caffe": LeNet5Caffe}

#: Initialisation schemes: LTH used Glorot (Xavier) normal; SNIP variance scaling (fan-in, normal).
INITS = ("glorot_normal", "variance_scaling")


def build(name: str) -> nn.Module:
    """An untrained network by registry name; weights are set by :func:`initialise`."""
    try:
        return MODELS[name]()
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


def prunable(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers whose ``weight`` may be pruned (every linear and conv layer; biases never)."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear | nn.Conv2d)]


@torch.no_grad()
def initialise(model: nn.Module, scheme: str, gen: torch.Generator) -> None:
    """Draw every weight from ``gen`` (CPU) so initialisation is the same on any device; biases 0."""
    for _, layer in prunable(model):
        weight = _weight(layer)
        fan_out, fan_in = weight.shape[0], weight[0].numel()
        if scheme == "glorot_normal":
            std = math.sqrt(2.0 / (fan_in + fan_out))
        elif scheme == "variance_scaling":
            std = math.sqrt(1.0 / fan_in)
        else:
            raise ValueError(f"unknown init {scheme!r}; known: {', '.join(INITS)}")
        values = torch.randn(weight.shape, generator=gen, dtype=weight.dtype) * std
        weight.copy_(values.to(weight.device))
        layer.bias.zero_()


def _weight(layer: nn.Module) -> torch.Tensor:
    """The trainable tensor behind ``weight``: ``weight_orig`` once a layer has been pruned."""
    return layer.weight_orig if hasattr(layer, "weight_orig") else layer.weight
