"""Verdicts on synthetic runs tables built so that every verdict path occurs, with exact numbers.

The expected numbers are recomputed here from the formulas (scipy's t quantiles and t tests,
statsmodels' TOST), independently of core.stats and core.claim_tests, and the verdicts are spelled out.
Error rates of the same tests under simulation are in tests/core/test_error_rates.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW

from core import stats
from core.claims import LATER_FIELDS, Claim, ClaimSet
from core.schemas import SchemaError
from reports.reproduction.inputs import read_inputs
from reports.reproduction.verdicts import (
    ADJUSTMENT_TEXT,
    COLUMNS,
    MARGIN_BELOW_SPREAD,
    judge_claims,
    overall,
    select_rows,
)

SEEDS = [0, 1, 2, 3, 4]
DENSE = [98.0, 98.2, 98.4, 98.2, 98.2]  # mean 98.2, s² = 0.02
IMP = [d + x for d, x in zip(DENSE, [0.5, 0.6, 0.4, 0.7, 0.5], strict=True)]
REINIT = [i - x for i, x in zip(IMP, [1.0, 1.2, 0.9, 1.1, 1.0], strict=True)]
SNIP90 = [d + x for d, x in zip(DENSE, [0.05, -0.05, 0.0, 0.1, -0.1], strict=True)]
SNIP98 = [96.0, 96.2, 96.1, 95.9, 96.3]  # mean 96.1, s² = 0.025
NOISY = [97.0, 98.5, 96.5, 98.0, 97.5]  # mean 97.5, s² = 0.625
#: early-stopping iterations per arm (900 for arms not listed): the ticket stops ≈ 40% earlier than dense
EARLY_STOP = {
    ("dense", 0.0): [1000, 900, 1100, 1000, 900],
    ("imp", 0.8): [600, 500, 700, 600, 500],
}
ARMS = {
    ("dense", 0.0): DENSE,
    ("imp", 0.8): IMP,
    ("random_reinit", 0.8): REINIT,
    ("snip", 0.9): SNIP90,
    ("snip", 0.98): SNIP98,
    ("noisy", 0.5): NOISY,
}


def runs_table(arms: dict[tuple[str, float], list[float]] = ARMS, protocol: str = "paper") -> pd.DataFrame:
    rows = []
    for (arm, target), values in arms.items():
        for seed, acc in zip(SEEDS, values, strict=False):
            rows.append(
                {
                    "paper_id": "TEST",
                    "protocol": protocol,
                    "seed": seed,
                    "arm": arm,
                    "model": "lenet_300_100",
                    "dataset": "mnist",
                    "target_sparsity": target,
                    "sparsity": target + 1e-5 if target else 0.0,
                    "round": 0,
                    "test_accuracy": acc,
                    "test_loss": 0.07,
                    "val_loss": 0.08,
                    "early_stop_iteration": EARLY_STOP.get((arm, target), [900] * 5)[seed],
                    "iterations": 1000,
                    "wall_s": 10.0,
                    "device": "cpu",
                    "state_hash": f"{arm}-{target}-{seed}-0123456789abcdef",
                }
            )
    return pd.DataFrame(rows)


def arm(name: str, target: float) -> dict:
    return {"arm": name, "target_sparsity": target}


CLAIMS = (
    Claim("dense-ref", "dense reaches 98.3", "single", arm("dense", 0.0), reported=98.3),
    Claim("snip98-single", "SNIP 98% reaches 97.6", "single", arm("snip", 0.98), reported=97.6),
    Claim("noisy-single", "noisy arm reaches 97.8", "single", arm("noisy", 0.5), reported=97.8),
    Claim("quick-only", "only for quick", "single", arm("dense", 0.0), reported=90.0, protocols=("quick",)),
    Claim(
        "snip98-mean-std",
        "SNIP 98% 96.0 ± 0.2",
        "mean_std",
        arm("snip", 0.98),
        reported=96.0,
        reported_std=0.2,
        reported_n=5,
        reported_spread="std",
    ),
    Claim(
        "dense-range",
        "dense in [97.9, 98.5]",
        "min_max",
        arm("dense", 0.0),
        reported_min=97.9,
        reported_max=98.5,
    ),
    Claim(
        "snip98-range",
        "SNIP 98% in [97.0, 97.8]",
        "min_max",
        arm("snip", 0.98),
        reported_min=97.0,
        reported_max=97.8,
        reported_n=10,
    ),
    Claim(
        "imp-beats-reinit",
        "ticket beats reinit",
        "relation",
        arm("imp", 0.8),
        baseline=arm("random_reinit", 0.8),
        direction="greater",
    ),
    Claim(
        "reinit-beats-imp",
        "reinit beats ticket",
        "relation",
        arm("random_reinit", 0.8),
        baseline=arm("imp", 0.8),
        direction="greater",
    ),
    Claim(
        "snip90-equiv-dense",
        "SNIP 90% ≈ dense",
        "relation",
        arm("snip", 0.9),
        baseline=arm("dense", 0.0),
        direction="equivalent",
    ),
    Claim(
        "noisy-beats-dense",
        "noisy beats dense",
        "relation",
        arm("noisy", 0.5),
        baseline=arm("dense", 0.0),
        direction="greater",
    ),
    Claim("figure-read", "read off a figure", "figure", arm("snip", 0.9), reported=98.0, delta=0.6),
    Claim("snip90-single-close", "SNIP 90% reaches 98.4", "single", arm("snip", 0.9), reported=98.4),
    Claim("snip90-single-edge", "SNIP 90% reaches 98.5", "single", arm("snip", 0.9), reported=98.5),
    Claim(
        "imp-beats-dense-by-0.3",
        "ticket beats dense by more than 0.3",
        "relation",
        arm("imp", 0.8),
        baseline=arm("dense", 0.0),
        direction="greater",
        margin=0.3,
    ),
    Claim(
        "imp-beats-dense-by-1",
        "ticket beats dense by more than 1",
        "relation",
        arm("imp", 0.8),
        baseline=arm("dense", 0.0),
        direction="greater",
        margin=1.0,
    ),
    Claim(
        "reinit-no-worse-0.7",
        "reinit no worse than dense − 0.7",
        "relation",
        arm("random_reinit", 0.8),
        baseline=arm("dense", 0.0),
        direction="non_inferior",
        delta=0.7,
    ),
    Claim(
        "reinit-no-worse-0.3",
        "reinit no worse than dense − 0.3",
        "relation",
        arm("random_reinit", 0.8),
        baseline=arm("dense", 0.0),
        direction="non_inferior",
        delta=0.3,
    ),
    Claim(
        "imp-gap-half",
        "ticket ≈ dense + 0.5",
        "relation",
        arm("imp", 0.8),
        baseline=arm("dense", 0.0),
        direction="equivalent",
        reported=0.5,
        delta=0.3,
    ),
    Claim(
        "early-stop-ratio",
        "ticket stops 38% earlier",
        "ratio",
        arm("imp", 0.8),
        baseline=arm("dense", 0.0),
        metric="early_stop_iteration",
        direction="equivalent",
        reported=0.62,
        delta=0.15,
    ),
    Claim(
        "early-stop-as-dense",
        "ticket stops when dense does",
        "ratio",
        arm("imp", 0.8),
        baseline=arm("dense", 0.0),
        metric="early_stop_iteration",
        direction="equivalent",
        reported=1.0,
        delta=0.15,
    ),
    Claim(
        "early-stop-earlier",
        "ticket stops earlier",
        "ratio",
        arm("imp", 0.8),
        baseline=arm("dense", 0.0),
        metric="early_stop_iteration",
        direction="less",
    ),
    Claim(
        "control-imp-beats-reinit",
        "the registry's own check",
        "relation",
        arm("imp", 0.8),
        baseline=arm("random_reinit", 0.8),
        direction="greater",
        role="control",
    ),
)

EXPECTED = {
    "dense-ref": "reproduced",
    "snip98-single": "not_reproduced",
    "noisy-single": "inconclusive",
    "quick-only": "not_applicable",
    "snip98-mean-std": "reproduced",
    "dense-range": "reproduced",
    "snip98-range": "not_reproduced",
    "imp-beats-reinit": "reproduced",
    "reinit-beats-imp": "not_reproduced",
    "snip90-equiv-dense": "reproduced",
    "noisy-beats-dense": "inconclusive",
    "figure-read": "reproduced",
    "snip90-single-close": "inconclusive",
    "snip90-single-edge": "inconclusive",
    "imp-beats-dense-by-0.3": "reproduced",
    "imp-beats-dense-by-1": "not_reproduced",
    "reinit-no-worse-0.7": "reproduced",
    "reinit-no-worse-0.3": "not_reproduced",
    "imp-gap-half": "reproduced",
    "early-stop-ratio": "reproduced",
    "early-stop-as-dense": "not_reproduced",
    "early-stop-earlier": "reproduced",
    "control-imp-beats-reinit": "reproduced",
}
#: every applicable claim has a finite p-value here, so Holm's family is all of them
FAMILY = len(CLAIMS) - 1


@pytest.fixture(scope="module")
def verdicts() -> pd.DataFrame:
    return judge_claims(CLAIMS, runs_table(), "paper").set_index("claim_id")


def test_every_verdict_path(verdicts):
    assert verdicts["verdict"].to_dict() == EXPECTED
    assert list(verdicts.reset_index().columns) == COLUMNS
    assert (verdicts["holm_family"] == FAMILY).all()


def test_single_number_is_one_draw(verdicts):
    """se = s·√(1 + 1/n), ν = n − 1: the pooled two-sample t with the paper's one value (Welch, m = 1)."""
    r = verdicts.loc["dense-ref"]
    s = math.sqrt(0.02)
    assert (r["n"], r["mean"], r["std"]) == (5, pytest.approx(98.2, abs=1e-12), pytest.approx(s, rel=1e-10))
    se = s * math.sqrt(1 + 1 / 5)
    assert r["se"] == pytest.approx(se, rel=1e-10) and r["df"] == 4
    half = sps.t.ppf(0.95, 4) * se  # 1 − 2α = 90% CI of Δ = x̄ − reported
    assert r["mean_diff"] == pytest.approx(-0.1, abs=1e-12)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-0.1 - half, -0.1 + half), rel=1e-10)
    assert r["ci_low"] > -0.5 and r["ci_high"] < 0.5
    # scipy's pooled t test of our runs against the single reported value is the same statistic
    pooled = sps.ttest_ind(DENSE, [98.3], equal_var=True)
    assert r["statistic"] == pytest.approx(pooled.statistic, rel=1e-10)
    assert r["p_difference"] == pytest.approx(pooled.pvalue, rel=1e-10)
    lower = sps.ttest_ind(DENSE, [98.3 - 0.5], alternative="greater").pvalue
    upper = sps.ttest_ind(DENSE, [98.3 + 0.5], alternative="less").pvalue
    assert r["p_equivalence"] == pytest.approx(max(lower, upper), rel=1e-10)
    pi = sps.t.ppf(0.975, 4) * s * math.sqrt(1 + 1 / 5)
    assert (r["pi_low"], r["pi_high"]) == pytest.approx((98.2 - pi, 98.2 + pi), rel=1e-12)
    assert r["percentile_of_reported"] == 80.0  # 98.3 is above 4 of the 5 runs
    assert r["cv"] == pytest.approx(s / 98.2, rel=1e-10)
    assert (r["bound_low"], r["bound_high"], r["reference"]) == (-0.5, 0.5, 98.3)
    assert pd.isna(r["seeds_needed"]) and "inside" in r["reason"]


def test_single_not_reproduced_numbers(verdicts):
    r = verdicts.loc["snip98-single"]
    se = math.sqrt(0.025) * math.sqrt(1 + 1 / 5)
    assert r["mean_diff"] == pytest.approx(-1.5, abs=1e-12)
    assert r["ci_high"] == pytest.approx(-1.5 + sps.t.ppf(0.95, 4) * se, rel=1e-10)
    assert r["ci_high"] < -0.5
    assert r["p_value"] == pytest.approx(sps.t.cdf((-1.5 + 0.5) / se, 4), rel=1e-8)
    assert r["p_value_holm"] < 0.05 and "Holm" in r["reason"]


def test_margin_below_the_run_to_run_spread(verdicts):
    """s = 0.79: even infinitely many seeds leave z·s = 1.30 > δ = 0.5 of the paper's own draw."""
    r = verdicts.loc["noisy-single"]
    s = math.sqrt(0.625)
    assert r["ci_low"] < -0.5 < r["ci_high"]
    assert r["reason"].startswith(MARGIN_BELOW_SPREAD) and pd.isna(r["seeds_needed"])
    assert f"({sps.norm.ppf(0.95) * s:.3g}," in r["reason"]  # the floor, here reached at n = 10 000


def test_single_inconclusive_scans_for_seeds(verdicts):
    r = verdicts.loc["snip90-single-close"]
    s = np.std(SNIP90, ddof=1)
    assert r["mean_diff"] == pytest.approx(np.mean(SNIP90) - 98.4, abs=1e-12)
    assert r["ci_low"] < -0.5 < r["ci_high"]
    # distance to the nearer boundary: δ − |Δ̂| = 0.3, leaning to "reproduced" (level α, no Holm)
    distance = 0.5 - abs(r["mean_diff"])
    n = next(n for n in range(6, 10_000) if sps.t.ppf(0.95, n - 1) * s * math.sqrt(1 / n + 1) < distance)
    assert r["seeds_needed"] == n
    assert f"about {n} seeds" in r["reason"]
    # at 98.5 the distance (0.2) is below the floor z·s = 0.24 that one reported draw leaves: more seeds
    # cannot decide, although δ itself is above the floor (so the margin is not the problem)
    edge = verdicts.loc["snip90-single-edge"]
    assert 0.5 - abs(edge["mean_diff"]) < sps.norm.ppf(0.95) * s < 0.5
    assert pd.isna(edge["seeds_needed"]) and "too close to a boundary" in edge["reason"]


def test_not_applicable_is_shown_but_never_judged(verdicts):
    r = verdicts.loc["quick-only"]
    assert not r["protocol_applicable"]
    assert r["mean"] == pytest.approx(98.2)  # numbers still shown
    assert pd.isna(r["p_value_holm"]) and pd.isna(r["seeds_needed"])
    assert "not 'paper'" in r["note"] and "not 'paper'" in r["reason"]


def test_mean_std_uses_welch_from_summary_stats(verdicts):
    """Welch's statistic from summary statistics, decided with Hsu's conservative ν = min(n, m) − 1
    (Welch–Satterthwaite's ν is slightly liberal with few paper runs: docs/statistics.md)."""
    r = verdicts.loc["snip98-mean-std"]
    ref = sps.ttest_ind_from_stats(96.1, math.sqrt(0.025), 5, 96.0, 0.2, 5, equal_var=False)
    assert r["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    v1, v2 = 0.025 / 5, 0.04 / 5
    satterthwaite = (v1 + v2) ** 2 / (v1**2 / 4 + v2**2 / 4)
    assert r["df"] == 4 < satterthwaite
    assert r["p_difference"] == pytest.approx(2 * sps.t.sf(abs(ref.statistic), 4), rel=1e-9)
    assert r["p_difference"] > ref.pvalue  # more conservative than scipy's Welch p-value
    half = sps.t.ppf(0.95, 4) * math.sqrt(v1 + v2)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.1 - half, 0.1 + half), rel=1e-9)
    assert "Hsu" in r["test"]


def test_mean_std_converts_sem_and_ci95():
    runs = runs_table()
    sem = Claim(
        "c",
        "",
        "mean_std",
        arm("snip", 0.98),
        reported=96.0,
        reported_std=0.1,
        reported_n=4,
        reported_spread="sem",
    )
    ci = Claim(
        "d",
        "",
        "mean_std",
        arm("snip", 0.98),
        reported=96.0,
        reported_std=0.3,
        reported_n=6,
        reported_spread="ci95",
    )
    out = judge_claims((sem, ci), runs, "paper").set_index("claim_id")
    s_sem = 0.1 * 2
    ref = sps.ttest_ind_from_stats(96.1, math.sqrt(0.025), 5, 96.0, s_sem, 4, equal_var=False)
    assert out.loc["c", "statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    s_ci = 0.3 * math.sqrt(6) / sps.t.ppf(0.975, 5)
    ref = sps.ttest_ind_from_stats(96.1, math.sqrt(0.025), 5, 96.0, s_ci, 6, equal_var=False)
    assert out.loc["d", "statistic"] == pytest.approx(ref.statistic, rel=1e-9)


def test_mean_std_without_a_usable_spread_is_a_mean_of_m_runs():
    """No std but m known: the paper's mean has variance σ²/m with σ estimated by ours (never exact)."""
    claim = Claim("e", "", "mean_std", arm("dense", 0.0), reported=98.3, reported_n=4)
    r = judge_claims((claim,), runs_table(), "paper").iloc[0]
    assert r["se"] == pytest.approx(math.sqrt(0.02) * math.sqrt(1 / 5 + 1 / 4), rel=1e-10)
    assert "mean of 4 runs" in r["test"] and "unusable" in r["note"]


def test_min_max_through_the_midrange(verdicts):
    inside = verdicts.loc["dense-range"]
    assert (inside["min"], inside["max"]) == (98.0, 98.4)  # both ranges are shown
    # m unknown → 2: the midrange of two runs is their mean, variance σ²/2
    assert inside["reference"] == pytest.approx(98.2) and inside["mean_diff"] == pytest.approx(0.0, abs=1e-12)
    assert inside["se"] == pytest.approx(math.sqrt(0.02) * math.sqrt(1 / 5 + 1 / 2), rel=1e-10)
    assert "m = 2 assumed" in inside["note"]
    apart = verdicts.loc["snip98-range"]
    se = math.sqrt(0.025) * math.sqrt(1 / 5 + stats.midrange_variance(10))
    assert apart["mean_diff"] == pytest.approx(96.1 - 97.4, abs=1e-12)
    assert apart["se"] == pytest.approx(se, rel=1e-10)
    assert apart["p_value"] == pytest.approx(sps.t.cdf((-1.3 + 0.5) / se, 4), rel=1e-8)
    assert "midrange" in apart["test"]


def test_relation_paired_by_seed(verdicts):
    r = verdicts.loc["imp-beats-reinit"]
    d = np.array([1.0, 1.2, 0.9, 1.1, 1.0])
    assert r["mean_diff"] == pytest.approx(d.mean(), rel=1e-10)
    half = sps.t.ppf(0.95, 4) * d.std(ddof=1) / math.sqrt(5)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-9)
    assert r["statistic"] == pytest.approx(sps.ttest_rel(IMP, REINIT).statistic, rel=1e-9)
    assert r["p_equivalence"] == pytest.approx(
        sps.ttest_rel(IMP, REINIT, alternative="greater").pvalue, rel=1e-9
    )
    assert r["p_permutation"] == 1 / 32  # all five differences positive: only the identity is as extreme
    assert r["prob_a_beats_b"] == 1.0
    assert r["delta"] == 0.0 and (r["bound_low"], r["bound_high"]) == (0.0, math.inf)
    assert r["boot_ci_low"] > 0
    wrong = verdicts.loc["reinit-beats-imp"]
    assert wrong["ci_high"] < 0
    assert wrong["p_value"] == pytest.approx(sps.ttest_rel(REINIT, IMP, alternative="less").pvalue, rel=1e-9)


def test_superiority_by_a_margin(verdicts):
    """ "A beats B by more than m": H0 Δ ≤ m, i.e. a one-sided paired t test against m, not against 0."""
    d = np.array(IMP) - np.array(DENSE)
    by_03, by_1 = verdicts.loc["imp-beats-dense-by-0.3"], verdicts.loc["imp-beats-dense-by-1"]
    for row, m in ((by_03, 0.3), (by_1, 1.0)):
        ref = sps.ttest_1samp(d - m, 0.0, alternative="greater").pvalue
        assert row["p_equivalence"] == pytest.approx(ref, rel=1e-9)
        assert row["p_value"] == pytest.approx(1 - ref, rel=1e-9)
        assert (row["bound_low"], row["delta"]) == (m, m)
    assert by_03["ci_low"] > 0.3 and by_1["ci_high"] < 1.0
    # the sign-flip p-value is about the margin too: d − 1 is negative on every seed
    assert by_03["p_permutation"] == 1 / 32 and by_1["p_permutation"] == 1.0


def test_non_inferiority(verdicts):
    d = np.array(REINIT) - np.array(DENSE)  # −0.5 on average
    ok, bad = verdicts.loc["reinit-no-worse-0.7"], verdicts.loc["reinit-no-worse-0.3"]
    assert ok["p_equivalence"] == pytest.approx(sps.ttest_1samp(d + 0.7, 0, alternative="greater").pvalue)
    assert (ok["bound_low"], ok["bound_high"]) == (-0.7, math.inf) and ok["ci_low"] > -0.7
    assert bad["ci_high"] < -0.3
    assert bad["p_value"] == pytest.approx(sps.ttest_1samp(d + 0.3, 0, alternative="less").pvalue, rel=1e-9)


def test_equivalence_to_a_reported_difference(verdicts):
    r = verdicts.loc["imp-gap-half"]
    d = np.array(IMP) - np.array(DENSE)
    assert (r["bound_low"], r["bound_high"]) == pytest.approx((0.2, 0.8)) and r["reference"] == 0.5
    assert r["p_equivalence"] == pytest.approx(DescrStatsW(d).ttost_mean(0.2, 0.8)[0], rel=1e-9)


def test_ratio_claims_on_the_log_scale(verdicts):
    """Per-seed log(A/B): the claim is about the geometric mean ratio; bounds are logs of ratios."""
    ratios = np.array(EARLY_STOP[("imp", 0.8)]) / np.array(EARLY_STOP[("dense", 0.0)])
    logs = np.log(ratios)
    r = verdicts.loc["early-stop-ratio"]
    assert r["scale"] == "ratio"
    assert r["mean_diff"] == pytest.approx(math.exp(logs.mean()), rel=1e-12)
    assert r["se"] == pytest.approx(logs.std(ddof=1) / math.sqrt(5), rel=1e-10)
    half = sps.t.ppf(0.95, 4) * r["se"]
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(
        (math.exp(logs.mean() - half), math.exp(logs.mean() + half)), rel=1e-10
    )
    assert (r["bound_low"], r["bound_high"]) == pytest.approx((0.47, 0.77))
    tost = DescrStatsW(logs).ttost_mean(math.log(0.47), math.log(0.77))[0]
    assert r["p_equivalence"] == pytest.approx(tost, rel=1e-9)
    same = verdicts.loc["early-stop-as-dense"]
    assert same["ci_high"] < 0.85 and same["p_value"] == pytest.approx(
        sps.ttest_1samp(logs - math.log(0.85), 0, alternative="less").pvalue, rel=1e-9
    )
    earlier = verdicts.loc["early-stop-earlier"]
    assert earlier["bound_high"] == 1.0 and earlier["ci_high"] < 1.0 and earlier["delta"] == 1.0


def test_ratio_of_non_positive_values_is_inconclusive():
    runs = runs_table()
    runs.loc[runs["arm"] == "dense", "early_stop_iteration"] = 0
    claim = Claim(
        "r", "", "ratio", arm("imp", 0.8), baseline=arm("dense", 0.0), metric="early_stop_iteration"
    )
    r = judge_claims((claim,), runs, "paper").iloc[0]
    assert r["verdict"] == "inconclusive" and "positive values" in r["note"]


def test_relation_equivalent_is_a_paired_tost(verdicts):
    r = verdicts.loc["snip90-equiv-dense"]
    d = np.array(SNIP90) - np.array(DENSE)
    assert r["p_equivalence"] == pytest.approx(DescrStatsW(d).ttost_mean(-0.5, 0.5)[0], rel=1e-8)
    assert r["delta"] == 0.5


def test_relation_inconclusive_seeds(verdicts):
    r = verdicts.loc["noisy-beats-dense"]
    d = np.array(NOISY) - np.array(DENSE)
    assert r["ci_low"] < 0 < r["ci_high"]
    s, distance = d.std(ddof=1), abs(d.mean())
    # Δ̂ = −0.7 points the wrong way: deciding "not reproduced" must survive Holm across every
    # applicable claim, so the one-sided level is α/FAMILY
    level = 0.05 / FAMILY
    n = next(n for n in range(6, 10_000) if sps.t.ppf(1 - level, n - 1) * s / math.sqrt(n) < distance)
    assert r["seeds_needed"] == n == 16
    assert "not reproduced" in r["reason"]


def test_holm_across_applicable_claims(verdicts):
    applicable = verdicts[verdicts["protocol_applicable"]]
    p = applicable["p_value"].astype(float)
    assert p.notna().all() and len(p) == FAMILY
    expected = multipletests(p.to_numpy(), method="holm")[1]
    assert applicable["p_value_holm"].to_numpy() == pytest.approx(expected, rel=1e-12)


def test_holm_can_demote_a_not_reproduced_flag():
    # two arms of 3 runs (mean 1.3, s = 0.3), one reported draw 0 with δ = 0.25: se = 0.3·√(4/3),
    # t = 1.05/se = 3.031, ν = 2, one-sided p = ½(1 − t/√(t² + 2)) = 0.0469. Alone: "not reproduced";
    # Holm across the two doubles it and neither survives.
    arms = {("a", 0.1): [1.0, 1.6, 1.3], ("b", 0.2): [1.0, 1.6, 1.3]}
    claims = tuple(
        Claim(k, "", "single", arm(k, t), reported=0.0, delta=0.25) for k, t in (("a", 0.1), ("b", 0.2))
    )
    alone = judge_claims(claims[:1], runs_table(arms), "paper").iloc[0]
    t = 1.05 / (0.3 * math.sqrt(4 / 3))
    assert alone["p_value"] == pytest.approx(0.5 * (1 - t / math.sqrt(t**2 + 2)), rel=1e-10)
    assert alone["verdict"] == "not_reproduced" and alone["ci_low"] > 0.25
    both = judge_claims(claims, runs_table(arms), "paper")
    assert both["p_value_holm"].tolist() == pytest.approx([2 * alone["p_value"]] * 2, rel=1e-12)
    assert both["verdict"].tolist() == ["inconclusive", "inconclusive"]
    assert "not after Holm" in both["note"].iloc[0] and "not after Holm" in both["reason"].iloc[0]


def test_degenerate_inputs_are_inconclusive_not_errors():
    arms = {("one", 0.5): [97.0], ("flat", 0.6): [97.0, 97.0, 97.0]}
    claims = (
        Claim("one-run", "", "single", arm("one", 0.5), reported=97.0),
        Claim("zero-spread", "", "single", arm("flat", 0.6), reported=97.0),
        Claim("no-rows", "", "single", arm("ghost", 0.5), reported=97.0),
        Claim("no-column", "", "single", {"arm": "one", "optimizer": "sgd"}, reported=97.0),
        Claim("no-metric", "", "single", arm("one", 0.5), metric="val_accuracy", reported=97.0),
        Claim("no-reported", "", "single", arm("flat", 0.6)),
        Claim("rel-no-baseline", "", "relation", arm("flat", 0.6), direction="greater"),
        Claim(
            "rel-flat", "", "relation", arm("flat", 0.6), baseline=arm("flat", 0.6), direction="equivalent"
        ),
        Claim("range-one", "", "min_max", arm("one", 0.5), reported_min=96.0, reported_max=98.0),
        Claim("range-none", "", "min_max", arm("flat", 0.6)),
        Claim("ratio-zero-margin", "", "ratio", arm("flat", 0.6), baseline=arm("flat", 0.6), margin=0.0,
              direction="greater"),
    )  # fmt: skip
    out = judge_claims(claims, runs_table(arms), "paper").set_index("claim_id")
    assert set(out["verdict"]) == {"inconclusive"}
    assert out["seeds_needed"].isna().all() and (out["reason"] != "").all()
    assert "no runs match" in out.loc["no-rows", "note"]
    assert "optimizer" in out.loc["no-column", "note"]
    assert "val_accuracy" in out.loc["no-metric", "note"]
    assert "too few runs or zero spread" in out.loc["zero-spread", "note"]
    assert "reported_min" in out.loc["range-none", "note"]
    assert "above 0" in out.loc["ratio-zero-margin", "note"]
    assert overall(out.reset_index()).all_reproduced is False


def test_unpaired_relation_falls_back_to_welch():
    runs = runs_table({("a", 0.5): [98.0, 98.4, 98.2], ("b", 0.5): [97.0, 97.3, 97.1]})
    runs.loc[runs["arm"] == "b", "seed"] += 100  # no seed pairs up
    claim = Claim("r", "", "relation", arm("a", 0.5), baseline=arm("b", 0.5), direction="greater")
    r = judge_claims((claim,), runs, "paper").iloc[0]
    assert r["test"].startswith("Welch")
    ref = sps.ttest_ind([98.0, 98.4, 98.2], [97.0, 97.3, 97.1], equal_var=False)
    assert r["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    assert r["verdict"] == "reproduced"


def test_select_rows_rounds_target_sparsity():
    runs = runs_table()
    runs.loc[runs["arm"] == "snip", "target_sparsity"] += 1e-7
    rows, note = select_rows(runs, {"arm": "snip", "target_sparsity": 0.98})
    assert len(rows) == 5 and note == ""


def test_intervals_of_accuracy_stay_within_0_and_100():
    """Five runs at 99.4–100: the t intervals would reach past 100 %; they are cut there, and say so."""
    runs = runs_table({("top", 0.5): [100.0, 99.6, 100.0, 99.4, 100.0]})
    claim = Claim("top", "", "single", arm("top", 0.5), reported=99.9, delta=0.3)
    r = judge_claims((claim,), runs, "paper").iloc[0]
    mean, s = 99.8, np.std([100.0, 99.6, 100.0, 99.4, 100.0], ddof=1)
    assert mean + sps.t.ppf(0.975, 4) * s / math.sqrt(5) > 100  # the uncut interval
    assert r["mean_ci_high"] == 100.0 and r["pi_high"] == 100.0 and bool(r["ci_clipped"])
    assert r["mean_ci_low"] == pytest.approx(mean - sps.t.ppf(0.975, 4) * s / math.sqrt(5))
    assert "[0, 100]" in r["note"]
    fine = judge_claims(CLAIMS[:1], runs_table(), "paper").iloc[0]
    assert not fine["ci_clipped"] and "cut" not in fine["note"]


def test_sparsities_are_reported_beside_the_verdict():
    runs = runs_table()
    runs["effective_sparsity"] = runs["sparsity"] + 0.001
    claim = Claim("s", "", "single", arm("snip", 0.98), reported=96.0, sparsity_measure="effective")
    r = judge_claims((claim,), runs, "paper").iloc[0]
    assert r["mean_sparsity"] == pytest.approx(0.98 + 1e-5)
    assert r["mean_effective_sparsity"] == pytest.approx(0.98 + 1e-5 + 0.001)
    assert r["sparsity_measure"] == "effective"


def test_overall_intersection_union():
    good = tuple(c for c in CLAIMS if EXPECTED[c.id] == "reproduced" and c.role == "paper")
    frame = judge_claims(good, runs_table(), "paper")
    result = overall(frame)
    assert result.all_reproduced
    tested = frame["p_equivalence"].dropna()
    assert result.p_iut == tested.max()
    assert "intersection–union" in result.text
    everything = overall(judge_claims(CLAIMS, runs_table(), "paper"))
    assert not everything.all_reproduced
    assert everything.counts == {
        "reproduced": 11,
        "not_reproduced": 6,
        "inconclusive": 4,
        "not_applicable": 1,
    }
    only_na = overall(judge_claims(CLAIMS[3:4], runs_table(), "paper"))
    assert not only_na.all_reproduced and only_na.n_applicable == 0


def test_controls_are_counted_apart_from_the_paper():
    """A registry control ("SNIP beats random", which SNIP never claims) never makes the paper reproduced."""
    control = next(c for c in CLAIMS if c.role == "control")
    result = overall(judge_claims((control,), runs_table(), "paper"))
    assert result.n_applicable == 0 and not result.all_reproduced
    assert result.control_counts["reproduced"] == 1 and "sanity control" in result.text
    failing = (CLAIMS[1], control)  # snip98-single is not reproduced
    result = overall(judge_claims(failing, runs_table(), "paper"))
    assert result.counts["not_reproduced"] == 1 and result.control_counts["reproduced"] == 1


def test_overall_states_the_multiplicity_rule(verdicts):
    result = overall(verdicts.reset_index())
    assert result.adjustment == ADJUSTMENT_TEXT.format(k=FAMILY)
    assert "unadjusted" in result.adjustment and "Holm-adjusted across the 22" in result.adjustment
    assert "intersection–union" in result.adjustment and "Benjamini–Hochberg" in result.adjustment


def test_claims_hash_ignores_fields_left_at_their_defaults():
    """Claims written before margin/role/... existed keep their hash: an old claims.json still matches."""
    claim = CLAIMS[0]
    old_form = dataclasses.asdict(claim)
    for name in LATER_FIELDS:
        old_form.pop(name)
    old_form["protocols"] = list(claim.protocols)
    body = json.dumps({"paper_id": "TEST", "claims": [old_form]}, sort_keys=True, indent=2)
    assert ClaimSet("TEST", (claim,)).content_hash() == hashlib.sha256(body.encode()).hexdigest()
    changed = dataclasses.replace(claim, role="control")
    assert ClaimSet("TEST", (changed,)).content_hash() != ClaimSet("TEST", (claim,)).content_hash()
    assert changed.to_dict()["role"] == "control" and "margin" not in changed.to_dict()


def write_folder(out: Path, protocol: str = "paper", *, per_class: bool = True) -> Path:
    """A complete synthetic output folder as the engine writes it."""
    out.mkdir(parents=True, exist_ok=True)
    runs = runs_table(protocol=protocol)
    runs.to_csv(out / "runs.csv", index=False)
    if per_class:
        rows = []
        for r in runs.itertuples():
            for cls in range(10):
                harm = 4.0 * r.target_sparsity if cls == 3 else 0.5 * r.target_sparsity
                rows.append(
                    {
                        "paper_id": "TEST",
                        "protocol": protocol,
                        "seed": r.seed,
                        "arm": r.arm,
                        "target_sparsity": r.target_sparsity,
                        "sparsity": r.sparsity,
                        "round": 0,
                        "class": cls,
                        "accuracy": r.test_accuracy - harm + 0.1 * ((r.seed * 7 + cls) % 3),
                        "n": 50,
                    }
                )
        pd.DataFrame(rows).to_csv(out / "per_class.csv", index=False)
    claim_set = ClaimSet("TEST", CLAIMS)
    body = json.loads(claim_set.to_json())
    body["content_hash"] = claim_set.content_hash()
    body["protocol"] = {
        "name": protocol,
        "description": "synthetic",
        "deviations": ["1,000 iterations, not 50K"],
    }
    (out / "claims.json").write_text(json.dumps(body, indent=2))
    env = {"git_commit": "abc1234", "runner": "local", "device": "cpu", "packages": {"torch": "2.13.0"}}
    (out / "environment.json").write_text(json.dumps(env))
    return out


def test_read_inputs_recomputes_the_claims_hash(tmp_path):
    folder = write_folder(tmp_path / "f")
    inputs = read_inputs(folder)
    assert inputs.protocol == "paper" and inputs.paper_id == "TEST"
    assert inputs.content_hash == ClaimSet("TEST", CLAIMS).content_hash()
    assert inputs.content_hash_matches is True
    body = json.loads((folder / "claims.json").read_text())
    body["claims"][0]["reported"] = 99.9  # edited after registration
    (folder / "claims.json").write_text(json.dumps(body))
    assert read_inputs(folder).content_hash_matches is False


def test_read_inputs_judges_only_the_runs_protocol(tmp_path):
    folder = write_folder(tmp_path / "f", protocol="quick")
    runs = pd.read_csv(folder / "runs.csv")
    other = runs.assign(protocol="paper", test_accuracy=0.0)
    pd.concat([runs, other]).to_csv(folder / "runs.csv", index=False)
    inputs = read_inputs(folder)
    assert inputs.protocol == "quick" and len(inputs.runs) == len(runs)
    assert any("protocols" in n for n in inputs.notes)
    frame = judge_claims(inputs.claims, inputs.runs, inputs.protocol).set_index("claim_id")
    assert frame.loc["quick-only", "verdict"] == "not_reproduced"  # the only quick claim: 98.2 vs 90
    assert (frame.drop(index="quick-only")["verdict"] == "not_applicable").all()


def test_read_inputs_reports_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"claims\.json") as info:
        read_inputs(tmp_path)
    assert info.value.exit_code == 2  # a one-line usage error in the CLI, not a traceback
    folder = write_folder(tmp_path / "f")
    (folder / "runs.csv").write_text("")
    with pytest.raises(SchemaError, match=r"runs\.csv: empty file") as info:
        read_inputs(folder)
    assert info.value.exit_code == 2


def test_relation_uses_only_seeds_that_pair_up():
    runs = runs_table({("a", 0.5): [98.0, 98.4, 98.2, 98.6, 97.9], ("b", 0.5): [97.0, 97.3, 97.1]})
    claim = Claim("r", "", "relation", arm("a", 0.5), baseline=arm("b", 0.5), direction="greater")
    r = judge_claims((claim,), runs, "paper").iloc[0]
    assert r["n"] == 3 and r["n_baseline"] == 3
    assert r["mean"] == pytest.approx(98.2)  # arm A over seeds 0–2 only
    assert r["mean_diff"] == pytest.approx(np.mean([1.0, 1.1, 1.1]))
    assert "3 seeds pair up" in r["note"]
