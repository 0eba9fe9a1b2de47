"""The networks of the registered papers, with the initialisations the papers used.

Models take no seed themselves: :func:`initialise` draws every weight from an explicit generator so
that initialisation is one named source of randomness (see ``reproducers.seeding``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

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


VGG_PLANS: dict[int, tuple[int | str, ...]] = {
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512),
    19: (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512),
}


class CifarVGG(nn.Module):
    """VGG for 32×32 images as OpenLTH builds it (conv3×3-BN-ReLU modules, 2×2 max-pools, a 2×2
    average pool and one linear layer): the VGG-16 of "Missing the Mark", the VGG-19 of GraSP."""

    def __init__(self, depth: int, classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for spec in VGG_PLANS[depth]:
            if spec == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(channels, int(spec), 3, padding=1), nn.BatchNorm2d(int(spec)), nn.ReLU()]
                channels = int(spec)
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.nn.functional.avg_pool2d(self.layers(x), 2)
        return self.fc(x.flatten(1))


class _Block(nn.Module):
    """Two 3×3 convolutions with batch norm and a residual connection (1×1 conv when downsampling)."""

    def __init__(self, f_in: int, f_out: int, downsample: bool) -> None:
        super().__init__()
        stride = 2 if downsample else 1
        self.conv1 = nn.Conv2d(f_in, f_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(f_out)
        self.conv2 = nn.Conv2d(f_out, f_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(f_out)
        self.shortcut: nn.Module = nn.Sequential()
        if downsample or f_in != f_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(f_in, f_out, 1, stride=2, bias=False), nn.BatchNorm2d(f_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class CifarResNet(nn.Module):
    """The CIFAR ResNet of He et al. (depth 6n + 2, widths 16/32/64) as OpenLTH builds it: ResNet-20
    in "Missing the Mark", ResNet-32 in GraSP."""

    def __init__(self, depth: int, width: int = 16, classes: int = 10) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"a CIFAR ResNet has depth 6n + 2, not {depth}")
        blocks_per_segment = (depth - 2) // 6
        self.conv = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        blocks, current = [], width
        for segment, filters in enumerate((width, 2 * width, 4 * width)):
            for index in range(blocks_per_segment):
                blocks.append(_Block(current, filters, downsample=segment > 0 and index == 0))
                current = filters
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(current, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(torch.relu(self.bn(self.conv(x))))
        out = torch.nn.functional.avg_pool2d(out, out.shape[-1])
        return self.fc(out.flatten(1))


MODELS: dict[str, Callable[[], nn.Module]] = {
    "lenet_300_100": LeNet300100,
    "lenet5_caffe": LeNet5Caffe,
    "cifar_vgg_16": partial(CifarVGG, 16),
    "cifar_vgg_19": partial(CifarVGG, 19),
    "cifar_resnet_20": partial(CifarResNet, 20),
    "cifar_resnet_32": partial(CifarResNet, 32),
}

#: Initialisation schemes: LTH used Glorot (Xavier) normal; SNIP variance scaling (fan-in, normal);
#: OpenLTH's CIFAR networks (and so "Missing the Mark") Kaiming normal with batch-norm weights ~ U(0, 1).
INITS = ("glorot_normal", "variance_scaling", "kaiming_normal")


def build(name: str) -> nn.Module:
    """An untrained network by registry name; weights are set by :func:`initialise`."""
    try:
        return MODELS[name]()
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


def prunable(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers whose ``weight`` may be pruned (every linear and conv layer; biases and batch norm
    never)."""
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
        elif scheme == "kaiming_normal":
            std = math.sqrt(2.0 / fan_in)
        else:
            raise ValueError(f"unknown init {scheme!r}; known: {', '.join(INITS)}")
        values = torch.randn(weight.shape, generator=gen, dtype=weight.dtype) * std
        weight.copy_(values.to(weight.device))
        if layer.bias is not None:
            layer.bias.zero_()
    # batch norm (CIFAR networks only; the LeNets have none, so their draws are unchanged)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            values = torch.rand(module.weight.shape, generator=gen, dtype=module.weight.dtype)
            module.weight.copy_(values.to(module.weight.device))
            module.bias.zero_()


def _weight(layer: nn.Module) -> torch.Tensor:
    """The trainable tensor behind ``weight``: ``weight_orig`` once a layer has been pruned."""
    return layer.weight_orig if hasattr(layer, "weight_orig") else layer.weight
