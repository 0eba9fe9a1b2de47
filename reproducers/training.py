"""Seeded mini-batch training with periodic evaluation and early-stopping bookkeeping.

The data order comes from the ``data_order`` generator of the replicate, so two arms with the same
seed see the same batches (a paired design). The optimizer is built here, after any pruning, so it
always holds the current parameters (``weight_orig`` of pruned layers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from reproducers.datasets import Split


@dataclass(frozen=True)
class Schedule:
    """How one ``train`` recipe trains; every field is part of the trained state's hash."""

    optimizer: str  # "adam" | "sgd"
    lr: float
    batch_size: int
    iterations: int
    eval_every: int
    momentum: float = 0.0
    weight_decay: float = 0.0
    #: iterations at which the learning rate is multiplied by ``lr_gamma``.
    lr_milestones: tuple[int, ...] = ()
    lr_gamma: float = 0.1
    #: "early_stop": metrics at the evaluation with the lowest validation loss (LTH);
    #: "final": metrics after the last iteration (SNIP).
    report_at: str = "final"


@dataclass
class Evaluation:
    """Loss and accuracy (percent) on one set, with per-class accuracy and counts."""

    loss: float
    accuracy: float
    per_class: dict[int, float] = field(default_factory=dict)
    per_class_n: dict[int, int] = field(default_factory=dict)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> Evaluation:
    """Mean cross-entropy and accuracy of ``model`` on (x, y), in eval mode, in fixed-size chunks."""
    model.eval()
    loss_sum, predictions = 0.0, []
    for start in range(0, len(y), batch):
        logits = model(x[start : start + batch])
        loss_sum += float(nn.functional.cross_entropy(logits, y[start : start + batch], reduction="sum"))
        predictions.append(logits.argmax(1))
    model.train()
    correct = torch.cat(predictions) == y
    per_class, per_class_n = {}, {}
    for cls in range(10):
        selected = y == cls
        n = int(selected.sum())
        per_class_n[cls] = n
        per_class[cls] = 100.0 * int(correct[selected].sum()) / n if n else float("nan")
    # integer counts, not a float32 mean: 479/500 gives exactly 95.8, not 95.80000042915344
    return Evaluation(loss_sum / len(y), 100.0 * int(correct.sum()) / len(y), per_class, per_class_n)


def make_optimizer(model: nn.Module, schedule: Schedule) -> torch.optim.Optimizer:
    """A fresh optimizer over the model's current parameters (call it after pruning).

    On a GPU the fused implementation updates every parameter in one kernel: these networks are
    small, so a training step is bound by kernel launches, not arithmetic. The CPU keeps the default
    implementation (its arithmetic is what every cached CPU state was computed with).
    """
    fused = {"fused": True} if _on_cuda(model) else {}
    if schedule.optimizer == "adam":
        return torch.optim.Adam(
            model.parameters(), lr=schedule.lr, weight_decay=schedule.weight_decay, **fused
        )
    if schedule.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=schedule.lr,
            momentum=schedule.momentum,
            weight_decay=schedule.weight_decay,
            **fused,
        )
    raise ValueError(f"unknown optimizer {schedule.optimizer!r}")


def _on_cuda(model: nn.Module) -> bool:
    return any(p.is_cuda for p in model.parameters())


def train(
    model: nn.Module,
    data: Split,
    schedule: Schedule,
    gen: torch.Generator,
    progress: Callable[[int, int], None] | None = None,
    augment_gen: torch.Generator | None = None,
) -> dict[str, object]:
    """Train in place; return the metrics that go into runs.csv and per_class.csv.

    Batches are drawn epoch by epoch from a permutation made by ``gen`` (CPU), then moved to the
    data's device, so the order is identical on CPU and GPU. The whole split stays on the device and
    a batch is an index into it: no data loader, no host-to-device copy in the loop. A split that
    asks for augmentation (CIFAR-10) is augmented per batch with draws from ``augment_gen``.
    """
    start = time.perf_counter()
    optimizer = make_optimizer(model, schedule)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=list(schedule.lr_milestones), gamma=schedule.lr_gamma
    )
    n = len(data.train_y)
    per_epoch = n // schedule.batch_size  # drop the last partial batch, as the papers' loaders did
    best: tuple[float, int, Evaluation, Evaluation] | None = None
    last: tuple[float, int, Evaluation, Evaluation] | None = None
    order = torch.empty(0, dtype=torch.long)
    model.train()
    for it in range(schedule.iterations):
        position = it % per_epoch
        if position == 0:
            order = torch.randperm(n, generator=gen).to(data.train_x.device)
        index = order[position * schedule.batch_size : (position + 1) * schedule.batch_size]
        inputs = data.train_x[index]
        if data.augment:
            inputs = _augment(inputs, data.augment, augment_gen)
        loss = nn.functional.cross_entropy(model(inputs), data.train_y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        done = it + 1
        if done % schedule.eval_every == 0 or done == schedule.iterations:
            val = evaluate(model, data.val_x, data.val_y)
            improved = best is None or val.loss < best[0]
            # The test set is only ever reported at the best or the last evaluation: scoring it at
            # every other one cost about a fifth of a paper-scale LTH round and changed no number.
            if improved or done == schedule.iterations:
                last = (val.loss, done, val, evaluate(model, data.test_x, data.test_y))
                if improved:
                    best = last
            if progress is not None:
                progress(done, schedule.iterations)
    assert best is not None and last is not None
    chosen = best if schedule.report_at == "early_stop" else last
    _, at, val, test = chosen
    return {
        "test_accuracy": test.accuracy,
        "test_loss": test.loss,
        "val_loss": val.loss,
        "val_accuracy": val.accuracy,
        "early_stop_iteration": best[1],
        "reported_at_iteration": at,
        "iterations": schedule.iterations,
        "final_test_accuracy": last[3].accuracy,
        "per_class": {str(k): v for k, v in test.per_class.items()},
        "per_class_n": {str(k): v for k, v in test.per_class_n.items()},
        "train_wall_s": time.perf_counter() - start,
    }


def _augment(x: torch.Tensor, kind: str, gen: torch.Generator | None) -> torch.Tensor:
    if kind != "crop_flip":
        raise ValueError(f"unknown augmentation {kind!r}; known: crop_flip")
    if gen is None:
        raise ValueError("an augmented split needs the augment generator")
    from reproducers.cifar import crop_flip

    return crop_flip(x, gen)
