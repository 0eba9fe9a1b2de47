"""Monte-Carlo scenarios: runs drawn from known distributions, decided by the tests of core.claim_tests.

Shared by tests/core/test_error_rates.py (asserts the rates) and benchmarks/error_rates.py (measures
them for docs/statistics.md). Everything is in units of the run-to-run standard deviation σ = 1, and
every scenario says where the truth lies: ``shift`` is the true θ minus the boundary being tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core import claim_tests

ALPHA = 0.05


@dataclass(frozen=True)
class Rates:
    """Fractions of replicates decided "reproduced" and "not reproduced" (before multiplicity)."""

    reproduced: float
    not_reproduced: float
    replicates: int

    def mc_error(self, p: float = ALPHA) -> float:
        """Three binomial standard errors of a rate p over this many replicates."""
        return 3 * math.sqrt(p * (1 - p) / self.replicates)


def _rates(est: claim_tests.Estimate, region: claim_tests.Region, alpha: float = ALPHA) -> Rates:
    decision = claim_tests.decide(est, region, alpha)
    return Rates(float(decision.supported.mean()), float(decision.against.mean()), decision.supported.size)


def single(rng: np.random.Generator, reps: int, n: int, theta: float, delta: float, m: int = 1) -> Rates:
    """A paper's number (one draw, or a mean of m runs) against n of our runs; our mean is off by θ."""
    paper = rng.normal(0.0, 1.0, (reps, m)).mean(axis=1)
    ours = rng.normal(theta, 1.0, (reps, n))
    return _rates(claim_tests.single(ours, paper, reported_n=m), claim_tests.Region(-delta, delta))


def single_as_mean(rng: np.random.Generator, reps: int, n: int, theta: float, delta: float) -> Rates:
    """The test this project used before: the paper's one draw treated as its true mean (se = s/√n)."""
    paper = rng.normal(0.0, 1.0, reps)
    ours = rng.normal(theta, 1.0, (reps, n))
    est = claim_tests.against_a_number(ours, paper, reference_variance=0.0)
    return _rates(est, claim_tests.Region(-delta, delta))


def mean_std(
    rng: np.random.Generator,
    reps: int,
    n: int,
    theta: float,
    delta: float,
    m: int = 5,
    paper_sd: float = 1.0,
    df_rule: str = "hsu",
) -> Rates:
    """A paper's mean ± std over m runs (its own spread ``paper_sd``) against n of our runs."""
    paper = rng.normal(0.0, paper_sd, (reps, m))
    ours = rng.normal(theta, 1.0, (reps, n))
    est = claim_tests.welch(ours, paper.mean(axis=1), paper.std(axis=1, ddof=1), m, df_rule=df_rule)
    return _rates(est, claim_tests.Region(-delta, delta))


def min_max(rng: np.random.Generator, reps: int, n: int, theta: float, delta: float, m: int = 5) -> Rates:
    """A paper's min and max over m runs against n of our runs."""
    paper = rng.normal(0.0, 1.0, (reps, m))
    ours = rng.normal(theta, 1.0, (reps, n))
    est = claim_tests.min_max(ours, paper.min(axis=1), paper.max(axis=1), m=m)
    return _rates(est, claim_tests.Region(-delta, delta))


def relation(
    rng: np.random.Generator,
    reps: int,
    n: int,
    theta: float,
    direction: str,
    *,
    reported: float | None = None,
    delta: float = 0.0,
    margin: float | None = None,
) -> Rates:
    """Two arms paired by seed (a shared per-seed effect), true mean difference A − B = θ."""
    shared = rng.normal(0.0, 1.0, (reps, n))
    a = shared + theta + rng.normal(0.0, 1.0, (reps, n))
    b = shared + rng.normal(0.0, 1.0, (reps, n))
    region = claim_tests.region_for("relation", direction, reported=reported, delta=delta, margin=margin)
    return _rates(claim_tests.paired(a, b), region)


def ratio(
    rng: np.random.Generator,
    reps: int,
    n: int,
    true_ratio: float,
    direction: str,
    *,
    reported: float | None = None,
    delta: float = 0.0,
    margin: float | None = None,
    log_sd: float = 0.2,
) -> Rates:
    """Two positive arms (log-normal, like early-stopping iterations) whose geometric mean ratio is known."""
    shared = rng.normal(math.log(5000.0), 0.3, (reps, n))
    a = np.exp(shared + math.log(true_ratio) + rng.normal(0.0, log_sd, (reps, n)))
    b = np.exp(shared + rng.normal(0.0, log_sd, (reps, n)))
    region = claim_tests.region_for("ratio", direction, reported=reported, delta=delta, margin=margin)
    return _rates(claim_tests.paired(a, b, log_ratio=True), region)
