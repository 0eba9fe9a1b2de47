"""Figures of a reproduction (matplotlib): curves with bands, per-class harm, forest plot.

Each function writes one PNG and returns its path, or None when the data for it is absent (no
per-class file, no dense arm, no claim with a difference), so the report simply leaves it out.
Figures are built as :class:`matplotlib.figure.Figure` objects rendered by Agg, never through
pyplot, so no global backend or figure registry is touched (safe in servers and test runs).

The same data gives the same PNG bytes, so ``audit report DIR`` re-renders a folder byte-identically:
a fixed DPI, no PNG metadata (matplotlib writes its version as "Software"), and matplotlib's default
style whatever a user's matplotlibrc says.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import style as mpl_style
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from core import atomic, stats
from core.claims import Claim

VERDICT_COLORS = {
    "reproduced": "#1a7f37",
    "not_reproduced": "#cf222e",
    "inconclusive": "#9a6700",
    "not_applicable": "#6e7781",
}
DPI = 110
#: PNG text chunks written: none (matplotlib's default adds its version as "Software").
PNG_METADATA: dict[str, Any] = {"Software": None}

_F = TypeVar("_F", bound=Callable[..., Any])


def _default_style(function: _F) -> _F:
    """Draw under matplotlib's default style, so a user's matplotlibrc cannot change the figure."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mpl_style.context("default"):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _save(fig: Figure, path: Path) -> Path:
    with atomic.replacing(path) as tmp:
        fig.savefig(tmp, dpi=DPI, format="png", metadata=PNG_METADATA)
    return path


def _remaining_percent(sparsity: pd.Series) -> pd.Series:
    return (1 - pd.to_numeric(sparsity, errors="coerce")) * 100


@_default_style
def accuracy_vs_sparsity(
    runs: pd.DataFrame,
    claims: tuple[Claim, ...],
    path: Path,
    metric: str = "test_accuracy",
    protocol: str | None = None,
) -> Path | None:
    """Metric against weights remaining (log scale, LTH's convention), one colour per arm.

    Per arm and target sparsity: every seed as a dot, the mean as a line and its 95 % t-CI as a band
    (NaN bands, n < 2, are simply not drawn). Registered reported values are overlaid in black:
    single numbers as crosses, mean ± spread with an error bar, min–max as a vertical range; only
    claims registered for ``protocol`` (all if None), since others are not comparable.
    """
    if runs.empty or metric not in runs or "arm" not in runs:
        return None
    frame = runs.copy()
    frame["_target"] = pd.to_numeric(frame.get("target_sparsity", 0.0), errors="coerce").round(4)
    measured = frame["sparsity"] if "sparsity" in frame else frame["_target"]
    frame["_x"] = _remaining_percent(measured).clip(lower=1e-3)
    frame["_y"] = pd.to_numeric(frame[metric], errors="coerce")
    fig = Figure(figsize=(7.5, 4.6))
    ax = fig.subplots()
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    if "model" not in frame or frame["model"].nunique() <= 1:
        frame["_line"] = frame["arm"].astype(str)
    else:
        frame["_line"] = frame["model"].astype(str) + " / " + frame["arm"].astype(str)
    arms = sorted(frame["_line"].unique())
    for i, arm in enumerate(arms):
        group = frame[frame["_line"] == arm]
        color = colors[i % len(colors)]
        # lines sharing a sparsity are nudged apart horizontally (a few %, invisible on a log axis)
        nudge = 1.04 ** (i - (len(arms) - 1) / 2)
        ax.scatter(group["_x"] * nudge, group["_y"], s=14, alpha=0.55, color=color, linewidths=0)
        rows = []
        # dropna=False: rows without a round (e.g. an upstream entry's) still form their own point
        keys = ["_target", *(["round"] if "round" in group else [])]
        for _, g in group.groupby(keys, dropna=False):
            ci = stats.t_interval(g["_y"], 0.95)
            rows.append((g["_x"].mean() * nudge, g["_y"].mean(), ci.low, ci.high))
        if not rows:
            continue
        pts = np.array(sorted(rows, key=lambda r: -r[0]))
        ok = np.isfinite(pts[:, 2])
        err = np.vstack([pts[:, 1] - pts[:, 2], pts[:, 3] - pts[:, 1]])
        ax.errorbar(
            pts[:, 0],
            pts[:, 1],
            yerr=np.where(np.isfinite(err), err, 0.0),
            fmt="-o",
            color=color,
            ms=4,
            lw=1.6,
            capsize=3,
            label=f"{arm} (mean, 95% CI)",
        )
        if ok.sum() > 1:
            ax.fill_between(pts[ok, 0], pts[ok, 2], pts[ok, 3], color=color, alpha=0.18, lw=0)
    _overlay_reported(ax, [c for c in claims if protocol is None or protocol in c.protocols], metric)
    ax.set_xscale("log")
    ticks = [t for t in (100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1) if frame["_x"].min() / 1.5 <= t <= 150]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.invert_xaxis()
    ax.set_xlabel("weights remaining (%, log scale; sparser to the right)")
    ax.set_ylabel(metric.replace("_", " ") + (" (%)" if "accuracy" in metric else ""))
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(
        "Runs per arm: seeds (dots), mean and 95% CI; paper values (this protocol) in black", fontsize=9
    )
    fig.tight_layout()
    return _save(fig, path)


def _overlay_reported(ax: Axes, claims: list[Claim], metric: str) -> None:
    labelled = False
    for claim in claims:
        if claim.metric != metric or "target_sparsity" not in claim.condition or claim.kind == "relation":
            continue
        x = max((1 - float(claim.condition["target_sparsity"])) * 100, 1e-3)
        label = None if labelled else "paper (reported)"
        if claim.kind == "min_max" and claim.reported_min is not None and claim.reported_max is not None:
            ax.vlines(x, claim.reported_min, claim.reported_max, color="black", lw=2.2, label=label)
        elif claim.reported is not None:
            yerr = claim.reported_std if claim.kind == "mean_std" and claim.reported_std else None
            ax.errorbar(x, claim.reported, yerr=yerr, fmt="x", color="black", ms=7, capsize=3, label=label)
        else:
            continue
        labelled = True


def per_class_changes(per_class: pd.DataFrame) -> pd.DataFrame:
    """Per class and pruned condition: mean over seeds of (pruned − dense accuracy) and its 95 % t-CI.

    The dense reference is arm ``dense`` if present, else target sparsity 0, of the same model; each
    pruned seed is paired with the dense run of the same seed (seeds without a dense partner are
    dropped). A condition is (model, arm, target sparsity, round) as far as those columns exist.
    Columns: model, arm, target_sparsity, round, class, n, change, ci_low, ci_high.
    """
    needed = {"arm", "seed", "class", "accuracy"}
    if per_class.empty or not needed <= set(per_class.columns):
        return pd.DataFrame()
    frame = per_class.copy()
    frame["target_sparsity"] = pd.to_numeric(frame.get("target_sparsity", 0.0), errors="coerce").round(4)
    for column, default in (("model", ""), ("round", 0)):
        if column not in frame:
            frame[column] = default
    is_dense = frame["arm"].astype(str) == "dense"
    if not is_dense.any():
        is_dense = frame["target_sparsity"] == 0
    dense = frame[is_dense].groupby(["model", "seed", "class"])["accuracy"].mean()
    if dense.empty:
        return pd.DataFrame()
    rows = []
    keys = ["model", "arm", "target_sparsity", "round"]
    for (model, arm, target, rnd), group in frame[~is_dense].groupby(keys, sort=True):
        pruned = group.groupby(["model", "seed", "class"])["accuracy"].mean()
        diff = (pruned - dense).dropna()
        for cls, d in diff.groupby(level="class"):
            ci = stats.t_interval(d.to_numpy(), 0.95)
            rows.append((model, arm, target, rnd, cls, len(d), float(d.mean()), ci.low, ci.high))
    return pd.DataFrame(rows, columns=[*keys, "class", "n", "change", "ci_low", "ci_high"])


#: more pruned conditions than this and the figure keeps only each (model, arm)'s sparsest one.
MAX_PER_CLASS_GROUPS = 6


@_default_style
def per_class_change(changes: pd.DataFrame, path: Path) -> Path | None:
    """Grouped bars: per class, the accuracy change after pruning (pruned − dense), 95 % CI whiskers.

    With many pruned conditions (LTH's rounds) only the sparsest per model and arm is drawn; the
    report's table lists all of them.
    """
    if changes.empty:
        return None
    keys = ["model", "arm", "target_sparsity", "round"]
    if changes.groupby(keys).ngroups > MAX_PER_CLASS_GROUPS:
        sparsest = changes.groupby(["model", "arm"])["target_sparsity"].transform("max")
        changes = changes[changes["target_sparsity"] == sparsest]
    groups = list(changes.groupby(keys, sort=True))
    several_models = changes["model"].nunique() > 1
    classes = sorted(changes["class"].unique(), key=lambda c: (str(type(c)), c))
    width = 0.8 / len(groups)
    fig = Figure(figsize=(min(11.0, max(6.5, 0.3 * len(classes) * len(groups))), 4.2))
    ax = fig.subplots()
    for i, ((model, arm, target, _), g) in enumerate(groups):
        g = g.groupby("class")[["change", "ci_low", "ci_high"]].mean().reindex(classes)
        x = np.arange(len(classes)) + (i - (len(groups) - 1) / 2) * width
        err = np.vstack([g["change"] - g["ci_low"], g["ci_high"] - g["change"]])
        err = np.where(np.isfinite(err), err, 0.0)
        label = f"{model} " if several_models else ""
        ax.bar(
            x, g["change"], width=width, yerr=err, capsize=2, label=f"{label}{arm} @ {target:.4g} sparsity"
        )
    ax.axhline(0, color="black", lw=0.8)
    # a change in accuracy points lies in [−100, 100]; t whiskers from 2–3 seeds can overshoot that
    bounds = changes[["ci_low", "ci_high", "change"]].to_numpy(dtype=float)
    bounds = bounds[np.isfinite(bounds)]
    if bounds.size:
        pad = 0.05 * max(1.0, float(bounds.max() - bounds.min()))
        ax.set_ylim(max(-100.0, float(bounds.min()) - pad), min(100.0, float(bounds.max()) + pad))
    ax.set_xticks(np.arange(len(classes)), [str(c) for c in classes])
    ax.set_xlabel("class")
    ax.set_ylabel("accuracy change vs dense (points)")
    ax.set_title(
        "Per-class accuracy change after pruning: mean over seeds, 95% CI (paired by seed)", fontsize=9
    )
    ax.grid(True, axis="y", alpha=0.25)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


@_default_style
def forest(verdicts: pd.DataFrame, path: Path) -> Path | None:
    """One row per claim: the tested difference Δ̂ with its 1−2α CI, the ±δ band shaded, colour = verdict.

    Claims without a difference (min–max ranges, missing data) and claims not applicable to the run's
    protocol are left out; the table has them.
    """
    keep = (
        np.isfinite(verdicts["mean_diff"].astype(float))
        & (verdicts["kind"] != "min_max")
        & (verdicts["verdict"] != "not_applicable")
    )
    rows = verdicts[keep]
    if rows.empty:
        return None
    rows = rows.iloc[::-1]
    fig = Figure(figsize=(7.5, 0.9 + 0.5 * len(rows)))
    ax = fig.subplots()
    for y, (_, r) in enumerate(rows.iterrows()):
        delta = float(r["delta"])
        if delta > 0:
            ax.fill_between([-delta, delta], y - 0.35, y + 0.35, color="#8c959f", alpha=0.25, lw=0)
        color = VERDICT_COLORS.get(r["verdict"], "black")
        low, high = float(r["ci_low"]), float(r["ci_high"])
        if math.isfinite(low) and math.isfinite(high):
            ax.hlines(y, low, high, color=color, lw=2.4)
        ax.plot(float(r["mean_diff"]), y, "o", color=color, ms=6)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(
        range(len(rows)),
        [f"{r.claim_id} ({r.verdict.replace('_', ' ')})" for r in rows.itertuples()],
        fontsize=8,
    )
    ax.set_xlabel("difference Δ (reproduced − reported, or A − B), points; grey: ±δ")
    ax.set_title("Per-claim difference with its 1−2α CI (90% at α = 0.05)", fontsize=9)
    ax.grid(True, axis="x", alpha=0.25)
    fig.tight_layout()
    return _save(fig, path)
