"""Census figures with matplotlib's Agg backend: top packages and framework shares.

Agg because a census runs headless (CI, servers); the PNG metadata carries no software version or
date so re-rendering the same CSVs gives byte-identical figures that diff cleanly in a static site.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator

from core import atomic
from reports.census.intervals import Proportion

DPI = 110
_METADATA = {"Software": None}


def _save(fig: plt.Figure, path: Path) -> Path:
    """Write the figure through a temporary name so an interrupted render leaves no broken PNG."""
    fig.tight_layout()
    try:
        with atomic.replacing(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, metadata=_METADATA)
    finally:
        plt.close(fig)
    return path


def top_tools_chart(top: pd.DataFrame, parsed: int, path: Path, *, title: str) -> Path:
    """Horizontal bars of ``top`` (package, code_bases), most used at the top.

    With no packages at all the figure still exists and says so, so a report never links a
    missing image.
    """
    height = max(2.0, 0.32 * len(top) + 1.2)
    fig, ax = plt.subplots(figsize=(7.5, height))
    if top.empty:
        ax.text(0.5, 0.5, "no dependencies found", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        names = list(top["package"])[::-1]
        counts = [int(c) for c in top["code_bases"]][::-1]
        bars = ax.barh(names, counts, color="#4C72B0")
        ax.bar_label(bars, labels=[str(c) for c in counts], padding=3, fontsize=8)
        ax.set_xlabel(f"code bases using the package (of {parsed} parsed)")
        ax.set_xlim(0, max(counts) * 1.12)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="y", labelsize=9)
        ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=11)
    return _save(fig, path)


def frameworks_chart(shares: dict[str, Proportion], names: dict[str, str], path: Path, *, title: str) -> Path:
    """Share of parsed repositories per framework with 95% Wilson intervals as error bars.

    Frameworks no parsed repository uses are left out of the figure (the report lists them).
    """
    rows = [(names.get(k, k), p) for k, p in shares.items() if p.share is not None and p.k > 0]
    fig, ax = plt.subplots(figsize=(7.5, max(2.0, 0.4 * len(rows) + 1.2)))
    if not rows:
        ax.text(0.5, 0.5, "no framework found", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        rows = rows[::-1]
        labels = [name for name, _ in rows]
        share = [100 * p.share for _, p in rows]  # type: ignore[operator]
        low = [100 * (p.share - p.ci_low) for _, p in rows]  # type: ignore[operator]
        high = [100 * (p.ci_high - p.share) for _, p in rows]  # type: ignore[operator]
        ax.barh(labels, share, xerr=[low, high], color="#55A868", ecolor="#333333", capsize=3)
        for y, (_, p) in enumerate(rows):
            ax.text(100 * p.ci_high + 1, y, f"{p.k}/{p.n}", va="center", fontsize=8)  # type: ignore[operator]
        ax.set_xlim(0, 110)
        ax.set_xlabel("% of parsed code bases (bars: 95% Wilson interval)")
        ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=11)
    return _save(fig, path)
