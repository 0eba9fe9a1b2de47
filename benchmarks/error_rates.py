"""Measured error rates of every claim kind's test (Monte-Carlo), as tabled in docs/statistics.md.

    .venv/bin/python benchmarks/error_rates.py [--reps 100000] [--seed 1]

For each kind and number of seeds n: the rate of *reproduced* with the truth on the edge of the claim's
region (the false-reproduced rate; nominal α = 0.05), the rate of *not reproduced* when our setup is
identical to the paper's (false not-reproduced; ≤ α), and the power (reproduced) under a stated
alternative. Units: the run-to-run standard deviation σ = 1. Scenarios are those of
tests/core/error_rates.py, which tests/core/test_error_rates.py asserts with fewer replicates.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.core import error_rates as er  # noqa: E402

Case = tuple[str, str, Callable[..., er.Rates], Callable[..., er.Rates], Callable[..., er.Rates]]


def cases() -> list[Case]:
    """(kind, setting, at the edge, identical setup, alternative) as functions of (rng, reps, n)."""
    return [
        ("single (one draw)", "δ = 3σ; power at δ = 4σ",
         lambda g, r, n: er.single(g, r, n, 3.0, 3.0),
         lambda g, r, n: er.single(g, r, n, 0.0, 3.0),
         lambda g, r, n: er.single(g, r, n, 0.0, 4.0)),
        ("single, old test (s/√n)", "δ = 1.25σ (issue: σ 0.4, δ 0.5)",
         lambda g, r, n: er.single_as_mean(g, r, n, 1.25, 1.25),
         lambda g, r, n: er.single_as_mean(g, r, n, 0.0, 1.25),
         lambda g, r, n: er.single_as_mean(g, r, n, 0.0, 4.0)),
        ("single, new test", "δ = 1.25σ (below z·σ: cannot pass)",
         lambda g, r, n: er.single(g, r, n, 1.25, 1.25),
         lambda g, r, n: er.single(g, r, n, 0.0, 1.25),
         lambda g, r, n: er.single(g, r, n, 0.0, 1.25)),
        ("figure (mean of 5)", "δ = 2σ",
         lambda g, r, n: er.single(g, r, n, 2.0, 2.0, m=5),
         lambda g, r, n: er.single(g, r, n, 0.0, 2.0, m=5),
         lambda g, r, n: er.single(g, r, n, 0.0, 2.0, m=5)),
        ("mean_std (m = 5)", "δ = 1.5σ; power at δ = 2σ",
         lambda g, r, n: er.mean_std(g, r, n, 1.5, 1.5),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 1.5),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 2.0)),
        ("mean_std, paper σ = 2", "δ = 1.5σ",
         lambda g, r, n: er.mean_std(g, r, n, 1.5, 1.5, paper_sd=2.0),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 1.5, paper_sd=2.0),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 2.0, paper_sd=2.0)),
        ("mean_std, paper σ = ½", "δ = 1.5σ",
         lambda g, r, n: er.mean_std(g, r, n, 1.5, 1.5, paper_sd=0.5),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 1.5, paper_sd=0.5),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 2.0, paper_sd=0.5)),
        ("mean_std, Satterthwaite ν (not used)", "δ = 1.5σ, paper σ = ½",
         lambda g, r, n: er.mean_std(g, r, n, 1.5, 1.5, paper_sd=0.5, df_rule="welch"),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 1.5, paper_sd=0.5, df_rule="welch"),
         lambda g, r, n: er.mean_std(g, r, n, 0.0, 2.0, paper_sd=0.5, df_rule="welch")),
        ("min_max (m = 5)", "δ = 2.5σ",
         lambda g, r, n: er.min_max(g, r, n, 2.5, 2.5),
         lambda g, r, n: er.min_max(g, r, n, 0.0, 2.5),
         lambda g, r, n: er.min_max(g, r, n, 0.0, 2.5)),
        ("relation greater, margin 0.3", "σ_d = √2; power at Δ = 1.8",
         lambda g, r, n: er.relation(g, r, n, 0.3, "greater", margin=0.3),
         lambda g, r, n: er.relation(g, r, n, 0.3, "greater", margin=0.3),
         lambda g, r, n: er.relation(g, r, n, 1.8, "greater", margin=0.3)),
        ("relation non_inferior", "δ = 1; power at Δ = 0, δ = 1.5",
         lambda g, r, n: er.relation(g, r, n, -1.0, "non_inferior", delta=1.0),
         lambda g, r, n: er.relation(g, r, n, 0.0, "non_inferior", delta=1.0),
         lambda g, r, n: er.relation(g, r, n, 0.0, "non_inferior", delta=1.5)),
        ("relation equivalent to +0.5", "δ = 1; power at δ = 2",
         lambda g, r, n: er.relation(g, r, n, 1.5, "equivalent", reported=0.5, delta=1.0),
         lambda g, r, n: er.relation(g, r, n, 0.5, "equivalent", reported=0.5, delta=1.0),
         lambda g, r, n: er.relation(g, r, n, 0.5, "equivalent", reported=0.5, delta=2.0)),
        ("ratio 0.62 ± 0.15", "log-normal, sd(log A/B) = 0.28",
         lambda g, r, n: er.ratio(g, r, n, 0.77, "equivalent", reported=0.62, delta=0.15),
         lambda g, r, n: er.ratio(g, r, n, 0.62, "equivalent", reported=0.62, delta=0.15),
         lambda g, r, n: er.ratio(g, r, n, 0.62, "equivalent", reported=0.62, delta=0.15)),
        ("ratio less (earlier)", "true ratio 1; power at 0.62",
         lambda g, r, n: er.ratio(g, r, n, 1.0, "less"),
         lambda g, r, n: er.ratio(g, r, n, 1.0, "less"),
         lambda g, r, n: er.ratio(g, r, n, 0.62, "less")),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 5, 10, 20, 100])
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    mc = 3 * math.sqrt(0.05 * 0.95 / args.reps)
    print(
        f"# {args.reps} replicates per cell, numpy seed {args.seed}, {platform.machine()}, 3·MC se = {mc:.4f}"
    )
    print("| claim kind | setting | n | false reproduced (edge) | false not reproduced (identical) | power |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for kind, setting, edge, identical, alternative in cases():
        for n in args.seeds:
            e, i, a = edge(rng, args.reps, n), identical(rng, args.reps, n), alternative(rng, args.reps, n)
            rates = f"{e.reproduced:.4f} | {i.not_reproduced:.4f} | {a.reproduced:.3f}"
            print(f"| {kind} | {setting} | {n} | {rates} |")
    print(f"# {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
