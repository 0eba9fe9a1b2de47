"""core.stats against scipy/statsmodels and hand-derived numbers on fixed data, plus degenerate inputs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW, ttost_ind

from core import stats

X = [1.0, 2.0, 3.0, 4.0, 5.0]  # mean 3, s² = 2.5, n = 5
T_975_4 = 2.7764451051977987  # t_{0.975, 4}
T_95_4 = 2.1318467863266499  # t_{0.95, 4}


def test_t_quantile_constants_are_scipys():
    assert sps.t.ppf(0.975, 4) == pytest.approx(T_975_4, rel=1e-15)
    assert sps.t.ppf(0.95, 4) == pytest.approx(T_95_4, rel=1e-15)


def test_t_interval_by_formula_and_scipy():
    ci = stats.t_interval(X, 0.95)
    half = T_975_4 * math.sqrt(2.5) / math.sqrt(5)
    assert half == pytest.approx(1.9632432, abs=1e-7)
    assert (ci.low, ci.high) == pytest.approx((3 - half, 3 + half), rel=1e-14)
    low, high = sps.t.interval(0.95, 4, loc=3, scale=sps.sem(X))
    assert (ci.low, ci.high) == pytest.approx((low, high), rel=1e-14)


def test_prediction_interval_by_formula():
    pi = stats.prediction_interval(X, 0.95)
    half = T_975_4 * math.sqrt(2.5) * math.sqrt(1 + 1 / 5)
    assert half == pytest.approx(4.80894399, abs=1e-8)
    assert (pi.low, pi.high) == pytest.approx((3 - half, 3 + half), rel=1e-14)


def test_bootstrap_matches_scipy_with_the_same_seed():
    data = np.array([97.1, 97.9, 98.3, 96.2, 98.0, 97.7, 95.5, 98.1])
    for method in ("percentile", "BCa"):
        ours = stats.bootstrap_interval(data, 0.9, method=method, seed=7)
        ref = sps.bootstrap(
            (data,), np.mean, confidence_level=0.9, method=method, rng=np.random.default_rng(7)
        )
        assert (ours.low, ours.high) == (ref.confidence_interval.low, ref.confidence_interval.high)
        assert ours.low < data.mean() < ours.high
    # BCa corrects for the left skew of these runs: its interval differs from the percentile one
    assert stats.bootstrap_interval(data, method="BCa") != stats.bootstrap_interval(data, method="percentile")
    assert stats.bootstrap_interval(data, seed=3) == stats.bootstrap_interval(data, seed=3)


def test_one_sample_tost_matches_statsmodels():
    data = np.array([97.9, 98.1, 98.0, 98.3, 97.7])
    cmp = stats.tost_one_sample(data, 98.4, delta=0.5, alpha=0.05)
    p, (_, p1, df1), (_, p2, df2) = DescrStatsW(data).ttost_mean(98.4 - 0.5, 98.4 + 0.5)
    assert cmp.p_equivalence == pytest.approx(p, rel=1e-12)
    assert (cmp.p_lower, cmp.p_upper) == pytest.approx((p1, p2), rel=1e-12)
    assert cmp.df == df1 == df2 == 4
    # Δ̂ = −0.4, se = s/√n = 0.1; 90% CI = Δ̂ ± t_{0.95,4}·se
    assert cmp.estimate == pytest.approx(-0.4, abs=1e-12)
    assert cmp.se == pytest.approx(0.1, rel=1e-12)
    assert (cmp.ci.low, cmp.ci.high) == pytest.approx((-0.4 - T_95_4 * 0.1, -0.4 + T_95_4 * 0.1), rel=1e-12)
    assert cmp.statistic == pytest.approx(sps.ttest_1samp(data, 98.4).statistic, rel=1e-12)
    assert cmp.p_difference == pytest.approx(sps.ttest_1samp(data, 98.4).pvalue, rel=1e-12)
    # the CI reaches below −δ, so TOST fails at 5% (p1 = 0.187) while the difference test says p = 0.016
    assert cmp.ci.low < -0.5 and cmp.p_equivalence > 0.05
    # "beyond the margin" p-value: < α exactly when the CI lies outside ±δ
    assert cmp.p_nonequivalence == pytest.approx(sps.t.cdf((-0.4 + 0.5) / 0.1, 4), rel=1e-12)


def test_ci_bounds_and_one_sided_p_values_agree():
    data = [1.2, 0.8, 1.1, 0.9, 1.4, 1.0]
    for delta in (0.1, 0.5, 1.0, 1.5):
        cmp = stats.tost_one_sample(data, 0.0, delta=delta, alpha=0.05)
        assert (cmp.ci.low > -delta and cmp.ci.high < delta) == (cmp.p_equivalence < 0.05)
        assert (cmp.ci.low > delta or cmp.ci.high < -delta) == (cmp.p_nonequivalence < 0.05)
    cmp = stats.tost_one_sample(data, 0.0, delta=0.0, alpha=0.05)
    assert (cmp.ci.low > 0) == (cmp.p_greater < 0.05) and cmp.p_greater < 0.05
    assert cmp.p_greater == pytest.approx(sps.ttest_1samp(data, 0, alternative="greater").pvalue, rel=1e-12)
    assert cmp.p_less == pytest.approx(sps.ttest_1samp(data, 0, alternative="less").pvalue, rel=1e-12)


def test_welch_from_stats_matches_scipy():
    res = stats.welch_from_stats(93.30, 0.14, 5, 93.63, 0.06, 5)
    ref = sps.ttest_ind_from_stats(93.30, 0.14, 5, 93.63, 0.06, 5, equal_var=False)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-14)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-14)
    v1, v2 = 0.14**2 / 5, 0.06**2 / 5
    assert res.df == pytest.approx((v1 + v2) ** 2 / (v1**2 / 4 + v2**2 / 4), rel=1e-14)
    assert res.statistic == pytest.approx(-0.33 / math.sqrt(v1 + v2), rel=1e-12)


def test_welch_tost_from_stats_matches_statsmodels_on_raw_data():
    a = np.array([98.2, 97.9, 98.4, 98.0, 98.1, 98.3])
    b = np.array([97.8, 98.3, 97.6, 98.0, 97.9])
    cmp = stats.welch_tost_from_stats(
        a.mean(), a.std(ddof=1), a.size, b.mean(), b.std(ddof=1), b.size, delta=0.5, alpha=0.05
    )
    p, (_, p1, df1), (_, p2, _) = ttost_ind(a, b, -0.5, 0.5, usevar="unequal")
    assert cmp.p_equivalence == pytest.approx(p, rel=1e-10)
    assert (cmp.p_lower, cmp.p_upper) == pytest.approx((p1, p2), rel=1e-10)
    assert cmp.df == pytest.approx(df1, rel=1e-12)
    ref = sps.ttest_ind(a, b, equal_var=False)
    assert cmp.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert cmp.p_difference == pytest.approx(ref.pvalue, rel=1e-12)


def test_spread_to_std():
    assert stats.spread_to_std(0.2, "std", None) == 0.2
    assert stats.spread_to_std(0.1, "sem", 4) == pytest.approx(0.2, rel=1e-15)
    assert stats.spread_to_std(1.0, "ci95", 5) == pytest.approx(math.sqrt(5) / T_975_4, rel=1e-14)
    assert math.isnan(stats.spread_to_std(0.1, "sem", None))
    assert math.isnan(stats.spread_to_std(0.1, "ci95", 1))
    with pytest.raises(ValueError, match="unknown spread"):
        stats.spread_to_std(0.1, "iqr", 5)  # type: ignore[arg-type]


def test_paired_t_matches_ttest_rel():
    a = [98.5, 98.7, 98.2, 98.9, 98.6]
    b = [98.0, 98.1, 98.3, 98.2, 98.1]
    res = stats.paired_t(a, b)
    ref = sps.ttest_rel(a, b)
    assert (res.statistic, res.p_value, res.df) == pytest.approx((ref.statistic, ref.pvalue, 4), rel=1e-12)


def test_sign_flip_exact_p_by_hand():
    # |d| = (1, 2, 0.5, 3), Σ|d| = 6.5 and the observed sum is 5.5 (only 0.5 negative). Flipping a subset
    # S of magnitudes gives 6.5 − 2·ΣS: ≥ 5.5 for S ∈ {∅, {0.5}}, ≤ −5.5 for S ∈ {{1,2,3}, all}: 4 of 16.
    d = [1.0, 2.0, -0.5, 3.0]
    assert stats.sign_flip_test(d) == 4 / 16
    assert stats.sign_flip_test(d, alternative="greater") == 2 / 16
    assert stats.sign_flip_test(d, alternative="less") == 15 / 16
    # brute force, independent of the implementation
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= 5.5
        for signs in itertools.product((1, -1), repeat=4)
    )
    assert hits == 4


def test_sign_flip_matches_scipy_permutation_test():
    d = np.array([0.5, 1.2, -0.3, 0.8, 0.6, 0.1, -0.2])
    ref = sps.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=10**6)
    assert stats.sign_flip_test(d) == pytest.approx(ref.pvalue, rel=1e-12)
    ref = sps.permutation_test((d,), np.mean, permutation_type="samples", alternative="greater")
    assert stats.sign_flip_test(d, alternative="greater") == pytest.approx(ref.pvalue, rel=1e-12)


def test_sign_flip_monte_carlo_beyond_16():
    d = np.linspace(-0.5, 1.5, 20)
    p = stats.sign_flip_test(d, n_resamples=4000, seed=1)
    assert p == stats.sign_flip_test(d, n_resamples=4000, seed=1)
    assert 1 / 4001 <= p < 0.01  # (1 + hits)/(1 + B) is never 0
    assert stats.sign_flip_test([0.0, 0.0, 0.0]) == 1.0
    assert math.isnan(stats.sign_flip_test([]))


def test_probability_of_improvement_by_hand_and_mann_whitney():
    a, b = [1.0, 2.0, 3.0], [2.0, 2.0, 0.0]
    # 1 beats 0; 2 ties 2 twice (½ each) and beats 0; 3 beats all: (1 + 2 + 3) / 9
    assert stats.probability_of_improvement(a, b) == pytest.approx(6 / 9, rel=1e-15)
    assert stats.probability_of_improvement(a, b) == pytest.approx(sps.mannwhitneyu(a, b).statistic / 9)
    assert stats.probability_of_improvement(b, a) == pytest.approx(3 / 9)
    assert math.isnan(stats.probability_of_improvement([], b))


def test_probability_of_improvement_interval():
    a = [98.4, 98.6, 98.1, 98.7, 98.3]
    b = [98.0, 98.5, 97.9, 98.2, 98.1]
    ci = stats.probability_of_improvement_interval(a, b, 0.95, seed=0)
    assert 0 <= ci.low <= stats.probability_of_improvement(a, b) <= ci.high <= 1
    ref = sps.bootstrap(
        (np.array(a), np.array(b)),
        lambda x, y: stats.probability_of_improvement(x, y),
        method="percentile",
        vectorized=False,
        rng=np.random.default_rng(0),
    )
    assert (ci.low, ci.high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))
    assert not stats.probability_of_improvement_interval([1.0], b).finite


def test_holm_by_hand_and_statsmodels():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 → max(0.06, 0.04) = 0.06
    assert stats.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=1e-14)
    assert stats.holm(p) == pytest.approx(multipletests(p, method="holm")[1], rel=1e-14)
    with_nan = stats.holm([0.01, math.nan, 0.04, 0.5])
    assert math.isnan(with_nan[1])
    assert with_nan[[0, 2, 3]] == pytest.approx(multipletests([0.01, 0.04, 0.5], method="holm")[1])
    assert stats.holm([0.9, 0.8]).tolist() == [1.0, 1.0]  # 0.8·2 capped at 1; monotone step-down
    assert stats.holm([0.9, 0.01]).tolist() == [0.9, 0.02]
    assert np.isnan(stats.holm([math.nan])).all()


def test_coefficient_of_variation():
    assert stats.coefficient_of_variation(X) == pytest.approx(math.sqrt(2.5) / 3, rel=1e-15)
    assert math.isnan(stats.coefficient_of_variation([1.0]))
    assert math.isnan(stats.coefficient_of_variation([-1.0, 1.0]))


def test_percentile_of_value():
    runs = [1.0, 2.0, 3.0, 4.0]
    assert stats.percentile_of_value(runs, 2.5) == 50.0
    assert stats.percentile_of_value(runs, 2.0) == 37.5  # (25 strictly below + 50 at or below) / 2
    assert stats.percentile_of_value(runs, 9.0) == 100.0
    assert math.isnan(stats.percentile_of_value([], 1.0))


def _brute_seeds(std: float, distance: float, alpha: float, n_min: int) -> int:
    n = max(2, n_min)
    while sps.t.ppf(1 - alpha, n - 1) * std / math.sqrt(n) >= distance:
        n += 1
    return n


def test_seeds_needed_formula():
    # t_{0.95,3}/√4 = 1.18 ≥ 1, t_{0.95,4}/√5 = 0.953 < 1
    assert stats.seeds_needed(1.0, 1.0, alpha=0.05) == 5
    assert stats.seeds_needed(1.0, 1.0, alpha=0.05, n_min=8) == 8
    for std, distance in ((0.79, 0.2), (0.3, 0.05), (1.2, 0.9)):
        assert stats.seeds_needed(std, distance, alpha=0.05) == _brute_seeds(std, distance, 0.05, 2)


def test_seeds_needed_cannot_beat_the_papers_own_spread():
    # the reported mean's own se (0.3/√5 = 0.134, times t ≥ 1.645) exceeds the distance: never decidable
    assert stats.seeds_needed(0.3, 0.2, other_std=0.3, other_n=5) is None
    n = stats.seeds_needed(0.3, 0.5, other_std=0.3, other_n=5)
    assert n is not None
    df = stats.welch_df(0.3, n, 0.3, 5)
    assert sps.t.ppf(0.95, df) * math.sqrt(0.09 / n + 0.09 / 5) < 0.5
    df = stats.welch_df(0.3, n - 1, 0.3, 5)
    assert sps.t.ppf(0.95, df) * math.sqrt(0.09 / (n - 1) + 0.09 / 5) >= 0.5


def test_seeds_needed_scans_a_u_shaped_half_width():
    """With a Welch second sample of m = 3 runs, ν(n) falls towards m − 1 as n grows, so the half-width
    first shrinks and then grows again: bisection on [n_min, n_max] found nothing; the scan finds 4."""
    h = [sps.t.ppf(0.95, stats.welch_df(1, n, 1, 3)) * math.sqrt(1 / n + 1 / 3) for n in range(2, 12)]
    assert h[2] < 1.6 < h[0] and min(h) == h[6]  # n = 4 fits; the minimum is at n = 8; then it rises
    assert stats.seeds_needed(1, 1.6, other_std=1, other_n=3) == 4
    assert stats.seeds_needed(1, 1.6, other_std=1, other_n=3, n_min=5) == 5
    assert stats.seeds_needed(1, 1.4, other_std=1, other_n=3) is None  # below min h = 1.486
    assert stats.best_half_width(1, alpha=0.05, other_std=1, other_n=3) == pytest.approx(min(h), rel=1e-12)


def test_seeds_needed_for_a_single_reported_number():
    """One reported draw: h(n) = t_{n−1}·s·√(1/n + 1), which never falls below z·s (the floor)."""
    s = 0.1

    def first(distance: float) -> int:
        return next(
            n for n in range(2, 10_000) if sps.t.ppf(0.95, n - 1) * s * math.sqrt(1 / n + 1) < distance
        )

    for distance in (0.3, 0.2, 0.17):
        assert stats.seeds_needed(s, distance, reference_variance=1.0) == first(distance)
    floor = sps.norm.ppf(0.95) * s
    assert stats.best_half_width(s, alpha=0.05, reference_variance=1.0) == pytest.approx(floor, rel=1e-3)
    assert stats.best_half_width(s, alpha=0.05, reference_variance=1.0) > floor
    assert stats.seeds_needed(s, floor, reference_variance=1.0) is None
    assert math.isnan(stats.best_half_width(0.0, alpha=0.05))


def test_half_width_curve_matches_the_formulas():
    ns = np.array([3, 10, 40])
    plain = stats.half_width_curve(0.5, ns, alpha=0.05)
    assert plain == pytest.approx(sps.t.ppf(0.95, ns - 1) * 0.5 / np.sqrt(ns), rel=1e-12)
    drawn = stats.half_width_curve(0.5, ns, alpha=0.05, reference_variance=0.25)
    assert drawn == pytest.approx(sps.t.ppf(0.95, ns - 1) * 0.5 * np.sqrt(1 / ns + 0.25), rel=1e-12)


def test_clip_interval():
    assert stats.clip_interval(stats.Interval(99.0, 100.7), 0, 100) == (stats.Interval(99.0, 100.0), True)
    assert stats.clip_interval(stats.Interval(-0.2, 0.5), 0, 100) == (stats.Interval(0.0, 0.5), True)
    assert stats.clip_interval(stats.Interval(1.0, 2.0), 0, 100) == (stats.Interval(1.0, 2.0), False)
    nan = stats.clip_interval(stats.NAN_INTERVAL, 0, 100)
    assert not nan[0].finite and nan[1] is False


def test_midrange_variance_by_simulation_and_known_values():
    assert stats.midrange_variance(1) == 1.0 and stats.midrange_variance(2) == 0.5  # the mean of two
    rng = np.random.default_rng(4)
    for m in (3, 5, 10):
        x = rng.standard_normal((400_000, m))
        simulated = ((x.min(axis=1) + x.max(axis=1)) / 2).var()
        assert stats.midrange_variance(m) == pytest.approx(simulated, rel=0.01)
    # numerical integration of the order-statistic densities, cross-checked with scipy's dblquad once
    assert stats.midrange_variance(5) == pytest.approx(0.2608746687870912, abs=1e-6)
    assert stats.midrange_variance(3) == pytest.approx(0.3621677761445527, abs=1e-5)
    assert 1 / 10 < stats.midrange_variance(10) < 1 / 2  # noisier than a mean, less than two runs
    assert math.isnan(stats.midrange_variance(0))


def test_benjamini_hochberg_by_hand_and_statsmodels():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005·4/1 = 0.02, 0.01·4/2 = 0.02, 0.03·4/3 = 0.04, 0.04·4/4 = 0.04; step-up minimum
    assert stats.benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02], rel=1e-14)
    assert stats.benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1], rel=1e-14)
    with_nan = stats.benjamini_hochberg([0.2, math.nan, 0.01])
    assert math.isnan(with_nan[1]) and with_nan[[0, 2]] == pytest.approx([0.2, 0.02])
    assert np.isnan(stats.benjamini_hochberg([math.nan])).all()
    rng = np.random.default_rng(0)
    many = rng.uniform(size=200)
    assert stats.benjamini_hochberg(many) == pytest.approx(multipletests(many, method="fdr_bh")[1])


def test_moved_functions_are_still_reachable_from_stats():
    from core import multiplicity, resampling

    assert stats.holm is multiplicity.holm and stats.sign_flip_test is resampling.sign_flip_test
    with pytest.raises(AttributeError):
        stats.no_such_function  # noqa: B018


def test_seeds_needed_degenerate():
    assert stats.seeds_needed(math.nan, 1.0) is None
    assert stats.seeds_needed(0.0, 1.0) is None
    assert stats.seeds_needed(1.0, 0.0) is None
    assert stats.seeds_needed(1.0, 1e-6, n_max=100) is None


@pytest.mark.parametrize("data", [[98.0], [98.0, 98.0, 98.0], [], [math.nan, 97.0]])
def test_degenerate_inputs_give_nan_not_errors(data):
    assert not stats.t_interval(data).finite
    assert not stats.prediction_interval(data).finite
    assert not stats.bootstrap_interval(data).finite
    cmp = stats.tost_one_sample(data, 98.0, delta=0.5)
    assert not cmp.valid and math.isnan(cmp.p_equivalence) and math.isnan(cmp.p_nonequivalence)
    assert math.isnan(cmp.p_greater)
    assert math.isnan(stats.paired_t(data, data).p_value)


def test_degenerate_welch():
    assert math.isnan(stats.welch_from_stats(98.0, 0.1, 1, 97.0, 0.1, 5).p_value)
    assert math.isnan(stats.welch_from_stats(98.0, 0.0, 5, 97.0, 0.0, 5).p_value)
    assert not stats.welch_tost_from_stats(98.0, 0.0, 5, 97.0, 0.0, 5, delta=0.5).valid
    assert not stats.welch_tost_from_stats(98.0, math.nan, 1, 97.0, 0.1, 5, delta=0.5).valid


def test_mean_std_drops_missing_runs():
    assert stats.mean_std([1.0, math.nan, 3.0]) == (2.0, math.sqrt(2.0), 2)
    mean, std, n = stats.mean_std([])
    assert math.isnan(mean) and math.isnan(std) and n == 0
