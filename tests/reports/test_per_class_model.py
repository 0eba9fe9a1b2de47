"""The per-class OLS: exact coefficients and cluster-robust errors on an example, coverage of its
intervals by simulation, how arms map to method and treatment, and the report section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.reproduction import per_class_model as pcm


@pytest.mark.parametrize(
    ("arm", "expected"),
    [
        ("imp", ("imp", "rewind")),
        ("random_reinit", ("imp", "reinit")),
        ("snip", ("snip", "rewind")),
        ("random", ("random", "rewind")),
        ("grasp_shuffled", ("grasp (shuffled)", "rewind")),
        ("synflow_inverted", ("synflow (inverted)", "rewind")),
        ("magnitude_reinit", ("magnitude", "reinit")),
        ("snip_finetuned", ("snip", "finetune")),
    ],
)
def test_arms_map_to_method_and_weight_treatment(arm: str, expected: tuple[str, str]) -> None:
    assert pcm.arm_factors(arm) == expected


def _per_class(rng: np.random.Generator, seeds: int, beta: dict[str, float], noise: float, seed_sd: float):
    """per_class.csv and class_facts.csv rows whose change follows the model exactly plus noise."""
    rows, facts = [], []
    for seed in range(seeds):
        shift = rng.normal(0, seed_sd)  # a seed-level effect: what clustering is for
        share = rng.dirichlet(np.full(10, 30.0))
        entropy = rng.uniform(0.05, 0.6, 10)
        dense = rng.uniform(90, 99.5, 10)
        for cls in range(10):
            facts.append(
                {"seed": seed, "model": "m", "class": cls, "train_share": share[cls],
                 "difficulty_entropy": entropy[cls]}
            )  # fmt: skip
            rows.append({"seed": seed, "model": "m", "arm": "dense", "sparsity": 0.0, "class": cls,
                         "accuracy": dense[cls]})  # fmt: skip
            for arm, sparsity in (("snip", 0.9), ("snip", 0.98), ("random_reinit", 0.9), ("imp", 0.98)):
                method_effect = beta["random_reinit"] if arm == "random_reinit" else 0.0
                method_effect += beta["imp"] if arm in ("imp", "random_reinit") else 0.0
                change = (
                    beta["Intercept"]
                    + beta["dense_accuracy"] * dense[cls]
                    + beta["train_share"] * 100 * share[cls]
                    + beta["difficulty"] * entropy[cls]
                    + beta["sparsity"] * 100 * sparsity
                    + method_effect
                    + shift
                    + rng.normal(0, noise)
                )
                rows.append({"seed": seed, "model": "m", "arm": arm, "sparsity": sparsity, "class": cls,
                             "accuracy": dense[cls] + change})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(facts)


BETA = {
    "Intercept": 20.0,
    "dense_accuracy": -0.2,
    "train_share": 0.3,
    "difficulty": -4.0,
    "sparsity": -0.15,
    "imp": 0.5,  # method imp vs snip
    "random_reinit": -1.0,  # treatment reinit vs rewind
}
TERMS = {
    "Intercept": "Intercept",
    "dense_accuracy": "dense_accuracy",
    "train_share": "train_share",
    "difficulty": "difficulty",
    "sparsity": "sparsity",
    "imp": "C(method, Treatment(reference='imp'))[T.snip]",
    "random_reinit": "C(treatment, Treatment(reference='rewind'))[T.reinit]",
}


def test_coefficients_and_cluster_errors_equal_the_textbook_formulas() -> None:
    per_class, facts = _per_class(np.random.default_rng(1), 6, BETA, noise=0.5, seed_sd=0.3)
    frame = pcm.design(per_class, facts)
    assert len(frame) == 6 * 10 * 4 and frame["change"].notna().all()
    table, notes = pcm.fit(frame)
    x = np.column_stack(
        [
            np.ones(len(frame)),
            (frame["method"] == "snip").astype(float),
            (frame["treatment"] == "reinit").astype(float),
            frame["dense_accuracy"],
            frame["train_share"],
            frame["difficulty"],
            frame["sparsity"],
        ]
    )
    y = frame["change"].to_numpy()
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    bread = np.linalg.inv(x.T @ x)
    groups = frame["seed"].to_numpy()
    meat = sum(
        np.outer(x[groups == g].T @ resid[groups == g], x[groups == g].T @ resid[groups == g])
        for g in range(6)
    )
    n, k, g = len(y), x.shape[1], 6
    cov = g / (g - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    by_term = table.set_index("term")
    order = ["Intercept", TERMS["imp"], TERMS["random_reinit"], "dense_accuracy", "train_share", "difficulty",
             "sparsity"]  # fmt: skip
    assert np.allclose(by_term.loc[order, "coef"], coef, rtol=1e-9, atol=1e-9)
    assert np.allclose(by_term.loc[order, "std_err"], np.sqrt(np.diag(cov)), rtol=1e-9)
    assert (
        set(by_term["df"]) == {5.0} and set(by_term["n_clusters"]) == {6} and set(by_term["n_obs"]) == {240}
    )
    from scipy import stats

    t = by_term.loc["sparsity", "coef"] / by_term.loc["sparsity", "std_err"]
    assert by_term.loc["sparsity", "p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 5))
    half = stats.t.ppf(0.975, 5) * by_term.loc["sparsity", "std_err"]
    assert by_term.loc["sparsity", "ci_high"] == pytest.approx(by_term.loc["sparsity", "coef"] + half)
    assert "6 seeds (clusters): cluster-robust errors are rough with few clusters" in notes


@pytest.mark.slow
def test_intervals_cover_the_true_coefficients_at_their_level() -> None:
    """100 simulated runs of 12 seeds with seed-level effects: each 95% interval covers its true value
    in 95% of runs (binomial 99.9% band for 100 runs: 0.87-1.0)."""
    rng = np.random.default_rng(7)
    hits = {name: 0 for name in BETA}
    runs = 100
    for _ in range(runs):
        per_class, facts = _per_class(rng, 12, BETA, noise=0.8, seed_sd=0.6)
        table, _ = pcm.fit(pcm.design(per_class, facts))
        by_term = table.set_index("term")
        for name, term in TERMS.items():
            truth = -BETA["imp"] if name == "imp" else BETA[name]  # snip relative to imp
            if name == "Intercept":
                truth = BETA["Intercept"] + BETA["imp"]  # the reference levels: imp, rewind
            hits[name] += by_term.loc[term, "ci_low"] <= truth <= by_term.loc[term, "ci_high"]
    coverage = {name: hits[name] / runs for name in BETA}
    assert all(0.87 <= c <= 1.0 for c in coverage.values()), coverage


def test_constant_or_missing_regressors_are_left_out_with_a_note(tmp_path) -> None:
    per_class, _ = _per_class(np.random.default_rng(2), 3, BETA, noise=0.5, seed_sd=0.1)
    only_snip = per_class[per_class["arm"].isin(["dense", "snip"]) & per_class["sparsity"].isin([0.0, 0.9])]
    result = pcm.analyse(only_snip, tmp_path)  # no class_facts.csv in the folder
    assert [t["term"] for t in result["terms"]] == ["Intercept", "dense_accuracy"]
    assert result["notes"][:5] == [
        "class_facts.csv is missing: class shares and difficulty are not in the model",
        "class share of training data (%): not recorded, left out",
        "class difficulty (entropy, nats): not recorded, left out",
        "sparsity (%): the same for every row, left out",
        "method: only 'snip', left out",
    ]
    written = pd.read_csv(tmp_path / "per_class_model.csv")
    assert list(written.columns) == list(pcm.COLUMNS) and list(written["term"]) == [
        "Intercept",
        "dense_accuracy",
    ]
    one_seed = only_snip[only_snip["seed"] == 0]
    result = pcm.analyse(one_seed, tmp_path)
    assert result["terms"] == [] and "fewer than two seeds: no cluster-robust errors" in result["notes"]
    assert not (tmp_path / "per_class_model.csv").exists()  # no stale table from the earlier fit


def test_a_malformed_facts_file_is_named_and_skipped(tmp_path) -> None:
    (tmp_path / "class_facts.csv").write_text("seed,model,class\n0,m,0\n")
    facts, why = pcm.read_facts(tmp_path)
    assert facts is None and why == "class_facts.csv lacks difficulty_entropy, train_share; left out"


def test_a_model_whose_dense_network_diverged_drops_out_of_the_fit() -> None:
    """A dense network with NaN outputs has no finite difficulty: its rows are dropped and its model
    level goes with them (no coefficient for a level without rows)."""
    per_class, facts = _per_class(np.random.default_rng(3), 4, BETA, noise=0.5, seed_sd=0.1)
    other = per_class.assign(model="lenet5_caffe")
    broken = facts.assign(model="lenet5_caffe", difficulty_entropy=np.nan)
    table, notes = pcm.fit(pcm.design(pd.concat([per_class, other]), pd.concat([facts, broken])))
    assert not any("model" in term for term in table["term"])
    assert set(table["n_obs"]) == {4 * 10 * 4}
    assert f"{4 * 10 * 4} rows without a finite change or regressor dropped" in notes
