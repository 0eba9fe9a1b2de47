"""Statistics for judging reproductions: intervals, equivalence tests, paired tests, corrections.

Every function is pure (numbers in, numbers out) and degrades instead of crashing: with fewer than
two finite values, or with zero spread, an interval cannot be estimated, so it comes back as NaN and
the verdict code turns NaN into "inconclusive". Formulas are cited in each docstring; notation:
``x̄`` sample mean, ``s`` sample standard deviation (ddof=1), ``n`` sample size,
``t_{q,ν}`` the q-quantile of Student's t with ν degrees of freedom, ``α`` the test level.

Equivalence and direction are decided on one interval, the two-sided ``1 − 2α`` interval of a
difference ``Δ̂`` (Schuirmann 1987): its lower bound exceeds ``L`` exactly when the one-sided t test
of ``H0: Δ ≤ L`` rejects at level α, so "the 90 % CI lies inside ±δ" *is* the TOST at α = 0.05.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

Alternative = Literal["two-sided", "greater", "less"]
Spread = Literal["std", "sem", "ci95"]

#: Above this many paired differences the sign-flip test samples sign vectors instead of
#: enumerating all 2**n of them (2**16 = 65 536 vectors is still instant).
EXACT_SIGN_FLIP_MAX_N = 16


@dataclass(frozen=True)
class Interval:
    """A closed interval [low, high]; NaN bounds mean "could not be estimated"."""

    low: float
    high: float

    @property
    def finite(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


NAN_INTERVAL = Interval(math.nan, math.nan)


def finite_values(x: Sequence[float] | np.ndarray) -> np.ndarray:
    """The finite entries of ``x`` as a float array (missing runs are dropped, not imputed)."""
    arr = np.asarray(x, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _has_spread(arr: np.ndarray) -> bool:
    """True when ``arr`` has n ≥ 2 and a positive sample variance: the precondition of every t formula."""
    return arr.size >= 2 and float(np.var(arr, ddof=1)) > 0


def mean_std(x: Sequence[float] | np.ndarray) -> tuple[float, float, int]:
    """``(x̄, s, n)`` with ``s`` using ddof=1; ``s`` is NaN for n < 2 and x̄ is NaN for n = 0."""
    arr = finite_values(x)
    mean = float(arr.mean()) if arr.size else math.nan
    std = float(arr.std(ddof=1)) if arr.size >= 2 else math.nan
    return mean, std, int(arr.size)


def t_interval_from_stats(mean: float, std: float, n: int, confidence: float = 0.95) -> Interval:
    """Student-t interval of a mean from summary statistics: ``x̄ ± t_{1−(1−c)/2, n−1} · s/√n``."""
    if n < 2 or not (math.isfinite(mean) and math.isfinite(std)) or std <= 0:
        return NAN_INTERVAL
    half = stats.t.ppf(1 - (1 - confidence) / 2, n - 1) * std / math.sqrt(n)
    return Interval(float(mean - half), float(mean + half))


def t_interval(x: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Student-t confidence interval of the mean, ``x̄ ± t_{1−(1−c)/2, n−1} · s/√n``.

    Assumes roughly normal run-to-run variation (accuracies over seeds usually are); NaN for n < 2
    or s = 0, where the formula would claim certainty it does not have.
    """
    mean, std, n = mean_std(x)
    return t_interval_from_stats(mean, std, n, confidence)


def prediction_interval(x: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Interval for one *new* run: ``x̄ ± t_{1−(1−c)/2, n−1} · s · √(1 + 1/n)``.

    A paper's single reported number is one draw from the run distribution, so this (not the CI of
    the mean, which shrinks like 1/√n) is the range where it should fall if the setups agree.
    """
    mean, std, n = mean_std(x)
    if n < 2 or not math.isfinite(std) or std <= 0:
        return NAN_INTERVAL
    half = stats.t.ppf(1 - (1 - confidence) / 2, n - 1) * std * math.sqrt(1 + 1 / n)
    return Interval(float(mean - half), float(mean + half))


def bootstrap_interval(
    x: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    *,
    method: Literal["percentile", "BCa", "basic"] = "BCa",
    statistic: Callable[..., np.ndarray] = np.mean,
    n_resamples: int = 9999,
    seed: int = 0,
) -> Interval:
    """Bootstrap CI of ``statistic`` via :func:`scipy.stats.bootstrap` with a fixed seed.

    Percentile: the (1−c)/2 and (1+c)/2 quantiles of the resampled statistic. BCa (Efron 1987)
    shifts those quantiles by a bias correction ``z0`` and an acceleration ``a`` from the jackknife;
    it is second-order accurate, which matters with few seeds. NaN for n < 2 or zero spread (every
    resample is identical, so the bootstrap distribution says nothing).
    """
    arr = finite_values(x)
    if not _has_spread(arr):
        return NAN_INTERVAL
    res = stats.bootstrap(
        (arr,),
        statistic,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method=method,
        rng=np.random.default_rng(seed),
        vectorized=True,
    )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Interval(low, high) if math.isfinite(low) and math.isfinite(high) else NAN_INTERVAL


@dataclass(frozen=True)
class Comparison:
    """A difference ``Δ̂`` with its t-based inference, the one object every verdict is decided on.

    ``ci`` is the two-sided ``1 − 2α`` interval ``Δ̂ ± t_{1−α, ν} · se``; ``statistic`` and
    ``p_difference`` test ``Δ = 0`` two-sided. ``p_lower`` tests ``H0: Δ ≤ −δ`` and ``p_upper``
    tests ``H0: Δ ≥ +δ`` (each one-sided); the TOST p-value is ``max(p_lower, p_upper)``.
    ``p_above`` tests ``H0: Δ ≤ +δ`` and ``p_below`` tests ``H0: Δ ≥ −δ``: small ``p_above`` is
    evidence that Δ exceeds the margin upwards (the CI lies above +δ).
    """

    estimate: float
    se: float
    df: float
    delta: float
    alpha: float
    ci: Interval
    statistic: float
    p_difference: float
    p_lower: float
    p_upper: float
    p_above: float
    p_below: float

    @property
    def p_equivalence(self) -> float:
        """TOST p-value: equivalence within ±δ is shown at level α iff this is < α."""
        return max(self.p_lower, self.p_upper)

    @property
    def p_nonequivalence(self) -> float:
        """p-value for "|Δ| > δ": < α iff the ``1 − 2α`` CI lies entirely outside ±δ.

        ``min(p_above, p_below)``; its size is α plus the (negligible for δ > 0) chance of
        crossing the opposite margin, and exactly 2α one-sided-each-way when δ = 0.
        """
        return min(self.p_above, self.p_below)

    @property
    def p_greater(self) -> float:
        """One-sided p of ``H0: Δ ≤ 0`` (evidence that Δ > 0): < α iff ``ci.low > 0``."""
        return float(stats.t.sf(self.statistic, self.df)) if self.valid else math.nan

    @property
    def p_less(self) -> float:
        """One-sided p of ``H0: Δ ≥ 0`` (evidence that Δ < 0): < α iff ``ci.high < 0``."""
        return float(stats.t.cdf(self.statistic, self.df)) if self.valid else math.nan

    @property
    def valid(self) -> bool:
        return self.ci.finite


def compare_estimate(estimate: float, se: float, df: float, *, delta: float, alpha: float) -> Comparison:
    """t inference for a difference with known standard error ``se`` and ``df`` degrees of freedom.

    One-sided p-values: ``P(T_ν ≥ (Δ̂ − L)/se)`` for ``H0: Δ ≤ L`` and ``P(T_ν ≤ (Δ̂ − U)/se)`` for
    ``H0: Δ ≥ U``. Everything is NaN when ``se`` is not positive and finite or ``ν`` < 1.
    """
    if not (math.isfinite(estimate) and math.isfinite(se) and se > 0 and math.isfinite(df) and df >= 1):
        nan = math.nan
        return Comparison(estimate, se, df, delta, alpha, NAN_INTERVAL, nan, nan, nan, nan, nan, nan)
    t = stats.t
    half = t.ppf(1 - alpha, df) * se
    statistic = float(estimate / se)
    return Comparison(
        estimate=estimate,
        se=se,
        df=df,
        delta=delta,
        alpha=alpha,
        ci=Interval(float(estimate - half), float(estimate + half)),
        statistic=statistic,
        p_difference=float(2 * t.sf(abs(statistic), df)),
        p_lower=float(t.sf((estimate + delta) / se, df)),
        p_upper=float(t.cdf((estimate - delta) / se, df)),
        p_above=float(t.sf((estimate - delta) / se, df)),
        p_below=float(t.cdf((estimate + delta) / se, df)),
    )


def tost_one_sample(
    x: Sequence[float] | np.ndarray, reported: float, *, delta: float, alpha: float = 0.05
) -> Comparison:
    """One-sample TOST of the mean against a reported value: ``Δ = μ − r`` within ``±δ``.

    ``Δ̂ = x̄ − r``, ``se = s/√n``, ``ν = n − 1``. Equivalent to statsmodels'
    ``DescrStatsW(x).ttost_mean(r − δ, r + δ)`` (cross-checked in the tests).
    """
    mean, std, n = mean_std(x)
    se = std / math.sqrt(n) if n >= 2 else math.nan
    return compare_estimate(mean - reported, se, n - 1, delta=delta, alpha=alpha)


def spread_to_std(value: float, kind: Spread, n: int | None, confidence: float = 0.95) -> float:
    """Turn a reported "±" into a standard deviation, given what the paper said it was.

    ``std``: as is. ``sem``: ``s = sem · √n``. ``ci95``: a t interval's half-width ``h`` gives
    ``s = h · √n / t_{0.975, n−1}`` (we assume the paper used a t interval; with a z interval the std
    is overstated by < 5 % for n ≥ 10). NaN when ``n`` is needed and missing or < 2.
    """
    if not math.isfinite(value) or value < 0:
        return math.nan
    if kind == "std":
        return float(value)
    if n is None or n < 2:
        return math.nan
    if kind == "sem":
        return float(value * math.sqrt(n))
    if kind == "ci95":
        return float(value * math.sqrt(n) / stats.t.ppf(1 - (1 - confidence) / 2, n - 1))
    raise ValueError(f"unknown spread kind {kind!r}; expected 'std', 'sem' or 'ci95'")


def welch_df(std1: float, n1: int, std2: float, n2: int) -> float:
    """Welch–Satterthwaite degrees of freedom ``(v1 + v2)² / (v1²/(n1−1) + v2²/(n2−1))``, ``vi = si²/ni``."""
    v1, v2 = std1**2 / n1, std2**2 / n2
    denom = (v1**2 / (n1 - 1) if n1 > 1 else 0.0) + (v2**2 / (n2 - 1) if n2 > 1 else 0.0)
    return (v1 + v2) ** 2 / denom if denom > 0 else math.nan


@dataclass(frozen=True)
class TTest:
    """A two-sided t test of ``Δ = 0``: statistic, degrees of freedom, p-value."""

    statistic: float
    df: float
    p_value: float


def welch_from_stats(mean1: float, std1: float, n1: int, mean2: float, std2: float, n2: int) -> TTest:
    """Welch's unequal-variance t test from summary statistics (:func:`scipy.stats.ttest_ind_from_stats`).

    ``t = (x̄1 − x̄2) / √(s1²/n1 + s2²/n2)`` with Welch–Satterthwaite ν. NaN when either n < 2 or
    both spreads are zero.
    """
    if n1 < 2 or n2 < 2 or not (std1 > 0 or std2 > 0):
        return TTest(math.nan, math.nan, math.nan)
    res = stats.ttest_ind_from_stats(mean1, std1, n1, mean2, std2, n2, equal_var=False)
    return TTest(float(res.statistic), welch_df(std1, n1, std2, n2), float(res.pvalue))


def welch_tost_from_stats(
    mean1: float,
    std1: float,
    n1: int,
    mean2: float,
    std2: float,
    n2: int,
    *,
    delta: float,
    alpha: float = 0.05,
) -> Comparison:
    """Welch TOST from summary statistics: ``Δ = μ1 − μ2`` within ``±δ``.

    ``Δ̂ = x̄1 − x̄2``, ``se = √(s1²/n1 + s2²/n2)``, Welch–Satterthwaite ν; matches statsmodels'
    ``ttost_ind(x1, x2, −δ, δ, usevar="unequal")`` on raw data with those statistics.
    """
    if n1 < 2 or n2 < 2 or not (math.isfinite(std1) and math.isfinite(std2)):
        return compare_estimate(mean1 - mean2, math.nan, math.nan, delta=delta, alpha=alpha)
    se = math.sqrt(std1**2 / n1 + std2**2 / n2)
    return compare_estimate(mean1 - mean2, se, welch_df(std1, n1, std2, n2), delta=delta, alpha=alpha)


def paired_t(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> TTest:
    """Paired t test of ``mean(a − b) = 0`` (as :func:`scipy.stats.ttest_rel`): ``t = d̄ / (s_d/√n)``.

    ν = n − 1; NaN for fewer than two pairs or identical differences.
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[np.isfinite(d)]
    if not _has_spread(d):
        return TTest(math.nan, math.nan, math.nan)
    res = stats.ttest_1samp(d, 0.0)
    return TTest(float(res.statistic), float(d.size - 1), float(res.pvalue))


def sign_flip_test(
    d: Sequence[float] | np.ndarray,
    *,
    alternative: Alternative = "two-sided",
    n_resamples: int = 20000,
    seed: int = 0,
) -> float:
    """Sign-flip permutation test of "the paired differences are symmetric about 0", statistic d̄.

    Under H0 (exchangeable arms within a seed) each ``d_i`` is equally likely to be ``±|d_i|``. For
    ``n ≤ 16`` all ``2**n`` sign vectors are enumerated and ``p = #{T* ⪰ T} / 2**n`` exactly (the
    identity vector is one of them, so p ≥ 2**−n); beyond that, ``p = (1 + #{T* ⪰ T}) / (1 + B)``
    with ``B`` random sign vectors (Phipson & Smyth 2010). ``⪰`` is ``|T*| ≥ |T|``, ``T* ≥ T`` or
    ``T* ≤ T`` for two-sided, greater and less; a relative tolerance absorbs floating-point ties.
    NaN for an empty input; all-zero differences give p = 1.
    """
    arr = finite_values(d)
    n = arr.size
    if n == 0:
        return math.nan
    observed = arr.mean()
    if n <= EXACT_SIGN_FLIP_MAX_N:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
        exact = True
    else:
        rng = np.random.default_rng(seed)
        signs = rng.choice((1.0, -1.0), size=(n_resamples, n))
        exact = False
    null = signs @ arr / n
    tol = 1e-12 * max(1.0, float(np.abs(arr).max()))
    if alternative == "two-sided":
        hits = np.abs(null) >= abs(observed) - tol
    elif alternative == "greater":
        hits = null >= observed - tol
    elif alternative == "less":
        hits = null <= observed + tol
    else:
        raise ValueError(f"unknown alternative {alternative!r}")
    count = int(hits.sum())
    return count / len(null) if exact else (1 + count) / (1 + len(null))


def probability_of_improvement(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """``P(A > B)`` for one random run of each arm, ties counted ½ (the Mann–Whitney U / (n·m)).

    ``(1/(n m)) Σ_i Σ_j [1(a_i > b_j) + ½·1(a_i = b_j)]``; 0.5 means no tendency either way
    (Agarwal et al. 2021, "probability of improvement"). NaN if either arm is empty.
    """
    x, y = finite_values(a), finite_values(b)
    if x.size == 0 or y.size == 0:
        return math.nan
    return float(_poi(x, y))


def _poi(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Vectorised P(X > Y) + ½P(X = Y) along ``axis`` (for the bootstrap's batched resamples)."""
    x = np.moveaxis(np.asarray(x), axis, -1)[..., :, None]
    y = np.moveaxis(np.asarray(y), axis, -1)[..., None, :]
    return ((x > y) + 0.5 * (x == y)).mean(axis=(-2, -1))


def probability_of_improvement_interval(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    *,
    n_resamples: int = 9999,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap CI of ``P(A > B)``, resampling each arm independently (stratified).

    Percentile rather than BCa because the statistic is bounded and often sits at 0 or 1 with few
    seeds, where BCa's jackknife acceleration is undefined. NaN when either arm has < 2 runs.
    """
    x, y = finite_values(a), finite_values(b)
    if x.size < 2 or y.size < 2:
        return NAN_INTERVAL
    res = stats.bootstrap(
        (x, y),
        _poi,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
        vectorized=True,
        paired=False,
    )
    return Interval(float(res.confidence_interval.low), float(res.confidence_interval.high))


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values; NaN entries stay NaN and do not count towards m.

    With the m finite p-values sorted ascending, ``p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))``;
    rejecting where ``p̃ < α`` controls the family-wise error rate at α under any dependence
    (Holm 1979). Same numbers as ``statsmodels.stats.multitest.multipletests(p, method="holm")``.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, math.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def coefficient_of_variation(x: Sequence[float] | np.ndarray) -> float:
    """``s / |x̄|`` (a fraction, ddof=1): run-to-run spread relative to the level (Belz 2021).

    NaN for n < 2 or a zero mean.
    """
    mean, std, n = mean_std(x)
    if n < 2 or mean == 0 or not math.isfinite(mean):
        return math.nan
    return std / abs(mean)


def percentile_of_value(x: Sequence[float] | np.ndarray, value: float) -> float:
    """Percentile rank (0–100) of ``value`` among the runs, ties counted half (``kind="mean"``).

    0 or 100 means the reported number lies outside every reproduced run. NaN without runs.
    """
    arr = finite_values(x)
    if arr.size == 0 or value is None or not math.isfinite(value):
        return math.nan
    return float(stats.percentileofscore(arr, value, kind="mean"))


def seeds_needed(
    std: float,
    distance: float,
    *,
    alpha: float = 0.05,
    n_min: int = 2,
    n_max: int = 10_000,
    other_std: float = 0.0,
    other_n: int | None = None,
) -> int | None:
    """Smallest total number of seeds n ≥ ``n_min`` whose ``1 − 2α`` CI half-width fits ``distance``.

    Assuming the estimate and spread stay as observed, the verdict is decided once the CI half-width
    ``h(n) = t_{1−α, ν(n)} · √(s²/n + s_o²/m)`` is below the distance from the estimate to the
    nearest decision boundary (for an equivalence claim ``|δ − |Δ̂||``; for a directional claim
    ``|Δ̂|``). ``ν(n) = n − 1`` for one sample, Welch–Satterthwaite when a fixed second sample
    ``(s_o, m)`` (the paper's own runs) contributes variance. Returns None if no n ≤ ``n_max``
    suffices: the difference sits on the boundary, the spread is unknown, or the paper's own
    uncertainty alone is wider than the distance (more of our seeds cannot decide then).
    """
    if not (math.isfinite(std) and std > 0 and math.isfinite(distance) and distance > 0):
        return None
    other_var = other_std**2 / other_n if other_n and other_std > 0 else 0.0

    def half_width(n: int) -> float:
        df = n - 1 if other_var == 0 else welch_df(std, n, other_std, other_n or 2)
        return float(stats.t.ppf(1 - alpha, df) * math.sqrt(std**2 / n + other_var))

    lo = max(2, n_min)
    if half_width(n_max) >= distance:
        return None
    if half_width(lo) < distance:
        return lo
    hi = n_max  # half_width decreases in n: bisect for the first n that fits
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if half_width(mid) < distance:
            hi = mid
        else:
            lo = mid
    return hi


def disjoint_ranges_p_value(n: int, m: int) -> float:
    """Exact p-value of "the two samples' ranges are disjoint" under exchangeability: ``2 / C(n+m, n)``.

    If both sets of runs come from one continuous distribution, every assignment of the ``n + m``
    ordered values to the two groups is equally likely, and exactly two of the ``C(n+m, n)``
    assignments put one group entirely above the other. Shifting one sample by δ first makes this a
    test of "shifted by more than δ". NaN if either sample is empty.
    """
    if n < 1 or m < 1:
        return math.nan
    return 2.0 / math.comb(n + m, n)
