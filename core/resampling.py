"""Resampling statistics for relation claims: bootstrap intervals, sign-flip tests, P(A > B).

They complement the t-based verdicts (which decide) with distribution-free numbers (which a reader
can check the t test against): a paired design with few seeds is exactly where a t test's normality
assumption is least checkable.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from scipy import stats

from core.stats import NAN_INTERVAL, Interval, finite_values, has_spread

Alternative = Literal["two-sided", "greater", "less"]

#: Above this many paired differences the sign-flip test samples sign vectors instead of
#: enumerating all 2**n of them (2**16 = 65 536 vectors is still instant).
EXACT_SIGN_FLIP_MAX_N = 16


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
    if not has_spread(arr):
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
