"""One claim judged on the runs, before multiplicity: its verdicts.csv row and its CI flags.

The rows a claim selects (``condition`` / ``baseline`` on runs.csv columns), the description of
those runs (n, mean, intervals cut at the metric's range, sparsities), and per kind the estimate,
acceptance region and decision of :mod:`core.claim_tests`. :mod:`reports.reproduction.verdicts` then
applies Holm across the claims and turns the flags into verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from core import claim_tests, resampling, stats
from core.claims import METRIC_BOUNDS, Claim

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not_reproduced"
INCONCLUSIVE = "inconclusive"
NOT_APPLICABLE = "not_applicable"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_APPLICABLE)

#: The reason given when no number of seeds can show an equivalence (see module docstring).
MARGIN_BELOW_SPREAD = "margin below the run-to-run spread"

#: verdicts.csv columns, in order. ``ci_*`` is the 1−2α CI of ``mean_diff`` (θ̂, on the claim's
#: ``scale``), decided against ``bound_low``/``bound_high``; ``mean_ci_*`` the 1−α t CI of the
#: reproduced mean and ``pi_*`` the 1−α prediction interval of one new run (relation: of one new
#: per-seed difference), both cut at the metric's range (``ci_clipped``).
COLUMNS = [
    "claim_id",
    "kind",
    "statement",
    "metric",
    "source",
    "verified",
    "protocol_applicable",
    "direction",
    "test",
    "reported",
    "reported_std",
    "reported_n",
    "reported_spread",
    "reported_min",
    "reported_max",
    "n",
    "mean",
    "std",
    "min",
    "max",
    "mean_ci_low",
    "mean_ci_high",
    "pi_low",
    "pi_high",
    "cv",
    "percentile_of_reported",
    "n_baseline",
    "mean_baseline",
    "std_baseline",
    "delta",
    "alpha",
    "mean_diff",
    "ci_low",
    "ci_high",
    "boot_ci_low",
    "boot_ci_high",
    "statistic",
    "df",
    "p_difference",
    "p_equivalence",
    "p_value",
    "p_value_holm",
    "p_permutation",
    "prob_a_beats_b",
    "prob_ci_low",
    "prob_ci_high",
    "verdict",
    "seeds_needed",
    "note",
    # additions (issue 9)
    "role",
    "scale",
    "reference",
    "se",
    "bound_low",
    "bound_high",
    "holm_family",
    "reason",
    "delta_reason",
    "sparsity_measure",
    "mean_sparsity",
    "mean_effective_sparsity",
    "ci_clipped",
]


def select_rows(runs: pd.DataFrame, condition: dict[str, Any]) -> tuple[pd.DataFrame, str]:
    """Rows matching every ``column == value`` of ``condition``; numbers compared rounded to 4 decimals.

    Returns the rows and a note ("" if fine) naming condition columns that runs.csv lacks.
    """
    mask = pd.Series(True, index=runs.index)
    missing = []
    for column, value in condition.items():
        if column not in runs:
            missing.append(column)
            mask &= False
            continue
        col = runs[column]
        if isinstance(value, bool) or value is None:
            mask &= col.astype(str) == str(value)
        elif isinstance(value, int | float):
            numeric = pd.to_numeric(col, errors="coerce")
            mask &= numeric.round(4) == round(float(value), 4)
        else:
            mask &= col.astype(str) == str(value)
    note = f"runs.csv has no column(s) {', '.join(missing)} named in the condition" if missing else ""
    return runs[mask], note


def per_seed(rows: pd.DataFrame, metric: str) -> pd.Series:
    """The metric per seed (mean over duplicate rows of a seed), indexed by seed, finite values only."""
    if rows.empty or metric not in rows:
        return pd.Series(dtype=float)
    values = pd.to_numeric(rows[metric], errors="coerce")
    seeds = rows["seed"] if "seed" in rows else pd.Series(range(len(rows)), index=rows.index)
    series = values.groupby(seeds).mean()
    return series[np.isfinite(series)]


@dataclass
class Judged:
    """One claim before the family-wise (Holm) step: its row, the CI flags, what seeds would need."""

    row: dict[str, Any]
    supported: bool = False  # the CI says "reproduced"
    against: bool = False  # the CI says "not reproduced" (before Holm)
    estimate: claim_tests.Estimate | None = None
    region: claim_tests.Region | None = None


def _num(value: Any) -> float:
    return float(value) if value is not None else math.nan


def _blank(claim: Claim, applicable: bool) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, math.nan)
    row.update(
        claim_id=claim.id,
        kind=claim.kind,
        statement=claim.statement,
        metric=claim.metric,
        source=claim.source,
        verified=bool(claim.verified),
        protocol_applicable=applicable,
        direction=claim.direction or "",
        test="",
        reported=_num(claim.reported),
        reported_std=_num(claim.reported_std),
        reported_n=claim.reported_n if claim.reported_n is not None else math.nan,
        reported_spread=claim.reported_spread or "",
        reported_min=_num(claim.reported_min),
        reported_max=_num(claim.reported_max),
        delta=float(claim.delta),
        alpha=float(claim.alpha),
        verdict=INCONCLUSIVE,
        seeds_needed=None,
        note="",
        role=claim.role,
        scale="ratio" if claim.kind == "ratio" else "difference",
        reason="",
        delta_reason=claim.delta_reason,
        sparsity_measure=claim.sparsity_measure,
        ci_clipped=False,
    )
    return row


def _notes(row: dict[str, Any], *extra: str) -> None:
    row["note"] = "; ".join(filter(None, [row["note"], *extra]))


def _describe(row: dict[str, Any], values: np.ndarray, alpha: float, metric: str) -> None:
    """n, mean, std, range, CI of the mean, prediction interval and CV of one arm's per-seed values.

    Intervals of a bounded metric are cut at its bounds (accuracy in [0, 100]) and the row says so.
    """
    mean, std, n = stats.mean_std(values)
    ci = stats.t_interval(values, 1 - alpha)
    pi = stats.prediction_interval(values, 1 - alpha)
    low, high = METRIC_BOUNDS.get(metric, (-math.inf, math.inf))
    ci, cut_ci = stats.clip_interval(ci, low, high)
    pi, cut_pi = stats.clip_interval(pi, low, high)
    row.update(
        n=n,
        mean=mean,
        std=std,
        min=float(values.min()) if n else math.nan,
        max=float(values.max()) if n else math.nan,
        mean_ci_low=ci.low,
        mean_ci_high=ci.high,
        pi_low=pi.low,
        pi_high=pi.high,
        cv=stats.coefficient_of_variation(values),
        ci_clipped=bool(cut_ci or cut_pi),
    )
    if cut_ci or cut_pi:
        _notes(row, f"interval(s) of the mean / one new run cut at the metric's range [{low:g}, {high:g}]")


def _sparsities(row: dict[str, Any], rows: pd.DataFrame) -> None:
    for column, target in (("sparsity", "mean_sparsity"), ("effective_sparsity", "mean_effective_sparsity")):
        if column in rows and not rows.empty:
            row[target] = float(pd.to_numeric(rows[column], errors="coerce").mean())


def scalar(value: Any) -> float:
    return float(np.asarray(value, dtype=float))


def _decide(judged: Judged, claim: Claim) -> None:
    """Fill θ̂, its CI, p-values and the flags from ``judged.estimate`` against ``judged.region``."""
    est, region, row = judged.estimate, judged.region, judged.row
    assert est is not None and region is not None
    decision = claim_tests.decide(est, region, claim.alpha)
    ratio = claim.kind == "ratio"
    scale = math.exp if ratio else (lambda v: v)
    theta = scalar(est.estimate)
    row.update(
        mean_diff=scale(theta) if math.isfinite(theta) else math.nan,
        se=scalar(est.se),
        df=scalar(est.df),
        ci_low=scale(scalar(decision.ci_low)),
        ci_high=scale(scalar(decision.ci_high)),
        bound_low=scale(region.low),
        bound_high=scale(region.high),
        p_equivalence=scalar(decision.p_support),
        p_value=scalar(decision.p_against),
    )
    se = row["se"]
    if math.isfinite(theta) and math.isfinite(se) and se > 0:
        row["statistic"] = theta / se
        row["p_difference"] = float(2 * sps.t.sf(abs(theta / se), row["df"]))
    judged.supported, judged.against = bool(decision.supported), bool(decision.against)


def _against_number(claim: Claim, values: np.ndarray, row: dict[str, Any]) -> Judged:
    """single / figure / mean_std / min_max: our runs against what the paper reported."""
    judged = Judged(row)
    region = claim_tests.Region(-claim.delta, claim.delta)
    if claim.kind == "min_max":
        if claim.reported_min is None or claim.reported_max is None:
            row["note"] = "reported_min/reported_max not registered"
            return judged
        m = claim.reported_n if claim.reported_n and claim.reported_n >= 2 else 2
        est = claim_tests.min_max(values, claim.reported_min, claim.reported_max, m=m)
        row["reference"] = (claim.reported_min + claim.reported_max) / 2
        row["test"] = (
            f"midrange t test (paper's min–max over m={m} runs, midrange variance "
            f"{stats.midrange_variance(m):.4f}·s², spread assumed ours), TOST"
        )
        if not claim.reported_n:
            _notes(row, "reported_n unknown; m = 2 assumed (the widest midrange variance)")
        row["percentile_of_reported"] = stats.percentile_of_value(values, row["reference"])
    elif claim.reported is None:
        row["note"] = "no reported value registered"
        return judged
    else:
        row["reference"] = float(claim.reported)
        row["percentile_of_reported"] = stats.percentile_of_value(values, claim.reported)
        est = _reported_number(claim, values, row)
    judged.estimate, judged.region = est, region
    _decide(judged, claim)
    if claim.kind in ("single", "figure") and values.size >= 2:
        boot = resampling.bootstrap_interval(values, 1 - 2 * claim.alpha)
        row.update(boot_ci_low=boot.low - claim.reported, boot_ci_high=boot.high - claim.reported)
    return judged


def _reported_number(claim: Claim, values: np.ndarray, row: dict[str, Any]) -> claim_tests.Estimate:
    """The estimate for a single number, a number read off a figure, or a mean ± spread."""
    m = claim.reported_n
    other_std = math.nan
    if claim.kind == "mean_std" and claim.reported_std is not None:
        other_std = stats.spread_to_std(claim.reported_std, claim.reported_spread or "std", m)
    if claim.kind == "mean_std" and m and m >= 2 and math.isfinite(other_std) and other_std > 0:
        spread = claim.reported_spread or "std"
        if not claim.reported_spread:
            _notes(row, "'±' kind not recorded; assumed std")
        row["test"] = (
            f"Welch TOST from summary statistics, Hsu's ν = min(n, m) − 1 (paper ± is {spread}, "
            f"std {other_std:.4g}, m={m})"
        )
        return claim_tests.welch(values, claim.reported, other_std, m)
    runs = m if m and m >= 1 else 1
    what = "one draw" if runs == 1 else f"a mean of {runs} runs without spread"
    row["test"] = f"t test of a reported number as {what}: se = s·√(1/n + 1/{runs}), TOST"
    if claim.kind == "figure":
        row["test"] += "; δ includes the read-off error"
    if claim.kind == "mean_std":
        _notes(row, "the paper's spread or n is unusable; its mean is compared as " + what)
    return claim_tests.single(values, claim.reported, reported_n=runs)


def _between_arms(claim: Claim, runs: pd.DataFrame, a_rows: pd.DataFrame, row: dict[str, Any]) -> Judged:
    """relation / ratio: arm A against arm B, paired by seed (Welch on the arms if < 2 seeds pair)."""
    judged = Judged(row)
    ratio = claim.kind == "ratio"
    direction = claim.direction or ("equivalent" if ratio else "greater")
    row["direction"] = direction
    if not claim.direction:
        _notes(row, f"direction not registered; {direction!r} assumed")
    if not claim.baseline:
        _notes(row, f"{claim.kind} claim without a baseline condition")
        return judged
    try:
        region = claim_tests.region_for(
            claim.kind, direction, reported=claim.reported, delta=claim.delta, margin=claim.margin
        )
    except ValueError as exc:
        _notes(row, str(exc))
        return judged
    b_rows, b_note = select_rows(runs, claim.baseline)
    if b_note:
        _notes(row, "baseline: " + b_note)
    a_seed, b_seed = per_seed(a_rows, claim.metric), per_seed(b_rows, claim.metric)
    a, b = a_seed.to_numpy(), b_seed.to_numpy()
    b_mean, b_std, b_n = stats.mean_std(b)
    row.update(n_baseline=b_n, mean_baseline=b_mean, std_baseline=b_std)
    row["prob_a_beats_b"] = resampling.probability_of_improvement(a, b)
    poi = resampling.probability_of_improvement_interval(a, b, 1 - claim.alpha)
    row.update(prob_ci_low=poi.low, prob_ci_high=poi.high)
    neutral = 1.0 if ratio else 0.0
    row["reference"] = float(claim.reported) if claim.reported is not None else neutral
    if ratio and ((a <= 0).any() or (b <= 0).any()):
        _notes(row, "a ratio needs positive values; runs with values ≤ 0 make it undefined")
        return judged
    common = a_seed.index.intersection(b_seed.index)
    if len(common) >= 2:
        a_paired, b_paired = a_seed[common].to_numpy(), b_seed[common].to_numpy()
        _describe(row, a_paired, claim.alpha, claim.metric)  # arm A over the paired seeds only
        est = claim_tests.paired(a_paired, b_paired, log_ratio=ratio)
        d = np.log(a_paired / b_paired) if ratio else a_paired - b_paired
        row["test"] = "paired t on per-seed " + ("log ratios" if ratio else "differences")
        pi = stats.prediction_interval(d, 1 - claim.alpha)
        boot = resampling.bootstrap_interval(d, 1 - 2 * claim.alpha)
        back = math.exp if ratio else (lambda v: v)
        centre = math.log(row["reference"]) if ratio else row["reference"]
        row.update(
            pi_low=back(pi.low),
            pi_high=back(pi.high),
            boot_ci_low=back(boot.low),
            boot_ci_high=back(boot.high),
            p_permutation=_permutation_p(d, region, centre),
        )
        if len(common) < max(len(a_seed), len(b_seed)):
            _notes(row, f"{len(common)} seeds pair up; unpaired runs ignored")
    elif len(a) == 0 or len(b) == 0:
        row["test"] = "paired t on per-seed differences"
        _notes(row, "an arm has no runs")
        return judged
    else:
        row["test"] = "Welch t on the two arms, Hsu's ν = min(n_A, n_B) − 1 (fewer than two seeds pair up)"
        la, lb = (np.log(a), np.log(b)) if ratio else (a, b)
        (ma, sa, na), (mb, sb, nb) = stats.mean_std(la), stats.mean_std(lb)
        cmp = stats.welch_tost_from_stats(ma, sa, na, mb, sb, nb, delta=0.0, alpha=claim.alpha)
        spread = math.hypot(sa, sb) if na >= 2 and nb >= 2 else math.nan  # one more seed per arm
        df = min(na, nb) - 1.0  # as for mean_std: Satterthwaite's ν is liberal with few runs
        est = claim_tests.Estimate(*(np.asarray(v) for v in (cmp.estimate, cmp.se, df, spread, na)))
    if direction in ("greater", "less"):  # the boundary actually used, not an (unused) δ
        row["delta"] = claim.margin if claim.margin is not None else neutral
    judged.estimate, judged.region = est, region
    _decide(judged, claim)
    return judged


def _permutation_p(d: np.ndarray, region: claim_tests.Region, reference: float) -> float:
    """Sign-flip p-value (no normality assumed) of the per-seed differences against the claim.

    One-sided regions: d shifted to the boundary, in the claim's direction (small p supports the
    claim). Equivalence: two-sided about the expected difference (a test of difference, shown
    beside the t test, never read as reproduction).
    """
    if not math.isfinite(region.high):
        return resampling.sign_flip_test(d - region.low, alternative="greater")
    if not math.isfinite(region.low):
        return resampling.sign_flip_test(d - region.high, alternative="less")
    return resampling.sign_flip_test(d - reference, alternative="two-sided")


def trains_its_models(claim: Claim, models: Collection[str] | None) -> bool:
    """Whether the run trained every model the claim's arms name (``models``: the protocol's, as
    recorded; None when unknown). False for a claim about a model left out with ``--model``."""
    if models is None:
        return True
    named = [c.get("model") for c in (claim.condition, claim.baseline or {}) if c.get("model") is not None]
    return all(str(model) in models for model in named)


def judge_claim(
    claim: Claim, runs: pd.DataFrame, protocol: str, models: Collection[str] | None = None
) -> Judged:
    """Statistics and CI-based flags for one claim, before the family-wise (Holm) adjustment."""
    applicable = protocol in claim.protocols and trains_its_models(claim, models)
    row = _blank(claim, applicable)
    a_rows, note = select_rows(runs, claim.condition)
    values = per_seed(a_rows, claim.metric).to_numpy()
    _describe(row, values, claim.alpha, claim.metric)
    _sparsities(row, a_rows)
    if claim.kind in claim_tests.KINDS_AGAINST_A_NUMBER:
        judged = _against_number(claim, values, row)
    elif claim.kind in ("relation", "ratio"):
        judged = _between_arms(claim, runs, a_rows, row)
    else:
        _notes(row, f"unknown claim kind {claim.kind!r}")
        judged = Judged(row)
    extra = [note] if note else []
    if claim.metric not in runs:
        extra.append(f"runs.csv has no column {claim.metric!r} (the claim's metric)")
    elif values.size == 0:
        extra.append("no runs match the condition")
    elif math.isnan(row["ci_low"]) and judged.estimate is not None:
        extra.append("too few runs or zero spread for an interval")
    _notes(row, *extra)
    return judged
