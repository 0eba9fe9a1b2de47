"""Judge each registered claim on the reproduced runs: one row of verdicts.csv per claim.

Verdicts (docs/pruning-papers.md, "Kinds of reported numbers"), with Δ the tested difference and
CI its two-sided ``1 − 2α`` t interval (so each bound is a one-sided level-α test):

* ``single`` / ``figure`` — Δ = mean of runs − reported value; one-sample TOST, ``ν = n − 1``.
  For ``figure`` the read-off uncertainty is already inside δ.
* ``mean_std`` — Δ = our mean − the paper's mean; Welch TOST from summary statistics, the paper's
  "±" converted to a std according to ``reported_spread`` (std / sem / ci95) and ``reported_n``.
* ``relation`` — Δ = mean over seeds of (A − B), rows of ``condition`` (A) and ``baseline`` (B)
  paired by seed (Welch on the two arms if fewer than two seeds pair up).
* equivalence-type claims (``single``, ``figure``, ``mean_std``, relation ``equivalent``):
  **reproduced** iff ``−δ < CI.low`` and ``CI.high < +δ`` (TOST p < α);
  **not_reproduced** iff ``CI.low > +δ`` or ``CI.high < −δ`` (p of "|Δ| > δ" < α, Holm-adjusted);
  otherwise **inconclusive**, with the total number of seeds at which the CI would fit
  (:func:`core.stats.seeds_needed`; at level α/k when the estimate leans to "not reproduced", since
  that decision must survive Holm across k claims).
* relation ``greater`` ("A beats B"): reproduced iff ``CI.low > 0``; not_reproduced iff
  ``CI.high < 0`` (it goes the wrong way; Holm-adjusted); otherwise inconclusive. ``less`` mirrors it.
* ``min_max`` (ranges over runs; never turned into a std): with ``[a, b]`` our range and ``[A, B]``
  the paper's, **reproduced** iff n ≥ 2 and ``A − δ ≤ a`` and ``b ≤ B + δ`` (every run falls
  inside the paper's range widened by δ); **not_reproduced** iff the ranges are disjoint by more
  than δ (``a > B + δ`` or ``b < A − δ``) and the exact exchangeability p-value of disjoint ranges,
  ``2 / C(n + m, n)`` (m = reported_n, 2 if unknown), survives Holm; otherwise inconclusive.
* any claim whose ``protocols`` exclude the run's protocol: **not_applicable** (numbers shown,
  never counted, excluded from Holm and from the overall verdict).

Missing data (no matching runs, n < 2, zero spread, a missing reported value) leaves the interval
NaN and the verdict inconclusive. A large p of a difference test is never read as reproduction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core import atomic, stats
from core.claims import Claim

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not_reproduced"
INCONCLUSIVE = "inconclusive"
NOT_APPLICABLE = "not_applicable"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_APPLICABLE)

#: verdicts.csv columns, in order. ``ci_*`` is the 1−2α CI of ``mean_diff`` (what the verdict
#: compares with ±δ); ``mean_ci_*`` the 1−α t CI of the reproduced mean; ``pi_*`` the 1−α
#: prediction interval of one new run (relation: of one new per-seed difference).
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
]

EQUIVALENCE_KINDS = ("single", "figure", "mean_std")


def _close(a: float, b: float) -> bool:
    return round(float(a), 4) == round(float(b), 4)


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
class _Judged:
    """Intermediate result of one claim before the family-wise (Holm) step."""

    row: dict[str, Any]
    supported: bool  # the CI says "reproduced"
    against: bool  # the CI says "not reproduced" (before Holm)
    seeds_std: float = math.nan
    seeds_distance: float = math.nan
    seeds_other_std: float = 0.0
    seeds_other_n: int | None = None
    #: min_max with disjoint ranges: seeds come from the exact range test, not from a t interval.
    range_test: bool = False
    #: the estimate points towards "not reproduced" (|Δ̂| > δ, or the wrong direction): deciding it
    #: then has to survive Holm, so seeds are counted at the Bonferroni level α/k (Holm's worst case).
    leans_against: bool = False


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
    )
    return row


def _num(value: Any) -> float:
    return float(value) if value is not None else math.nan


def _describe(row: dict[str, Any], values: np.ndarray, alpha: float) -> None:
    """Fill n, mean, std, range, CI of the mean, prediction interval and CV from one arm's runs."""
    mean, std, n = stats.mean_std(values)
    ci = stats.t_interval(values, 1 - alpha)
    pi = stats.prediction_interval(values, 1 - alpha)
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
    )


def _fill_comparison(row: dict[str, Any], cmp: stats.Comparison, direction: str) -> tuple[bool, bool]:
    """Write Δ̂, its CI, t, p-values into ``row``; return (supported, against) from the CI."""
    row.update(
        mean_diff=cmp.estimate,
        ci_low=cmp.ci.low,
        ci_high=cmp.ci.high,
        statistic=cmp.statistic,
        df=cmp.df,
        p_difference=cmp.p_difference,
    )
    if not cmp.valid:
        return False, False
    low, high, delta = cmp.ci.low, cmp.ci.high, cmp.delta
    if direction == "greater":
        # the boundary is 0: support is H0 Δ ≤ 0 rejected, "wrong way" is H0 Δ ≥ 0 rejected
        row.update(p_equivalence=cmp.p_greater, p_value=cmp.p_less)
        return low > 0, high < 0
    if direction == "less":
        row.update(p_equivalence=cmp.p_less, p_value=cmp.p_greater)
        return high < 0, low > 0
    row.update(p_equivalence=cmp.p_equivalence, p_value=cmp.p_nonequivalence)
    return (-delta < low and high < delta), (low > delta or high < -delta)


def _equivalence_seeds(judged: _Judged, std: float, estimate: float, delta: float) -> None:
    judged.seeds_std = std
    judged.seeds_distance = abs(delta - abs(estimate)) if math.isfinite(estimate) else math.nan
    judged.leans_against = math.isfinite(estimate) and abs(estimate) > delta


def _judge_single(claim: Claim, values: np.ndarray, row: dict[str, Any]) -> _Judged:
    """Single reported number (or one read off a figure): one-sample TOST of the mean vs it."""
    row["test"] = "one-sample TOST (t)" + (", δ includes read-off error" if claim.kind == "figure" else "")
    if claim.reported is None:
        row["note"] = "no reported value registered"
        return _Judged(row, False, False)
    row["percentile_of_reported"] = stats.percentile_of_value(values, claim.reported)
    cmp = stats.tost_one_sample(values, claim.reported, delta=claim.delta, alpha=claim.alpha)
    boot = stats.bootstrap_interval(values, 1 - 2 * claim.alpha)
    row.update(boot_ci_low=boot.low - claim.reported, boot_ci_high=boot.high - claim.reported)
    supported, against = _fill_comparison(row, cmp, "equivalent")
    judged = _Judged(row, supported, against)
    _equivalence_seeds(judged, row["std"], cmp.estimate, claim.delta)
    return judged


def _judge_mean_std(claim: Claim, values: np.ndarray, row: dict[str, Any]) -> _Judged:
    """Mean ± spread over m runs: Welch TOST from summary statistics (falls back to one-sample)."""
    if claim.reported is None:
        row["note"] = "no reported mean registered"
        return _Judged(row, False, False)
    spread = claim.reported_spread or "std"
    m = claim.reported_n
    other_std = (
        stats.spread_to_std(claim.reported_std, spread, m) if claim.reported_std is not None else math.nan
    )
    if m is None or m < 2 or not math.isfinite(other_std):
        judged = _judge_single(claim, values, row)
        row["test"] = "one-sample TOST (t); the paper's spread or n is unusable, its mean treated as exact"
        return judged
    notes = [] if claim.reported_spread else ["'±' kind not recorded; assumed std"]
    mean, std, n = stats.mean_std(values)
    row["test"] = f"Welch TOST from summary statistics (paper ± is {spread}, std {other_std:.4g}, m={m})"
    row["percentile_of_reported"] = stats.percentile_of_value(values, claim.reported)
    cmp = stats.welch_tost_from_stats(
        mean, std, n, claim.reported, other_std, m, delta=claim.delta, alpha=claim.alpha
    )
    welch = stats.welch_from_stats(mean, std, n, claim.reported, other_std, m)
    supported, against = _fill_comparison(row, cmp, "equivalent")
    row.update(statistic=welch.statistic, p_difference=welch.p_value)
    row["note"] = "; ".join(notes)
    judged = _Judged(row, supported, against, seeds_other_std=other_std, seeds_other_n=m)
    _equivalence_seeds(judged, std, cmp.estimate, claim.delta)
    return judged


def _judge_min_max(claim: Claim, values: np.ndarray, row: dict[str, Any]) -> _Judged:
    """Ranges over runs compared as ranges (see module docstring); no std is invented from them."""
    row["test"] = "range comparison; exact p of disjoint ranges 2/C(n+m,n)"
    lo, hi, delta = claim.reported_min, claim.reported_max, claim.delta
    if lo is None or hi is None:
        row["note"] = "reported_min/reported_max not registered"
        return _Judged(row, False, False)
    n = values.size
    if n == 0:
        return _Judged(row, False, False)
    a, b = float(values.min()), float(values.max())
    m = claim.reported_n if claim.reported_n and claim.reported_n >= 1 else 2
    inside = n >= 2 and lo - delta <= a and b <= hi + delta
    disjoint = a > hi + delta or b < lo - delta
    row["p_value"] = stats.disjoint_ranges_p_value(n, m) if disjoint else 1.0
    notes = [] if claim.reported_n else ["reported_n unknown; m = 2 assumed for the range test"]
    if n < 2:
        notes.append("one run cannot show a range")
    row["note"] = "; ".join(notes)
    judged = _Judged(row, inside, disjoint)
    if disjoint:
        judged.range_test = True
        judged.leans_against = True
        judged.seeds_other_n = m
    return judged


def _judge_relation(claim: Claim, runs: pd.DataFrame, a_rows: pd.DataFrame, row: dict[str, Any]) -> _Judged:
    """A relation between two arms, paired by seed: paired t / sign-flip, bootstrap CI, P(A>B)."""
    direction = claim.direction or "greater"
    notes = [] if claim.direction else ["direction not registered; 'greater' assumed"]
    row["direction"] = direction
    if not claim.baseline:
        row["note"] = "relation claim without a baseline condition"
        return _Judged(row, False, False)
    b_rows, b_note = select_rows(runs, claim.baseline)
    if b_note:
        notes.append("baseline: " + b_note)
    a_seed, b_seed = per_seed(a_rows, claim.metric), per_seed(b_rows, claim.metric)
    a, b = a_seed.to_numpy(), b_seed.to_numpy()
    b_mean, b_std, b_n = stats.mean_std(b)
    row.update(n_baseline=b_n, mean_baseline=b_mean, std_baseline=b_std)
    row["prob_a_beats_b"] = stats.probability_of_improvement(a, b)
    poi = stats.probability_of_improvement_interval(a, b, 1 - claim.alpha)
    row.update(prob_ci_low=poi.low, prob_ci_high=poi.high)
    common = a_seed.index.intersection(b_seed.index)
    delta = claim.delta if direction == "equivalent" else 0.0
    if len(common) >= 2:
        d = (a_seed[common] - b_seed[common]).to_numpy()
        _describe(row, a_seed[common].to_numpy(), claim.alpha)  # arm A over the paired seeds only
        row["test"] = "paired t on per-seed differences" + (" (TOST)" if direction == "equivalent" else "")
        cmp = stats.tost_one_sample(d, 0.0, delta=delta, alpha=claim.alpha)
        pi = stats.prediction_interval(d, 1 - claim.alpha)
        boot = stats.bootstrap_interval(d, 1 - 2 * claim.alpha)
        alternative = {"greater": "greater", "less": "less"}.get(direction, "two-sided")
        row.update(
            pi_low=pi.low,
            pi_high=pi.high,
            boot_ci_low=boot.low,
            boot_ci_high=boot.high,
            p_permutation=stats.sign_flip_test(d, alternative=alternative),
        )
        seeds_std, other_std, other_n = stats.mean_std(d)[1], 0.0, None
        if len(common) < max(len(a_seed), len(b_seed)):
            notes.append(f"{len(common)} seeds pair up; unpaired runs ignored")
    elif len(a) == 0 or len(b) == 0:
        row["test"] = "paired t on per-seed differences"
        notes.append("an arm has no runs")
        row["note"] = "; ".join(notes)
        return _Judged(row, False, False)
    else:
        row["test"] = "Welch t on the two arms (fewer than two seeds pair up)"
        a_mean, a_std, a_n = row["mean"], row["std"], row["n"]
        cmp = stats.welch_tost_from_stats(
            a_mean, a_std, a_n, b_mean, b_std, b_n, delta=delta, alpha=claim.alpha
        )
        # one more seed per arm: the difference's std with equal arms is √(s_A² + s_B²)
        seeds_std = math.hypot(a_std, b_std) if a_n >= 2 and b_n >= 2 else math.nan
        other_std, other_n = 0.0, None
    supported, against = _fill_comparison(row, cmp, direction)
    row["delta"] = delta  # the decision boundary actually used: 0 for a directional claim
    row["note"] = "; ".join(notes)
    judged = _Judged(row, supported, against, seeds_other_std=other_std, seeds_other_n=other_n)
    if direction == "equivalent":
        _equivalence_seeds(judged, seeds_std, cmp.estimate, claim.delta)
    else:
        judged.seeds_std = seeds_std
        judged.seeds_distance = abs(cmp.estimate) if math.isfinite(cmp.estimate) else math.nan
        judged.leans_against = (cmp.estimate < 0) if direction == "greater" else (cmp.estimate > 0)
    return judged


def judge_claim(claim: Claim, runs: pd.DataFrame, protocol: str) -> _Judged:
    """Statistics and CI-based flags for one claim, before the family-wise (Holm) adjustment."""
    applicable = protocol in claim.protocols
    row = _blank(claim, applicable)
    a_rows, note = select_rows(runs, claim.condition)
    values = per_seed(a_rows, claim.metric).to_numpy()
    _describe(row, values, claim.alpha)
    if claim.kind in ("single", "figure"):
        judged = _judge_single(claim, values, row)
    elif claim.kind == "mean_std":
        judged = _judge_mean_std(claim, values, row)
    elif claim.kind == "min_max":
        judged = _judge_min_max(claim, values, row)
    elif claim.kind == "relation":
        judged = _judge_relation(claim, runs, a_rows, row)
    else:
        row["note"] = f"unknown claim kind {claim.kind!r}"
        judged = _Judged(row, False, False)
    extra = [note] if note else []
    if claim.metric not in runs:
        extra.append(f"runs.csv has no column {claim.metric!r} (the claim's metric)")
    elif values.size == 0:
        extra.append("no runs match the condition")
    elif claim.kind != "min_max" and math.isnan(row["ci_low"]):
        extra.append("too few runs or zero spread for an interval")
    if extra:
        row["note"] = "; ".join(filter(None, [row["note"], *extra]))
    return judged


def _seeds(judged: _Judged, n: int, alpha: float, family: int) -> int | None:
    """Seeds needed to decide an inconclusive claim (total, not additional); None if more cannot.

    Towards "reproduced" the claim's own level α applies; towards "not reproduced" the decision must
    survive Holm across ``family`` claims, whose largest multiplier is ``family``, so α/family is used
    (conservative). Assumes the estimate and spread stay as observed.
    """
    level = alpha / max(family, 1) if judged.leans_against else alpha
    if judged.range_test:  # min_max, disjoint ranges: first n with 2/C(n+m, n) < level
        m = judged.seeds_other_n or 2
        for total in range(max(n + 1, 2), 1001):
            if stats.disjoint_ranges_p_value(total, m) < level:
                return total
        return None
    return stats.seeds_needed(
        judged.seeds_std,
        judged.seeds_distance,
        alpha=level,
        n_min=n + 1,
        other_std=judged.seeds_other_std,
        other_n=judged.seeds_other_n,
    )


def judge_claims(claims: tuple[Claim, ...] | list[Claim], runs: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """verdicts.csv as a DataFrame: per-claim flags, then Holm across the "not reproduced" tests.

    Holm's family is every applicable claim with a finite ``p_value`` (the test of difference
    beyond the margin); a claim is ``not_reproduced`` only if its CI lies outside the margin *and*
    its Holm-adjusted p-value is below its α. ``reproduced`` needs no adjustment: each is its own
    TOST, and "all reproduced" is an intersection–union test (see :func:`overall`).
    """
    judged = [judge_claim(c, runs, protocol) for c in claims]
    frame = pd.DataFrame([j.row for j in judged], columns=COLUMNS)
    applicable = frame["protocol_applicable"].astype(bool).to_numpy()
    p = frame["p_value"].astype(float).where(applicable).to_numpy()
    frame["p_value_holm"] = stats.holm(p)
    family = int(np.isfinite(p).sum())
    verdicts, seeds = [], []
    for j, claim, (_, row) in zip(judged, claims, frame.iterrows(), strict=True):
        n = int(row["n"]) if math.isfinite(row["n"]) else 0
        if not row["protocol_applicable"]:
            verdicts.append(NOT_APPLICABLE)
            seeds.append(None)
            note = f"registered for protocol(s) {', '.join(claim.protocols)}, not {protocol!r}"
            frame.loc[row.name, "note"] = "; ".join(filter(None, [row["note"], note]))
            continue
        if j.supported:
            verdict = REPRODUCED
        elif j.against and row["p_value_holm"] < claim.alpha:
            verdict = NOT_REPRODUCED
        else:
            verdict = INCONCLUSIVE
            if j.against:
                note = f"CI outside the margin, but not after Holm across {family} claims"
                frame.loc[row.name, "note"] = "; ".join(filter(None, [row["note"], note]))
        verdicts.append(verdict)
        seeds.append(_seeds(j, n, claim.alpha, family) if verdict == INCONCLUSIVE else None)
    frame["verdict"] = verdicts
    frame["seeds_needed"] = pd.array(seeds, dtype="Int64")
    frame["n"] = pd.array(frame["n"], dtype="Int64")
    for column in ("n_baseline", "reported_n"):
        frame[column] = pd.array([None if pd.isna(v) else int(v) for v in frame[column]], dtype="Int64")
    return frame


@dataclass(frozen=True)
class Overall:
    """The paper-level statement built from per-claim verdicts."""

    n_claims: int
    n_applicable: int
    counts: dict[str, int]
    all_reproduced: bool
    #: intersection–union p-value: the largest of the applicable claims' own p-values (NaN if none).
    p_iut: float
    text: str


def overall(frame: pd.DataFrame) -> Overall:
    """ "All claims reproduced" as an intersection–union test (Berger 1982).

    The joint null ("at least one claim is not equivalent") is rejected only if every claim's own
    level-α test rejects, so the overall p-value is ``max_i p_i`` and no multiplicity correction is
    needed. Not-applicable claims are outside the family and are never counted as passed.
    """
    counts = {v: int((frame["verdict"] == v).sum()) for v in VERDICTS}
    applicable = frame[frame["verdict"] != NOT_APPLICABLE]
    k = len(applicable)
    p = applicable["p_equivalence"].astype(float)
    tested = int(p.notna().sum())
    p_iut = float(p.max()) if tested else math.nan
    all_rep = k > 0 and counts[REPRODUCED] == k
    untested = k - tested
    if k == 0:
        text = (
            f"No claim applies to this protocol ({counts[NOT_APPLICABLE]} not applicable): nothing is "
            "judged, and nothing is counted as reproduced."
        )
    elif all_rep:
        text = (
            f"All {k} applicable claims reproduced. As an intersection–union test this needs no multiplicity "
            f"correction, because every claim's own test must pass; overall p = {p_iut:.3g} (the largest "
            f"of the {tested} claims' own p-values)"
            + (
                f"; {untested} range claim(s) are judged by the range rule, without a p-value."
                if untested
                else "."
            )
        )
    else:
        na = counts[NOT_APPLICABLE]
        text = (
            f"Not all claims reproduced: of {k} applicable claims, {counts[REPRODUCED]} reproduced, "
            f"{counts[NOT_REPRODUCED]} not reproduced (Holm-adjusted), {counts[INCONCLUSIVE]} inconclusive"
            + (f"; {na} not applicable to this protocol." if na else ".")
        )
    return Overall(len(frame), k, counts, all_rep, p_iut, text)


def write_verdicts(frame: pd.DataFrame, path: Any) -> None:
    """verdicts.csv with full float precision; empty cells for NaN/NA."""
    with atomic.replacing(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")
