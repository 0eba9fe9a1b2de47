"""`train`'s reported metrics are those of the network at the iteration they name.

The test set is scored only at the evaluations that can be reported (a new best validation loss, and
the last one); these tests pin that the numbers are still the network's own at that iteration.
"""

from __future__ import annotations

import copy

import torch

from reproducers.datasets import Split
from reproducers.models import build, initialise
from reproducers.training import Schedule, evaluate, train


def _split() -> Split:
    """Noisy synthetic digits: 784 inputs, 10 classes, a validation loss that turns up early."""
    gen = torch.Generator().manual_seed(7)
    centres = torch.randn(10, 784, generator=gen)

    def draw(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, 10, (n,), generator=gen)
        return centres[y] * 0.12 + torch.randn(n, 784, generator=gen), y

    return Split(*draw(150), *draw(200), *draw(300))


def _trained(schedule: Schedule) -> tuple[torch.nn.Module, dict[str, object]]:
    model = build("lenet_300_100")
    initialise(model, "glorot_normal", torch.Generator().manual_seed(0))
    metrics = train(model, _split(), schedule, torch.Generator().manual_seed(1))
    return model, metrics


def test_early_stop_metrics_are_the_networks_at_that_iteration() -> None:
    schedule = Schedule("adam", 1e-3, 30, 400, 20, report_at="early_stop")
    _, metrics = _trained(schedule)
    at = metrics["early_stop_iteration"]
    assert metrics["reported_at_iteration"] == at and 20 < at < 400  # early, not at the first evaluation
    rerun, _ = _trained(Schedule("adam", 1e-3, 30, at, 20, report_at="early_stop"))
    data = _split()
    assert metrics["test_accuracy"] == evaluate(rerun, data.test_x, data.test_y).accuracy
    assert metrics["val_loss"] == evaluate(rerun, data.val_x, data.val_y).loss


def test_final_metrics_are_the_last_networks() -> None:
    model, metrics = _trained(Schedule("sgd", 0.05, 30, 300, 100, momentum=0.9))
    data = _split()
    final = evaluate(copy.deepcopy(model), data.test_x, data.test_y)
    assert metrics["reported_at_iteration"] == 300
    assert metrics["test_accuracy"] == metrics["final_test_accuracy"] == final.accuracy
    assert metrics["test_loss"] == final.loss
