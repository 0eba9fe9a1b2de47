"""Trend figures: framework shares over the years with 95% interval bands (trends.png) and the
share of accepted papers with a code link, by source (coverage.png). Agg backend, no metadata,
so the same tables always give the same bytes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from core import atomic
from reports.census.aggregate import FRAMEWORKS
from reports.trends.load import Point

DPI = 110
COLOURS = {
    "pytorch": "#EE4C2C",
    "tensorflow": "#FF8F00",
    "keras": "#8E44AD",
    "jax": "#2E86C1",
    "mxnet": "#16A085",
    "theano": "#7F8C8D",
    "chainer": "#C0392B",
    "paddlepaddle": "#1ABC9C",
}
STYLES = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", (0, (5, 1))), ("P", (0, (3, 1, 1, 1)))]


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    try:
        with atomic.replacing(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    finally:
        plt.close(fig)
    return path


def _series(points: list[Point]) -> dict[tuple[str, str], list[Point]]:
    """Points by (conference, source), each sorted by year; points without a year are left out."""
    series: dict[tuple[str, str], list[Point]] = {}
    for point in sorted(
        (p for p in points if p.year is not None), key=lambda p: (p.conference, p.source, p.year)
    ):
        series.setdefault((point.conference, point.source), []).append(point)
    return series


def used_frameworks(points: list[Point]) -> list[str]:
    """Frameworks some point's parsed code bases use, in the census' display order."""
    return [
        key
        for key in FRAMEWORKS
        if any(p.summary.frameworks.get(key) and p.summary.frameworks[key].k for p in points)
    ]


def trends_chart(points: list[Point], path: Path) -> Path:
    """One line per framework and venue series: share of parsed code bases, 95% Wilson band."""
    fig, ax = plt.subplots(figsize=(8.5, 5.0))
    keys = used_frameworks(points)
    series = _series(points)
    drawn = False
    for (conference, source), style in zip(series, STYLES * 4, strict=False):
        marker, line = style
        for key in keys:
            rows = [(p.year, p.summary.frameworks.get(key)) for p in series[(conference, source)]]
            rows = [(y, s) for y, s in rows if s is not None and s.share is not None]
            if not rows:
                continue
            years = [y for y, _ in rows]
            share = [100 * s.share for _, s in rows]  # type: ignore[operator]
            low = [100 * s.ci_low for _, s in rows]  # type: ignore[operator]
            high = [100 * s.ci_high for _, s in rows]  # type: ignore[operator]
            colour = COLOURS.get(key, "#333333")
            label = f"{FRAMEWORKS[key]}, {conference}: {source}"
            ax.plot(years, share, marker=marker, linestyle=line, color=colour, label=label)
            ax.fill_between(years, low, high, color=colour, alpha=0.15, linewidth=0)
            if len(years) == 1:
                ax.errorbar(
                    years, share, yerr=[[share[0] - low[0]], [high[0] - share[0]]], color=colour, capsize=3
                )
            drawn = True
    if not drawn:
        ax.text(
            0.5,
            0.5,
            "no parsed code bases in these folders",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of parsed code bases (band: 95% Wilson interval)")
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Frameworks used by the code of accepted papers", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    if drawn:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _save(fig, path)


def coverage_chart(points: list[Point], path: Path) -> Path:
    """Share of accepted papers with a code link per year, one line per venue and source."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    series = _series(points)
    for ((conference, source), rows), (marker, line) in zip(series.items(), STYLES * 4, strict=False):
        years = [p.year for p in rows]
        share = [100 * (p.summary.with_code.share or 0.0) for p in rows]
        low = [100 * (p.summary.with_code.ci_low or 0.0) for p in rows]
        high = [100 * (p.summary.with_code.ci_high or 0.0) for p in rows]
        (drawn,) = ax.plot(years, share, marker=marker, linestyle=line, label=f"{conference}: {source}")
        ax.fill_between(years, low, high, color=drawn.get_color(), alpha=0.15, linewidth=0)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of accepted papers with a code link")
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Code-link coverage by source (a change of source is not a change of practice)", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    if series:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _save(fig, path)
