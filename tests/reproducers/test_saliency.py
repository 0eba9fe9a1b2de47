"""Pruning at initialisation on small networks: scores against hand computation, masks exactly as
asked, the sanity checks (shuffle, reinit, invert) as recipes."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch import nn

from reproducers import models, pruning, registry, saliency
from reproducers.plans import prune_init_recipe
from reproducers.recipes import RECIPES
from reproducers.seeding import generator
from reproducers.tree import Context, Recipe, Tree

MTM_QUICK = registry.get("missing-the-mark").protocols["quick"]


class Tiny(nn.Module):
    """3 → 2 → 2 with a ReLU, small enough to compute every score by hand."""

    def __init__(self, w1: list[list[float]], w2: list[list[float]]) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 2)
        self.fc2 = nn.Linear(2, 2)
        with torch.no_grad():
            self.fc1.weight.copy_(torch.tensor(w1))
            self.fc2.weight.copy_(torch.tensor(w2))
            self.fc1.bias.zero_()
            self.fc2.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


W1 = [[0.5, -1.0, 2.0], [-0.25, 0.75, -1.5]]
W2 = [[1.0, -2.0], [0.5, 3.0]]


def test_magnitude_scores_are_absolute_effective_weights() -> None:
    model = Tiny(W1, W2)
    scores = saliency.magnitude_scores(model)
    assert scores["fc1"].tolist() == [[0.5, 1.0, 2.0], [0.25, 0.75, 1.5]]
    pruning.apply_masks(model, {"fc1": torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])})
    assert saliency.magnitude_scores(model)["fc1"].tolist() == [[0.5, 0.0, 2.0], [0.25, 0.75, 0.0]]


def test_synflow_scores_match_the_hand_computed_path_sums() -> None:
    """R = 1ᵀ|W2||W1|1, so dR/d|W1_ij| = Σ_k |W2_ki| and dR/d|W2_ki| = Σ_j |W1_ij|."""
    scores = saliency.synflow_scores(Tiny(W1, W2), (3,))
    col = [abs(W2[0][i]) + abs(W2[1][i]) for i in range(2)]  # 1.5, 5.0
    row = [sum(abs(v) for v in W1[i]) for i in range(2)]  # 3.5, 2.5
    expected1 = [[abs(W1[i][j]) * col[i] for j in range(3)] for i in range(2)]
    expected2 = [[abs(W2[k][i]) * row[i] for i in range(2)] for k in range(2)]
    assert scores["fc1"].dtype == torch.float64
    assert scores["fc1"].tolist() == expected1 == [[0.75, 1.5, 3.0], [1.25, 3.75, 7.5]]
    assert scores["fc2"].tolist() == expected2 == [[3.5, 5.0], [1.75, 7.5]]


def test_synflow_under_a_mask_scores_pruned_weights_zero_and_reroutes_flow() -> None:
    model = Tiny(W1, W2)
    masks = {"fc1": torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]), "fc2": torch.ones(2, 2)}
    scores = saliency.synflow_scores(model, (3,), masks)
    # hidden unit 2 has no input left: nothing flows through fc2's second column
    assert scores["fc1"].tolist() == [[0.75, 1.5, 3.0], [0.0, 0.0, 0.0]]
    assert scores["fc2"].tolist() == [[3.5, 0.0], [1.75, 0.0]]
    assert model.fc1.weight.tolist() == W1  # the model itself is untouched


def test_grasp_scores_equal_weight_times_hessian_gradient_product() -> None:
    """w ⊙ (H g) with H and g from autograd's explicit Hessian of the tempered loss."""
    torch.manual_seed(0)
    x, y = torch.randn(6, 3), torch.tensor([0, 1, 1, 0, 1, 0])
    model = Tiny(W1, W2)
    temperature = 2.0
    shapes = [(2, 3), (2, 2)]

    def loss_of(flat: torch.Tensor) -> torch.Tensor:
        a, b = flat[:6].view(shapes[0]), flat[6:].view(shapes[1])
        return nn.functional.cross_entropy(torch.relu(x @ a.T) @ b.T / temperature, y)

    flat = torch.cat([torch.tensor(W1).flatten(), torch.tensor(W2).flatten()])
    g = torch.autograd.functional.jacobian(loss_of, flat)
    hessian = torch.autograd.functional.hessian(loss_of, flat)
    expected = flat * (hessian @ g)
    scores = saliency.grasp_scores(model, x, y, temperature)
    got = torch.cat([scores["fc1"].flatten(), scores["fc2"].flatten()])
    assert torch.allclose(got, expected, atol=1e-7, rtol=1e-5)
    assert model.fc1.weight.grad is None  # no gradients left behind


def test_lowest_score_prunes_signed_scores_globally() -> None:
    model = Tiny(W1, W2)
    scores = {
        "fc1": torch.tensor([[3.0, -5.0, 0.5], [2.0, -0.1, 9.0]]),
        "fc2": torch.tensor([[1.0, 4.0], [-2.0, 7.0]]),
    }
    pruning.prune_by_scores(model, scores, 4)
    # the four lowest of all ten, signs kept: -5, -2, -0.1, 0.5
    assert model.fc1.weight_mask.tolist() == [[1, 0, 0], [1, 0, 1]]
    assert model.fc2.weight_mask.tolist() == [[1, 1], [0, 1]]
    inverted = Tiny(W1, W2)
    pruning.prune_by_scores(inverted, scores, 4, invert=True)  # the four highest: 9, 7, 4, 3
    assert inverted.fc1.weight_mask.tolist() == [[0, 1, 1], [1, 1, 0]]
    assert inverted.fc2.weight_mask.tolist() == [[1, 0], [1, 0]]


def test_iterative_masks_follow_the_exponential_schedule_to_the_exact_count() -> None:
    model = models.build("lenet_300_100")
    models.initialise(model, "kaiming_normal", generator(0, "init"))
    kept: list[int] = []

    def score(current: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        kept.append(int(sum(m.sum() for m in current.values())))
        return saliency.synflow_scores(model, (784,), current)

    final = pruning.iterative_masks(model, score, 0.98, 10)
    total = 266_200
    assert kept == [total] + [round(total * 0.02 ** (k / 10)) for k in range(1, 10)]
    assert int(sum(m.sum() for m in final.values())) == round(total * 0.02) == 5_324
    assert not hasattr(model.fc1, "weight_mask")  # the model is not pruned by computing masks


def test_shuffle_keeps_each_layer_count_and_the_weights() -> None:
    model = models.build("lenet_300_100")
    models.initialise(model, "variance_scaling", generator(0, "init"))
    pruning.prune_by_scores(model, saliency.magnitude_scores(model), 0.9)
    before = {name: mask.clone() for name, mask in pruning.masks(model).items()}
    orig = model.fc1.weight_orig.detach().clone()
    pruning.shuffle_masks(model, generator(0, "mask_shuffle"))
    after = pruning.masks(model)
    for name in before:
        assert int(after[name].sum()) == int(before[name].sum())
        assert not torch.equal(after[name], before[name])
    assert torch.equal(model.fc1.weight_orig, orig)
    assert torch.equal(model.fc1.weight, orig * model.fc1.weight_mask)  # refreshed at once


def _tree(tmp_path, dataset_split) -> Tree:
    context = Context(seed=0, device=torch.device("cpu"), data=lambda name, sizes: dataset_split)
    return Tree(tmp_path, context, RECIPES)


@pytest.fixture(scope="module")
def split():
    from reproducers.datasets import make_split

    return make_split("mnist5k", (600, 100, 100), generator(0, "split"), None)


def test_prune_init_recipes_reach_the_sparsity_and_invert_magnitude_exactly(tmp_path, split) -> None:
    protocol = dataclasses.replace(MTM_QUICK, split=(600, 100, 100), synflow_iterations=5)
    tree = _tree(tmp_path, split)
    init = tree.root(Recipe("init", {"init": "kaiming_normal", "device": "cpu"}), "lenet_300_100")
    total = 266_200
    for method in ("magnitude", "snip", "grasp", "synflow"):
        for invert in (False, True):
            state = tree.apply(prune_init_recipe(protocol, method, 0.95, invert), init)
            assert state.metrics["sparsity"] == (total - round(total * 0.05)) / total, (method, invert)
    plain = tree.apply(prune_init_recipe(protocol, "magnitude", 0.5), init).model()
    flipped = tree.apply(prune_init_recipe(protocol, "magnitude", 0.5, True), init).model()
    for name, mask in pruning.masks(plain).items():  # no ties among Gaussian weights: complements
        assert torch.equal(mask + pruning.masks(flipped)[name], torch.ones_like(mask))


def test_sanity_recipes_change_only_what_they_should(tmp_path, split) -> None:
    tree = _tree(tmp_path, split)
    init = tree.root(Recipe("init", {"init": "kaiming_normal", "device": "cpu"}), "lenet_300_100")
    pruned = tree.apply(prune_init_recipe(MTM_QUICK, "magnitude", 0.9), init)
    shuffled = tree.apply(Recipe("mask_shuffle", {}), pruned).model()
    reinit = tree.apply(Recipe("weights_reinit", {"init": "kaiming_normal"}), pruned).model()
    base = pruned.model()
    assert torch.equal(shuffled.fc1.weight_orig, base.fc1.weight_orig)
    assert not torch.equal(shuffled.fc1.weight_mask, base.fc1.weight_mask)
    assert torch.equal(reinit.fc1.weight_mask, base.fc1.weight_mask)
    assert not torch.equal(reinit.fc1.weight_orig, base.fc1.weight_orig)
    std = float(reinit.fc1.weight_orig.detach().std())
    assert math.isclose(std, math.sqrt(2 / 784), rel_tol=0.02)  # the same Kaiming distribution


def test_balanced_batch_takes_the_same_count_of_every_class(split) -> None:
    x, y = saliency.balanced_batch(split.train_x, split.train_y, 10, generator(0, "score_batch"))
    assert x.shape == (100, 784) and torch.bincount(y).tolist() == [10] * 10
    again = saliency.balanced_batch(split.train_x, split.train_y, 10, generator(0, "score_batch"))
    assert torch.equal(x, again[0])
    with pytest.raises(ValueError, match="fewer than 1000"):
        saliency.balanced_batch(split.train_x, split.train_y, 1000, generator(0, "score_batch"))


def test_cifar_networks_have_the_published_sizes_and_run() -> None:
    sizes = {name: sum(p.numel() for p in models.build(name).parameters()) for name in models.MODELS}
    # OpenLTH's counts: ResNet-20 0.27M, VGG-16 14.7M parameters; the LeNets as SNIP counts them
    assert sizes == {
        "lenet_300_100": 266_610,
        "lenet5_caffe": 431_080,
        "cifar_resnet_20": 272_474,
        "cifar_resnet_32": 466_906,
        "cifar_vgg_16": 14_728_266,
        "cifar_vgg_19": 20_040_522,
    }
    for name in ("cifar_resnet_20", "cifar_vgg_16"):
        model = models.build(name)
        models.initialise(model, "kaiming_normal", generator(0, "init"))
        assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)
        bn = next(m for m in model.modules() if isinstance(m, nn.BatchNorm2d)).weight.detach()
        assert float(bn.min()) >= 0 and float(bn.max()) <= 1
