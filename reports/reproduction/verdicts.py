"""Judge each registered claim on the reproduced runs: one row of verdicts.csv per claim.

Each claim kind gets the test in :mod:`core.claim_tests` (the module docstring there gives θ, its
standard error and the acceptance region per kind); docs/statistics.md gives the error rates those
tests were measured to have by simulation. In short, with CI the two-sided ``1 − 2α`` t interval of θ:

* **reproduced** iff the CI lies inside the claim's acceptance region (for ``±δ``, the TOST at α).
  Unadjusted: each claim is its own test, and "all claims reproduced" is an intersection–union
  test, which needs no correction (:func:`overall`).
* **not_reproduced** iff the CI lies outside the region *and* the p-value of that test survives
  Holm across the applicable claims that have one (a claim whose test cannot be computed cannot
  reject, and is not in the family).
* **inconclusive** otherwise, with ``seeds_needed``: the total number of seeds at which the CI would
  fit if the estimate and spread stay as observed (at level α/k when the estimate leans towards
  "not reproduced", Holm's worst case), or none with the ``reason`` why more seeds cannot decide —
  in particular "margin below the run-to-run spread" when δ is at or below the narrowest half-width
  any number of seeds can give (a single reported number is one draw and keeps its own variance).
* **not_applicable** for claims registered for other protocols: numbers shown, never counted,
  outside Holm's family and the overall verdict.

Missing data (no matching runs, n < 2, zero spread, a missing reported value) leaves the interval
NaN and the verdict inconclusive. A large p of a difference test is never read as reproduction.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core import atomic, claim_tests, stats
from core.claims import Claim
from reports.reproduction.judging import (
    COLUMNS,
    INCONCLUSIVE,
    MARGIN_BELOW_SPREAD,
    NOT_APPLICABLE,
    NOT_REPRODUCED,
    REPRODUCED,
    VERDICTS,
    Judged,
    judge_claim,
    per_seed,
    scalar,
    select_rows,
)

__all__ = [
    "ADJUSTMENT_TEXT",
    "COLUMNS",
    "INCONCLUSIVE",
    "MARGIN_BELOW_SPREAD",
    "NOT_APPLICABLE",
    "NOT_REPRODUCED",
    "REPRODUCED",
    "VERDICTS",
    "Overall",
    "judge_claim",
    "judge_claims",
    "overall",
    "per_seed",
    "select_rows",
    "write_verdicts",
]


def _seeds_and_reason(judged: Judged, claim: Claim, n: int, family: int) -> tuple[int | None, str]:
    """Seeds needed to decide an inconclusive claim (total, not additional), or None and why not.

    Towards "reproduced" the claim's own level α applies; towards "not reproduced" the decision must
    survive Holm across ``family`` claims, whose largest multiplier is ``family``, so α/family is used
    (conservative). Assumes the estimate and spread stay as observed.
    """
    est, region = judged.estimate, judged.region
    if est is None or region is None or not math.isfinite(judged.row["ci_low"]):
        return None, judged.row["note"] or "no interval could be computed"
    theta, spread = scalar(est.estimate), scalar(est.spread)
    extra = {
        "other_std": est.other_std,
        "other_n": est.other_n,
        "reference_variance": est.reference_variance,
        "other_df": est.other_df,
    }
    towards_reproduced = claim_tests.inside(theta, region)
    if region.two_sided:
        best = stats.best_half_width(spread, alpha=claim.alpha, **extra)
        if math.isfinite(best) and region.half_width <= best:
            where = "the paper's own spread" if est.other_n else "one run's spread"
            return None, (
                f"{MARGIN_BELOW_SPREAD}: the region's half-width {region.half_width:.3g} is at or below the "
                f"narrowest interval any number of seeds can give ({best:.3g}, set by {where}), so no "
                "number of seeds can show the claim"
            )
    level = claim.alpha if towards_reproduced else claim.alpha / max(family, 1)
    distance = claim_tests.distance_to_decision(theta, region)
    needed = stats.seeds_needed(spread, distance, alpha=level, n_min=n + 1, **extra)
    if needed is None:
        return None, "the estimate sits too close to a boundary for more seeds to decide"
    goal = "reproduced" if towards_reproduced else "not reproduced"
    return needed, f"the interval still crosses a boundary; about {needed} seeds would decide it ({goal})"


def judge_claims(
    claims: tuple[Claim, ...] | list[Claim],
    runs: pd.DataFrame,
    protocol: str,
    models: Collection[str] | None = None,
) -> pd.DataFrame:
    """verdicts.csv as a DataFrame: per-claim flags, then Holm across the "not reproduced" tests.

    ``models``: the models the run trained (the recorded protocol's); a claim about another one (left
    out with ``audit reproduce --model``) is not applicable, like one registered for another protocol.

    Holm's family is every applicable claim with a finite ``p_value`` (the test of a difference
    beyond the region); a claim is ``not_reproduced`` only if its CI lies outside the region *and*
    its Holm-adjusted p-value is below its α. ``reproduced`` needs no adjustment: each is its own
    TOST, and "all reproduced" is an intersection–union test (see :func:`overall`).
    """
    judged = [judge_claim(c, runs, protocol, models) for c in claims]
    frame = pd.DataFrame([j.row for j in judged], columns=COLUMNS)
    applicable = frame["protocol_applicable"].astype(bool).to_numpy()
    p = frame["p_value"].astype(float).where(applicable).to_numpy()
    frame["p_value_holm"] = stats.holm(p)
    family = int(np.isfinite(p).sum())
    verdicts, seeds, reasons = [], [], []
    for j, claim, (_, row) in zip(judged, claims, frame.iterrows(), strict=True):
        n = int(row["n"]) if math.isfinite(row["n"]) else 0
        needed: int | None = None
        if not row["protocol_applicable"]:
            verdict = NOT_APPLICABLE
            reason = f"registered for protocol(s) {', '.join(claim.protocols)}, not {protocol!r}"
            if protocol in claim.protocols:
                reason = f"this run did not train its model(s) (trained: {', '.join(models or [])})"
            frame.loc[row.name, "note"] = "; ".join(filter(None, [row["note"], reason]))
        elif j.supported:
            verdict = REPRODUCED
            reason = "the interval lies inside the claim's region (unadjusted level-α test)"
        elif j.against and row["p_value_holm"] < claim.alpha:
            verdict = NOT_REPRODUCED
            reason = f"the interval lies outside the claim's region (Holm across {family} claims)"
        else:
            verdict = INCONCLUSIVE
            if j.against:
                note = f"CI outside the margin, but not after Holm across {family} claims"
                frame.loc[row.name, "note"] = "; ".join(filter(None, [row["note"], note]))
            needed, reason = _seeds_and_reason(j, claim, n, family)
            if j.against:
                reason = f"{note}; {reason}"
        verdicts.append(verdict)
        seeds.append(needed)
        reasons.append(reason)
    frame["verdict"] = verdicts
    frame["reason"] = reasons
    frame["holm_family"] = family
    frame["seeds_needed"] = pd.array(seeds, dtype="Int64")
    frame["n"] = pd.array(frame["n"], dtype="Int64")
    for column in ("n_baseline", "reported_n"):
        frame[column] = pd.array([None if pd.isna(v) else int(v) for v in frame[column]], dtype="Int64")
    return frame


#: What the report must say about multiplicity (also ``Overall.adjustment``), with {k} the family size.
ADJUSTMENT_TEXT = (
    "Each claim's *reproduced* is its own level-α test (the interval of the difference inside the "
    "claim's region), unadjusted; *not reproduced* is Holm-adjusted across the {k} applicable claims "
    "whose test could be computed, so the chance of any false *not reproduced* in this report is at most "
    'α. The overall "all claims reproduced" needs no adjustment: it is an intersection–union test, '
    "which holds only if every claim's own test passes, so its error rate is at most α as well. "
    'Per-class "harmed" flags control the false discovery rate (Benjamini–Hochberg) across classes '
    "and conditions."
)


@dataclass(frozen=True)
class Overall:
    """The paper-level statement built from per-claim verdicts (the paper's claims, not controls)."""

    n_claims: int
    n_applicable: int
    counts: dict[str, int]
    all_reproduced: bool
    #: intersection–union p-value: the largest of the applicable claims' own p-values (NaN if none).
    p_iut: float
    text: str
    #: the registry's own sanity controls (role "control"), counted apart, never as the paper's.
    control_counts: dict[str, int] | None = None
    #: the multiplicity statement the report prints (see ADJUSTMENT_TEXT).
    adjustment: str = ""


def overall(frame: pd.DataFrame) -> Overall:
    """ "All of the paper's claims reproduced" as an intersection–union test (Berger 1982).

    The joint null ("at least one claim is not equivalent") is rejected only if every claim's own
    level-α test rejects, so the overall p-value is ``max_i p_i`` and no multiplicity correction is
    needed. Not-applicable claims are outside the family and are never counted as passed; control
    claims (the registry's own, not the paper's) are counted apart.
    """
    roles = frame["role"] if "role" in frame else pd.Series("paper", index=frame.index)
    controls, paper = frame[roles == "control"], frame[roles != "control"]
    counts = {v: int((paper["verdict"] == v).sum()) for v in VERDICTS}
    control_counts = {v: int((controls["verdict"] == v).sum()) for v in VERDICTS}
    applicable = paper[paper["verdict"] != NOT_APPLICABLE]
    k = len(applicable)
    p = applicable["p_equivalence"].astype(float)
    tested = int(p.notna().sum())
    p_iut = float(p.max()) if tested else math.nan
    all_rep = k > 0 and counts[REPRODUCED] == k
    na = counts[NOT_APPLICABLE]
    if k == 0:
        text = (
            f"No claim of the paper applies to this protocol ({na} not applicable): nothing is judged, "
            "and nothing is counted as reproduced."
        )
    elif all_rep:
        text = (
            f"All {k} applicable claims of the paper reproduced. As an intersection–union test this needs "
            f"no multiplicity correction, because every claim's own test must pass; overall p = {p_iut:.3g} "
            f"(the largest of the {tested} claims' own p-values)."
        )
    else:
        text = (
            f"Not all claims reproduced: of {k} applicable claims of the paper, {counts[REPRODUCED]} "
            f"reproduced, {counts[NOT_REPRODUCED]} not reproduced (Holm-adjusted), "
            f"{counts[INCONCLUSIVE]} inconclusive"
            + (f"; {na} not applicable to this protocol." if na else ".")
        )
    n_controls = len(controls[controls["verdict"] != NOT_APPLICABLE])
    if n_controls:
        text += (
            f" The registry's own {n_controls} sanity control(s), which are not claims of the paper: "
            f"{control_counts[REPRODUCED]} reproduced, {control_counts[NOT_REPRODUCED]} not reproduced, "
            f"{control_counts[INCONCLUSIVE]} inconclusive."
        )
    family = frame["holm_family"].dropna() if "holm_family" in frame else pd.Series(dtype=float)
    adjustment = ADJUSTMENT_TEXT.format(k=int(family.iloc[0]) if len(family) else 0)
    return Overall(len(frame), k, counts, all_rep, p_iut, text, control_counts, adjustment)


def write_verdicts(frame: pd.DataFrame, path: Any) -> None:
    """verdicts.csv with full float precision; empty cells for NaN/NA."""
    with atomic.replacing(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")
