"""Pruning on torch.nn.utils.prune and its pitfalls: stacking, rewinding, counting, optimizers, SNIP."""

from __future__ import annotations

import torch
from torch import nn

from reproducers import models, pruning
from reproducers.datasets import Split, load_mnist_5k, normalise
from reproducers.seeding import generator
from reproducers.training import Schedule, train

LTH_RATES = {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}


def _lenet(seed: int = 0) -> nn.Module:
    model = models.build("lenet_300_100")
    models.initialise(model, "glorot_normal", generator(seed, "init"))
    return model


def _expected_left(n: int, rate: float, rounds: int) -> int:
    """torch prunes round(rate × surviving) entries per call on top of the existing mask."""
    for _ in range(rounds):
        n -= round(rate * n)
    return n


def test_layerwise_rounds_leave_point_eight_to_the_k() -> None:
    model = _lenet()
    for k in range(1, 6):
        pruning.layerwise_magnitude(model, LTH_RATES)
        left = {name: int(mask.sum()) for name, mask in pruning.masks(model).items()}
        assert left == {
            "fc1": _expected_left(235_200, 0.2, k),
            "fc2": _expected_left(30_000, 0.2, k),
            "fc3": _expected_left(1_000, 0.1, k),
        }
        assert abs(left["fc1"] / 235_200 - 0.8**k) < 1e-4
        assert abs(left["fc3"] / 1_000 - 0.9**k) < 1e-3
    assert type(model.fc1._forward_pre_hooks[next(iter(model.fc1._forward_pre_hooks))]).__name__ == (
        "PruningContainer"
    )


def test_magnitude_pruning_removes_the_smallest_surviving_weights() -> None:
    model = _lenet()
    before = model.fc2.weight.detach().abs().clone()
    pruning.layerwise_magnitude(model, {"fc2": 0.5})
    mask = model.fc2.weight_mask.bool()
    assert before[~mask].max() <= before[mask].min()


def test_sparsity_is_counted_on_masks_not_weight_orig() -> None:
    model = _lenet()
    pruning.global_magnitude(model, 0.9)
    assert abs(pruning.sparsity(model) - 0.9) < 1e-6
    # weight_orig still holds every value; the effective weight is zero where masked
    assert int((model.fc1.weight_orig == 0).sum()) == 0
    assert torch.equal(pruning.effective_weights(model)["fc1"], model.fc1.weight.detach())
    assert float(model.fc1.weight.detach()[model.fc1.weight_mask == 0].abs().sum()) == 0.0


def _small_split() -> Split:
    x, y = load_mnist_5k()
    xs, ys = normalise(x[:400]), torch.from_numpy(y[:400])
    return Split(xs[:300], ys[:300], xs[300:350], ys[300:350], xs[350:], ys[350:])


def test_rewind_resets_weight_orig_to_init_and_keeps_the_mask() -> None:
    model = _lenet()
    init = {k: v.clone() for k, v in model.state_dict().items()}
    schedule = Schedule(optimizer="adam", lr=1e-3, batch_size=50, iterations=12, eval_every=6)
    train(model, _small_split(), schedule, generator(0, "data_order"))
    pruning.layerwise_magnitude(model, LTH_RATES)
    mask = model.fc1.weight_mask.clone()
    assert not torch.equal(model.fc1.weight_orig, init["fc1.weight"])
    pruning.rewind(model, init)
    assert torch.equal(model.fc1.weight_orig, init["fc1.weight"])
    assert torch.equal(model.fc1.bias, init["fc1.bias"])
    assert torch.equal(model.fc1.weight_mask, mask)
    # module.weight is refreshed at once, not only at the next forward
    assert torch.equal(model.fc1.weight.detach(), init["fc1.weight"] * mask)


def test_training_after_pruning_keeps_pruned_weights_at_zero() -> None:
    """The optimizer is built after pruning, over weight_orig; masked entries stay zero in `weight`."""
    model = _lenet()
    pruning.layerwise_magnitude(model, LTH_RATES)
    masks = pruning.masks(model)
    schedule = Schedule(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=50, iterations=12, eval_every=6)
    train(model, _small_split(), schedule, generator(0, "data_order"))
    for name, weight in pruning.effective_weights(model).items():
        assert float(weight[masks[name] == 0].abs().sum()) == 0.0
        assert torch.equal(pruning.masks(model)[name], masks[name])


def test_snip_keeps_the_connections_with_the_largest_gradient_times_weight() -> None:
    model = models.build("lenet_300_100")
    models.initialise(model, "variance_scaling", generator(0, "init"))
    data = _small_split()
    x, y = data.train_x[:100], data.train_y[:100]
    # reference scores computed independently with torch.autograd.grad
    weights = [model.fc1.weight, model.fc2.weight, model.fc3.weight]
    grads = torch.autograd.grad(nn.functional.cross_entropy(model(x), y), weights)
    scores = torch.cat([(g * w).abs().flatten() for g, w in zip(grads, weights, strict=True)]).detach()
    keep = round(0.05 * scores.numel())
    threshold = scores.topk(keep).values.min()
    pruning.snip_prune(model, 0.95, x, y)
    kept = torch.cat([m.flatten() for m in pruning.masks(model).values()]).bool()
    assert int(kept.sum()) == keep
    assert bool((scores[kept] >= threshold).all())
    assert float(scores[~kept].max()) <= float(scores[kept].min())


def test_random_pruning_is_seeded_and_leaves_the_global_rng_alone() -> None:
    nets = [_lenet(), _lenet(), _lenet()]  # built first: nn.Linear's default init uses the global RNG
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    for net in nets[:2]:
        pruning.random_prune(net, 0.95, generator(7, "prune"))
    assert torch.equal(torch.rand(1), expected_next)
    masks = [pruning.masks(net) for net in nets[:2]]
    assert all(torch.equal(masks[0][k], masks[1][k]) for k in masks[0])
    pruning.random_prune(nets[2], 0.95, generator(8, "prune"))
    assert not torch.equal(pruning.masks(nets[2])["fc1"], masks[0]["fc1"])
    assert {k: round(float((m == 0).float().mean()), 3) for k, m in masks[0].items()} == {
        "fc1": 0.95,
        "fc2": 0.95,
        "fc3": 0.95,
    }


def test_a_restored_pruned_state_is_pruned_by_its_own_weights(tmp_path) -> None:
    """IMP round 2 on a network loaded from the cache ranks weight_orig × mask, not a stale ``weight``.

    Loading fills weight_orig in place; ``module.weight`` (what torch's pruning ranks) would otherwise
    keep nn.Linear's default global-RNG weights until the next forward.
    """
    from reproducers import recipes
    from reproducers.recipes import RECIPES
    from reproducers.tree import Context, Recipe, Tree

    tree = Tree(tmp_path, Context(seed=0, device=torch.device("cpu"), data=lambda *a: None), RECIPES)
    root = tree.root(recipes.init("glorot_normal", "cpu"), "lenet_300_100")
    once = tree.apply(Recipe("prune_layerwise", {"rates": LTH_RATES}), root)
    restored = once.model()
    for name, layer in models.prunable(restored):
        assert torch.equal(layer.weight.detach(), (layer.weight_orig * layer.weight_mask).detach()), name
    twice = tree.apply(Recipe("prune_layerwise", {"rates": LTH_RATES}), once).model()
    in_memory = _lenet(0)  # the same initialisation (seed 0, "init" source), pruned twice without saving
    pruning.layerwise_magnitude(in_memory, LTH_RATES)
    pruning.layerwise_magnitude(in_memory, LTH_RATES)
    expected = pruning.masks(in_memory)
    assert all(torch.equal(pruning.masks(twice)[k], expected[k]) for k in expected)
