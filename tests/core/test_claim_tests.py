"""core.claim_tests on fixed data: regions per direction, decisions against scipy's one-sided t tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from core import claim_tests
from core.claim_tests import Region, region_for

D = np.array([0.42, 0.55, 0.31, 0.60, 0.47, 0.52])  # per-seed differences, mean 0.478


@pytest.mark.parametrize(
    ("kind", "direction", "reported", "delta", "margin", "expected"),
    [
        ("single", None, 98.3, 0.3, None, (-0.3, 0.3)),
        ("min_max", None, None, 0.5, None, (-0.5, 0.5)),
        ("relation", "equivalent", None, 0.2, None, (-0.2, 0.2)),
        ("relation", "equivalent", -0.7, 0.3, None, (-1.0, -0.4)),
        ("relation", "non_inferior", None, 0.2, None, (-0.2, math.inf)),
        ("relation", "greater", None, 0.5, 0.3, (0.3, math.inf)),
        ("relation", "greater", None, 0.5, None, (0.0, math.inf)),
        ("relation", "less", None, 0.5, -0.3, (-math.inf, -0.3)),
        ("relation", None, None, 0.5, None, (0.0, math.inf)),  # a relation defaults to "greater"
        ("ratio", None, 0.62, 0.15, None, (math.log(0.47), math.log(0.77))),  # a ratio to "equivalent"
        ("ratio", "less", None, 0.0, None, (-math.inf, 0.0)),
        ("ratio", "greater", None, 0.0, 2.0, (math.log(2.0), math.inf)),
        ("ratio", "non_inferior", 1.0, 0.1, None, (math.log(0.9), math.inf)),
    ],
)
def test_regions(kind, direction, reported, delta, margin, expected):
    region = region_for(kind, direction, reported=reported, delta=delta, margin=margin)
    assert (region.low, region.high) == pytest.approx(expected)


def test_ratio_regions_must_stay_positive():
    with pytest.raises(ValueError, match="above 0"):
        region_for("ratio", "equivalent", reported=0.1, delta=0.2, margin=None)
    with pytest.raises(ValueError, match="above 0"):
        region_for("ratio", "less", reported=None, delta=0.0, margin=-1.0)
    with pytest.raises(ValueError, match="unknown direction"):
        region_for("relation", "sideways", reported=None, delta=0.1, margin=None)


def test_decide_is_two_one_sided_t_tests():
    est = claim_tests.paired(D, np.zeros_like(D))
    se = D.std(ddof=1) / math.sqrt(D.size)
    assert float(est.se) == pytest.approx(se, rel=1e-12) and float(est.df) == 5
    region = Region(0.2, 0.8)
    decision = claim_tests.decide(est, region, 0.05)
    low = sps.ttest_1samp(D, 0.2, alternative="greater").pvalue
    high = sps.ttest_1samp(D, 0.8, alternative="less").pvalue
    assert float(decision.p_support) == pytest.approx(max(low, high), rel=1e-10)
    assert float(decision.p_against) == pytest.approx(min(1 - low, 1 - high), rel=1e-10)
    half = sps.t.ppf(0.95, 5) * se
    assert (float(decision.ci_low), float(decision.ci_high)) == pytest.approx(
        (D.mean() - half, D.mean() + half)
    )
    assert bool(decision.supported) and not bool(decision.against)
    one_sided = claim_tests.decide(est, Region(0.6, math.inf), 0.05)  # "beats by more than 0.6": no
    assert float(one_sided.p_against) == pytest.approx(sps.ttest_1samp(D, 0.6, alternative="less").pvalue)
    assert not bool(one_sided.supported)


def test_decide_vectorised_and_degenerate():
    x = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0], [0.0, 0.1, -0.1]])
    decision = claim_tests.decide(claim_tests.single(x, 0.0), Region(-6.0, 6.0), 0.05)
    assert decision.valid.tolist() == [True, False, True]  # zero spread: no interval, never decided
    assert decision.supported.tolist() == [True, False, True]
    assert math.isnan(decision.p_support[1]) and math.isnan(decision.ci_low[1])
    empty = claim_tests.single(np.empty((0,)), 1.0)
    assert not bool(claim_tests.decide(empty, Region(-1, 1), 0.05).valid)


def test_distance_and_lean():
    region = Region(-0.5, 0.5)
    assert claim_tests.distance_to_decision(0.3, region) == pytest.approx(0.2)
    assert claim_tests.distance_to_decision(-0.9, region) == pytest.approx(0.4)
    assert claim_tests.inside(0.3, region) and not claim_tests.inside(0.9, region)
    assert claim_tests.distance_to_decision(0.1, Region(0.3, math.inf)) == pytest.approx(0.2)
    assert math.isnan(claim_tests.distance_to_decision(math.nan, region))
