"""Effective sparsity: hand-built masks with known dead units, an autograd oracle, real SNIP masks, rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from reproducers import models, pruning
from reproducers.connectivity import effective_masks, effective_sparsity, is_chain
from reproducers.datasets import load_mnist_5k, normalise
from reproducers.runners.local import run_seed
from reproducers.seeding import generator


def _ones(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: torch.ones_like(layer.weight) for name, layer in models.prunable(model)}


def test_hand_built_lenet_300_100() -> None:
    """fc1 keeps only weights into hidden units 0, 1 and 2; fc2 keeps 0→5, 2→6 and 9→7; fc3 keeps 5→out
    0 and 8→out 1. Unit 1 feeds nothing that reaches the output, unit 9 has no input, 6 and 8 are cut
    off at one end: only the paths input → 0 → 5 → out 0 survive (784 + 1 + 1 weights)."""
    model = models.build("lenet_300_100")
    masks = {name: torch.zeros_like(m) for name, m in _ones(model).items()}
    masks["fc1"][[0, 1, 2], :] = 1
    masks["fc2"][5, 0] = masks["fc2"][6, 2] = masks["fc2"][7, 9] = 1
    masks["fc3"][0, 5] = masks["fc3"][1, 8] = 1
    effective = effective_masks(model, masks)
    assert int(effective["fc1"].sum()) == 784 and bool(effective["fc1"][0].all())
    assert int(effective["fc2"].sum()) == 1 and bool(effective["fc2"][5, 0])
    assert int(effective["fc3"].sum()) == 1 and bool(effective["fc3"][0, 5])
    total = 784 * 300 + 300 * 100 + 100 * 10
    assert effective_sparsity(model, masks) == 1 - 786 / total
    assert effective_sparsity(model, _ones(model)) == 0.0  # nothing pruned, nothing disconnected


def test_hand_built_lenet5_channels_and_flatten() -> None:
    """conv1 channel 3 loses every kernel weight, so conv2's weights from it carry nothing; every fc1
    weight from conv2 channel 7's 16 features is masked, so conv2's weights into channel 7 lead nowhere."""
    model = models.build("lenet5_caffe")
    masks = _ones(model)
    masks["conv1"][3] = 0
    masks["fc1"][:, 7 * 16 : 8 * 16] = 0
    effective = effective_masks(model, masks)
    dead_conv2 = 50 * 25 + 20 * 25 - 25  # from channel 3 (all 50 outputs), into channel 7 (all 20 inputs)
    assert int((masks["conv2"] != 0).sum() - effective["conv2"].sum()) == dead_conv2
    assert not effective["conv2"][:, 3].any() and not effective["conv2"][7].any()
    assert bool(effective["fc1"][:, : 7 * 16].all()) and int(effective["fc1"].sum()) == 500 * (800 - 16)
    assert bool(effective["conv1"].sum() == 19 * 25) and bool(effective["fc2"].all())


def _oracle(model: nn.Module, masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Autograd: with weights = mask (≥ 0), zero biases and an all-ones input, a weight lies on an
    input→output path exactly when its gradient of the summed output is non-zero (ReLU passes positives)."""
    net = models.build("lenet_300_100")
    with torch.no_grad():
        for name, layer in models.prunable(net):
            layer.weight.copy_(masks[name].float())
            layer.bias.zero_()
    net(torch.ones(1, 784)).sum().backward()
    return {name: (layer.weight.grad != 0) & (masks[name] != 0) for name, layer in models.prunable(net)}


def _snip(amount: float, seed: int) -> nn.Module:
    images, labels = load_mnist_5k()
    model = models.build("lenet_300_100")
    models.initialise(model, "variance_scaling", generator(seed, "init"))
    pruning.snip_prune(model, amount, normalise(images[:100]), torch.as_tensor(labels[:100]).long())
    return model


def test_real_snip_masks_lose_units_and_match_the_oracle() -> None:
    for amount in (0.95, 0.99):
        model = _snip(amount, seed=amount == 0.99)
        masks = pruning.masks(model)
        effective = effective_masks(model)
        oracle = _oracle(model, masks)
        assert all(torch.equal(effective[name], oracle[name]) for name in masks)
        assert effective_sparsity(model) > pruning.sparsity(model) >= amount - 1e-6
    assert effective_sparsity(_snip(0.99, seed=3)) > 0.99 + 5e-4  # at 99% many units are cut off


def test_rows_carry_effective_sparsity(snip_spec, tmp_path: Path) -> None:
    runs, _ = run_seed(snip_spec, "tiny", 0, "cpu", tmp_path / "cache", tmp_path / "data")
    by_arm = {(r["arm"], r["target_sparsity"]): r for r in runs}
    assert by_arm[("dense", 0.0)]["effective_sparsity"] == 0.0
    for key, row in by_arm.items():
        if key[0] != "dense":
            assert row["effective_sparsity"] >= row["sparsity"] > 0
    state = tmp_path / "cache" / "states" / by_arm[("snip", 0.95)]["state_hash"] / "state.json"
    assert "effective_sparsity" not in state.read_text()  # computed from the masks, never stored


def test_networks_with_shortcuts_are_not_chains() -> None:
    """The CIFAR ResNets' shortcuts bypass layers, so the chain walk would be wrong: it refuses them."""
    assert [is_chain(models.build(n)) for n in ("lenet_300_100", "lenet5_caffe", "cifar_vgg_16")] == [
        True, True, True,
    ]  # fmt: skip
    resnet = models.build("cifar_resnet_20")
    assert not is_chain(resnet)
    with pytest.raises(ValueError, match="shortcuts"):
        effective_sparsity(resnet)
