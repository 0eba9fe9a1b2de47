"""Multiple testing: Holm for the "not reproduced" flags, Benjamini–Hochberg for per-class harm.

Why two procedures: a paper's claims are few and each "not reproduced" is a strong public statement,
so the family-wise error rate is controlled (Holm). Per-class "harmed" flags are many (10 classes ×
every pruned condition) and exploratory, so the false discovery rate is controlled instead (BH), which
keeps power where FWER control over ~100 tests would leave almost none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


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


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN entries stay NaN and do not count in m.

    With the m finite p-values sorted ascending, ``q_(i) = min_{j ≥ i} min(1, m · p_(j) / j)``;
    flagging where ``q < α`` controls the false discovery rate at α for independent or positively
    dependent tests (Benjamini & Hochberg 1995; Benjamini & Yekutieli 2001 for PRDS). Same numbers as
    ``statsmodels.stats.multitest.multipletests(p, method="fdr_bh")``.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, math.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    scaled = np.minimum(1.0, m * p[order] / np.arange(1, m + 1))
    out[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return out
