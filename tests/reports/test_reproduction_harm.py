"""Per-class harm: paired changes, intervals inside the metric's bounds, BH-controlled "harmed" flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from reports.reproduction.figures import per_class_changes
from reports.reproduction.harm import class_changes, harm_flags, harm_rule
from reports.reproduction.summary import per_class_harm

#: per seed, (dense, pruned) accuracy of classes 0–3 at one pruned condition
CLASSES = {
    0: [(96.0, 80.0), (95.0, 81.0), (97.0, 79.0), (96.0, 82.0)],  # clearly harmed
    1: [(96.0, 95.0), (95.0, 94.2), (97.0, 95.5), (96.0, 94.6)],  # about 1 point: p ≈ 0.002
    2: [(100.0, 100.0), (100.0, 98.0), (100.0, 100.0), (100.0, 99.0)],  # dense perfect on few digits
    3: [(96.0, 97.0), (95.0, 94.0), (97.0, 98.0), (96.0, 95.0)],  # noise around 0
}


def per_class_table() -> pd.DataFrame:
    rows = []
    for cls, pairs in CLASSES.items():
        for seed, (dense, pruned) in enumerate(pairs):
            for arm, target, acc in (("dense", 0.0, dense), ("snip", 0.9, pruned)):
                rows.append(
                    {"seed": seed, "arm": arm, "model": "m", "target_sparsity": target, "round": 0,
                     "class": cls, "accuracy": acc, "n": 50}
                )  # fmt: skip
    return pd.DataFrame(rows)


def diffs(cls: int) -> np.ndarray:
    return np.array([p - d for d, p in CLASSES[cls]])


def test_changes_p_values_and_bh_flags():
    changes = class_changes(per_class_table()).set_index("class")
    p = [sps.ttest_1samp(diffs(c), 0.0, alternative="less").pvalue for c in CLASSES]
    assert changes["p_harm"].tolist() == pytest.approx(p, rel=1e-10)
    assert changes["q_harm"].tolist() == pytest.approx(multipletests(p, method="fdr_bh")[1], rel=1e-10)
    assert changes["harmed"].tolist() == [True, True, False, False]
    d = diffs(0)
    half = sps.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert (changes.loc[0, "ci_low"], changes.loc[0, "ci_high"]) == pytest.approx(
        (d.mean() - half, d.mean() + half)
    )
    assert changes.loc[0, "dense"] == pytest.approx(96.0)


def test_interval_of_a_change_cannot_leave_what_accuracy_allows():
    """Class 2 is perfect when dense, so pruning can only lower it: the upper bound is cut at 0."""
    changes = class_changes(per_class_table()).set_index("class")
    d = diffs(2)
    raw_high = d.mean() + sps.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert raw_high > 0
    assert changes.loc[2, "ci_high"] == 0.0 and bool(changes.loc[2, "ci_clipped"])
    assert not changes.loc[[0, 1, 3], "ci_clipped"].any()


def test_flags_from_figures_changes_match():
    """harm_flags recovers the standard error from per_class_changes' 95% t interval exactly."""
    ours = class_changes(per_class_table())
    theirs = harm_flags(per_class_changes(per_class_table()))
    assert theirs["p_harm"].tolist() == pytest.approx(ours["p_harm"].tolist(), rel=1e-9)
    assert theirs["harmed"].tolist() == ours["harmed"].tolist()


def test_summary_counts_bh_flags_not_raw_intervals():
    """Ten classes over 6 seeds: one clearly harmed, one whose 95% interval ends just below 0 (one-sided
    p = 0.0155), eight unharmed. The raw rule counts two; BH across the ten (q = 0.0155·10/2 = 0.077)
    counts one."""
    changes_by_class = {
        0: [-10.0, -9.0, -11.0, -10.0, -10.5, -9.5],
        1: [-1.0, -0.2, -1.2, 0.1, -0.8, -0.5],
    }
    noise = [0.3, -0.3, 0.2, -0.2, 0.1, -0.1]
    rows = []
    for cls in range(10):
        for seed, change in enumerate(changes_by_class.get(cls, noise)):
            for arm, target, acc in (("dense", 0.0, 95.0), ("snip", 0.9, 95.0 + change)):
                rows.append(
                    {"seed": seed, "arm": arm, "model": "m", "target_sparsity": target, "round": 0,
                     "class": cls, "accuracy": acc}
                )  # fmt: skip
    changes = class_changes(pd.DataFrame(rows))
    assert changes.loc[changes["class"] == 1, "p_harm"].item() == pytest.approx(0.015483463825660584)
    raw = int((changes["ci_high"] < 0).sum())
    harm = per_class_harm(changes)[0]
    assert raw == 2 and harm["n_classes_hurt"] == 1 == int(changes["harmed"].sum())
    assert "Benjamini–Hochberg" in harm["harm_rule"] and "all 10" in harm["harm_rule"]
    assert harm_rule(changes) == harm["harm_rule"]


def test_no_per_class_rows():
    assert class_changes(pd.DataFrame()).empty
    assert per_class_harm(pd.DataFrame()) == []
