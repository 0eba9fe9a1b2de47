"""Proportions with 95% Wilson score intervals.

Wilson rather than the normal approximation because census shares are often near 0 or 1 with small
denominators (a tier with 40 papers, a framework used by 2 of 60 repositories), where the Wald
interval leaves [0, 1] or collapses to a point.
"""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.proportion import proportion_confint

#: 1 - confidence level of every interval in the report.
ALPHA = 0.05


@dataclass(frozen=True)
class Proportion:
    """``k`` of ``n`` with its share and Wilson interval; share and bounds are None when n is 0."""

    k: int
    n: int
    share: float | None
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict[str, int | float | None]:
        """The JSON form used in census.json."""
        return {"k": self.k, "n": self.n, "share": self.share, "ci_low": self.ci_low, "ci_high": self.ci_high}

    def percent(self, digits: int = 1) -> str:
        """``"60.0% [23.1, 88.2]"`` for tables; an em dash when there is no denominator."""
        if self.share is None or self.ci_low is None or self.ci_high is None:
            return "—"
        return (
            f"{100 * self.share:.{digits}f}% "
            f"[{100 * self.ci_low:.{digits}f}, {100 * self.ci_high:.{digits}f}]"
        )


def wilson(k: int, n: int, alpha: float = ALPHA) -> Proportion:
    """The share ``k / n`` with its Wilson score interval (statsmodels' implementation)."""
    if k < 0 or n < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Proportion(k=0, n=0, share=None, ci_low=None, ci_high=None)
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    return Proportion(k=int(k), n=int(n), share=k / n, ci_low=float(low), ci_high=float(high))
