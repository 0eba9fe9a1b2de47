"""Per-class harm of pruning: per class and condition, the paired accuracy change, flagged under FDR control.

"Prune Responsibly" (Paganini 2020) showed that pruning can hurt some classes far more than the
average. With 10 classes × every pruned condition there are dozens of per-class tests, so flagging
each class whose interval lies below 0 would flag several by chance alone; the "harmed" flag is
therefore a one-sided paired t test per class ("the change is below 0") with the false discovery rate
controlled across all classes and conditions (Benjamini–Hochberg, :func:`core.multiplicity`).
Intervals respect the metric's bounds: a per-class accuracy cannot leave [0, 100], so the mean change
cannot leave ``[−d̄, 100 − d̄]`` (``d̄`` the dense accuracy of that class).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from core import multiplicity, stats

KEYS = ["model", "arm", "target_sparsity", "round"]

#: How the report should describe the flag.
HARM_RULE = (
    "harmed: the per-seed paired change is below 0 by a one-sided t test, with the false discovery rate "
    "controlled at {alpha:g} across all {m} class × condition tests (Benjamini–Hochberg q < {alpha:g})"
)


def class_changes(per_class: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per condition and class: n, mean change (pruned − dense, paired by seed), its 1 − α CI and the flag.

    Columns: model, arm, target_sparsity, round, class, n, change, ci_low, ci_high (those of
    ``figures.per_class_changes``), then dense (mean dense accuracy of the paired seeds), std,
    ci_clipped, p_harm, q_harm, harmed. The dense reference is arm ``dense`` if present, else target
    sparsity 0, of the same model; seeds without a dense partner are dropped.
    """
    columns = [*KEYS, "class", "n", "change", "ci_low", "ci_high", "dense", "std", "ci_clipped"]
    needed = {"arm", "seed", "class", "accuracy"}
    if per_class.empty or not needed <= set(per_class.columns):
        return pd.DataFrame(columns=[*columns, "p_harm", "q_harm", "harmed"])
    frame = per_class.copy()
    frame["target_sparsity"] = pd.to_numeric(frame.get("target_sparsity", 0.0), errors="coerce").round(4)
    for column, default in (("model", ""), ("round", 0)):
        if column not in frame:
            frame[column] = default
    is_dense = frame["arm"].astype(str) == "dense"
    if not is_dense.any():
        is_dense = frame["target_sparsity"] == 0
    dense = frame[is_dense].groupby(["model", "seed", "class"])["accuracy"].mean()
    rows = []
    for (model, arm, target, rnd), group in frame[~is_dense].groupby(KEYS, sort=True):
        pruned = group.groupby(["model", "seed", "class"])["accuracy"].mean()
        pairs = pd.concat({"pruned": pruned, "dense": dense}, axis=1, join="inner").dropna()
        for cls, pair in pairs.groupby(level="class"):
            d = (pair["pruned"] - pair["dense"]).to_numpy()
            base = float(pair["dense"].mean())
            ci, clipped = stats.clip_interval(stats.t_interval(d, 1 - alpha), -base, 100.0 - base)
            mean, std, n = stats.mean_std(d)
            rows.append((model, arm, target, rnd, cls, n, mean, ci.low, ci.high, base, std, clipped))
    return harm_flags(pd.DataFrame(rows, columns=columns), alpha)


def harm_flags(changes: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """``changes`` with p_harm, q_harm (BH across every row) and harmed added (kept if already there).

    Works on :func:`class_changes` output (which has ``std``) and on ``figures.per_class_changes``
    output, whose 95 % t interval gives the standard error back exactly: ``se = half-width / t_{0.975, n−1}``.
    """
    if changes.empty or "harmed" in changes:
        return changes
    out = changes.copy()
    n = pd.to_numeric(out["n"], errors="coerce").to_numpy(dtype=float)
    change = pd.to_numeric(out["change"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        if "std" in out:
            se = pd.to_numeric(out["std"], errors="coerce").to_numpy(dtype=float) / np.sqrt(n)
        else:
            half = (out["ci_high"].to_numpy(dtype=float) - out["ci_low"].to_numpy(dtype=float)) / 2
            se = half / sps.t.ppf(0.975, df)
        ok = np.isfinite(se) & (se > 0) & np.isfinite(df)
        p = np.where(ok, sps.t.cdf(change / np.where(ok, se, 1.0), np.where(ok, df, 1.0)), np.nan)
    out["p_harm"] = p
    out["q_harm"] = multiplicity.benjamini_hochberg(p)
    out["harmed"] = np.nan_to_num(out["q_harm"].to_numpy(dtype=float), nan=math.inf) < alpha
    return out


def harm_rule(changes: pd.DataFrame, alpha: float = 0.05) -> str:
    """The sentence the report prints under the per-class table (with the family size)."""
    m = int(np.isfinite(pd.to_numeric(changes.get("p_harm", pd.Series(dtype=float)))).sum())
    return HARM_RULE.format(alpha=alpha, m=m)
