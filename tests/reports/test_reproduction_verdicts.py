"""Verdicts on synthetic runs tables built so that every verdict path occurs, with exact numbers.

The expected numbers are recomputed here from the formulas (scipy's t quantiles, statsmodels' TOST),
independently of core.stats, and the verdicts are spelled out.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW

from core.claims import Claim, ClaimSet
from core.schemas import SchemaError
from reports.reproduction.inputs import read_inputs
from reports.reproduction.verdicts import COLUMNS, judge_claims, overall, select_rows

SEEDS = [0, 1, 2, 3, 4]
DENSE = [98.0, 98.2, 98.4, 98.2, 98.2]  # mean 98.2, s² = 0.02
IMP = [d + x for d, x in zip(DENSE, [0.5, 0.6, 0.4, 0.7, 0.5], strict=True)]
REINIT = [i - x for i, x in zip(IMP, [1.0, 1.2, 0.9, 1.1, 1.0], strict=True)]
SNIP90 = [d + x for d, x in zip(DENSE, [0.05, -0.05, 0.0, 0.1, -0.1], strict=True)]
SNIP98 = [96.0, 96.2, 96.1, 95.9, 96.3]  # mean 96.1, s² = 0.025
NOISY = [97.0, 98.5, 96.5, 98.0, 97.5]  # mean 97.5, s² = 0.625
ARMS = {
    ("dense", 0.0): DENSE,
    ("imp", 0.8): IMP,
    ("random_reinit", 0.8): REINIT,
    ("snip", 0.9): SNIP90,
    ("snip", 0.98): SNIP98,
    ("noisy", 0.5): NOISY,
}


def runs_table(arms: dict[tuple[str, float], list[float]] = ARMS, protocol: str = "paper") -> pd.DataFrame:
    rows = []
    for (arm, target), values in arms.items():
        for seed, acc in zip(SEEDS, values, strict=False):
            rows.append(
                {
                    "paper_id": "TEST",
                    "protocol": protocol,
                    "seed": seed,
                    "arm": arm,
                    "model": "lenet_300_100",
                    "dataset": "mnist",
                    "target_sparsity": target,
                    "sparsity": target + 1e-5 if target else 0.0,
                    "round": 0,
                    "test_accuracy": acc,
                    "test_loss": 0.07,
                    "val_loss": 0.08,
                    "early_stop_iteration": 900,
                    "iterations": 1000,
                    "wall_s": 10.0,
                    "device": "cpu",
                    "state_hash": f"{arm}-{target}-{seed}-0123456789abcdef",
                }
            )
    return pd.DataFrame(rows)


def arm(name: str, target: float) -> dict:
    return {"arm": name, "target_sparsity": target}


CLAIMS = (
    Claim("dense-ref", "dense reaches 98.3", "single", arm("dense", 0.0), reported=98.3),
    Claim("snip98-single", "SNIP 98% reaches 97.6", "single", arm("snip", 0.98), reported=97.6),
    Claim("noisy-single", "noisy arm reaches 97.8", "single", arm("noisy", 0.5), reported=97.8),
    Claim("quick-only", "only for quick", "single", arm("dense", 0.0), reported=90.0, protocols=("quick",)),
    Claim(
        "snip98-mean-std",
        "SNIP 98% 96.0 ± 0.2",
        "mean_std",
        arm("snip", 0.98),
        reported=96.0,
        reported_std=0.2,
        reported_n=5,
        reported_spread="std",
    ),
    Claim(
        "dense-range",
        "dense in [97.9, 98.5]",
        "min_max",
        arm("dense", 0.0),
        reported_min=97.9,
        reported_max=98.5,
    ),
    Claim(
        "snip98-range",
        "SNIP 98% in [97.0, 97.8]",
        "min_max",
        arm("snip", 0.98),
        reported_min=97.0,
        reported_max=97.8,
        reported_n=10,
    ),
    Claim(
        "imp-beats-reinit",
        "ticket beats reinit",
        "relation",
        arm("imp", 0.8),
        baseline=arm("random_reinit", 0.8),
        direction="greater",
    ),
    Claim(
        "reinit-beats-imp",
        "reinit beats ticket",
        "relation",
        arm("random_reinit", 0.8),
        baseline=arm("imp", 0.8),
        direction="greater",
    ),
    Claim(
        "snip90-equiv-dense",
        "SNIP 90% ≈ dense",
        "relation",
        arm("snip", 0.9),
        baseline=arm("dense", 0.0),
        direction="equivalent",
    ),
    Claim(
        "noisy-beats-dense",
        "noisy beats dense",
        "relation",
        arm("noisy", 0.5),
        baseline=arm("dense", 0.0),
        direction="greater",
    ),
    Claim("figure-read", "read off a figure", "figure", arm("snip", 0.9), reported=98.0, delta=0.6),
)

EXPECTED = {
    "dense-ref": "reproduced",
    "snip98-single": "not_reproduced",
    "noisy-single": "inconclusive",
    "quick-only": "not_applicable",
    "snip98-mean-std": "reproduced",
    "dense-range": "reproduced",
    "snip98-range": "not_reproduced",
    "imp-beats-reinit": "reproduced",
    "reinit-beats-imp": "not_reproduced",
    "snip90-equiv-dense": "reproduced",
    "noisy-beats-dense": "inconclusive",
    "figure-read": "reproduced",
}


@pytest.fixture(scope="module")
def verdicts() -> pd.DataFrame:
    return judge_claims(CLAIMS, runs_table(), "paper").set_index("claim_id")


def test_every_verdict_path(verdicts):
    assert verdicts["verdict"].to_dict() == EXPECTED
    assert list(verdicts.reset_index().columns) == COLUMNS


def test_single_reproduced_numbers(verdicts):
    r = verdicts.loc["dense-ref"]
    s = math.sqrt(0.02)
    assert (r["n"], r["mean"], r["std"]) == (5, pytest.approx(98.2, abs=1e-12), pytest.approx(s, rel=1e-10))
    half = sps.t.ppf(0.95, 4) * s / math.sqrt(5)  # 1 − 2α = 90% CI of Δ = x̄ − reported
    assert r["mean_diff"] == pytest.approx(-0.1, abs=1e-12)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-0.1 - half, -0.1 + half), rel=1e-10)
    assert r["ci_low"] > -0.5 and r["ci_high"] < 0.5
    p_tost = DescrStatsW(np.array(DENSE)).ttost_mean(98.3 - 0.5, 98.3 + 0.5)[0]
    assert r["p_equivalence"] == pytest.approx(p_tost, rel=1e-10)
    pi = sps.t.ppf(0.975, 4) * s * math.sqrt(1 + 1 / 5)
    assert (r["pi_low"], r["pi_high"]) == pytest.approx((98.2 - pi, 98.2 + pi), rel=1e-12)
    assert r["percentile_of_reported"] == 80.0  # 98.3 is above 4 of the 5 runs
    assert r["cv"] == pytest.approx(s / 98.2, rel=1e-10)
    assert r["statistic"] == pytest.approx(sps.ttest_1samp(DENSE, 98.3).statistic, rel=1e-10)
    assert pd.isna(r["seeds_needed"])


def test_single_not_reproduced_numbers(verdicts):
    r = verdicts.loc["snip98-single"]
    se = math.sqrt(0.025 / 5)
    assert r["mean_diff"] == pytest.approx(-1.5, abs=1e-12)
    assert r["ci_high"] == pytest.approx(-1.5 + sps.t.ppf(0.95, 4) * se, rel=1e-10)
    assert r["ci_high"] < -0.5
    assert r["p_value"] == pytest.approx(sps.t.cdf((-1.5 + 0.5) / se, 4), rel=1e-8)


def test_single_inconclusive_says_how_many_seeds(verdicts):
    r = verdicts.loc["noisy-single"]
    s = math.sqrt(0.625)
    assert r["mean_diff"] == pytest.approx(-0.3, abs=1e-12)
    assert r["ci_low"] < -0.5 < r["ci_high"]
    # distance to the nearer boundary: δ − |Δ̂| = 0.2, leaning to "reproduced" (level α, no Holm);
    # first n with t_{0.95,n−1}·s/√n < 0.2
    n = 6
    while sps.t.ppf(0.95, n - 1) * s / math.sqrt(n) >= 0.2:
        n += 1
    assert r["seeds_needed"] == n == 45


def test_not_applicable_is_shown_but_never_judged(verdicts):
    r = verdicts.loc["quick-only"]
    assert not r["protocol_applicable"]
    assert r["mean"] == pytest.approx(98.2)  # numbers still shown
    assert pd.isna(r["p_value_holm"]) and pd.isna(r["seeds_needed"])
    assert "not 'paper'" in r["note"]


def test_mean_std_uses_welch_from_summary_stats(verdicts):
    r = verdicts.loc["snip98-mean-std"]
    ref = sps.ttest_ind_from_stats(96.1, math.sqrt(0.025), 5, 96.0, 0.2, 5, equal_var=False)
    assert r["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    assert r["p_difference"] == pytest.approx(ref.pvalue, rel=1e-9)
    v1, v2 = 0.025 / 5, 0.04 / 5
    df = (v1 + v2) ** 2 / (v1**2 / 4 + v2**2 / 4)
    half = sps.t.ppf(0.95, df) * math.sqrt(v1 + v2)
    assert r["df"] == pytest.approx(df, rel=1e-10)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.1 - half, 0.1 + half), rel=1e-9)


def test_mean_std_converts_sem_and_ci95():
    runs = runs_table()
    sem = Claim(
        "c",
        "",
        "mean_std",
        arm("snip", 0.98),
        reported=96.0,
        reported_std=0.1,
        reported_n=4,
        reported_spread="sem",
    )
    ci = Claim(
        "d",
        "",
        "mean_std",
        arm("snip", 0.98),
        reported=96.0,
        reported_std=0.3,
        reported_n=6,
        reported_spread="ci95",
    )
    out = judge_claims((sem, ci), runs, "paper").set_index("claim_id")
    s_sem = 0.1 * 2
    ref = sps.ttest_ind_from_stats(96.1, math.sqrt(0.025), 5, 96.0, s_sem, 4, equal_var=False)
    assert out.loc["c", "statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    s_ci = 0.3 * math.sqrt(6) / sps.t.ppf(0.975, 5)
    ref = sps.ttest_ind_from_stats(96.1, math.sqrt(0.025), 5, 96.0, s_ci, 6, equal_var=False)
    assert out.loc["d", "statistic"] == pytest.approx(ref.statistic, rel=1e-9)


def test_min_max_ranges(verdicts):
    inside = verdicts.loc["dense-range"]
    assert (inside["min"], inside["max"]) == (98.0, 98.4)
    assert inside["p_value"] == 1.0  # ranges overlap: no evidence against
    apart = verdicts.loc["snip98-range"]
    assert apart["max"] == pytest.approx(96.3) and apart["max"] + 0.5 < 97.0
    assert apart["p_value"] == pytest.approx(2 / math.comb(15, 5), rel=1e-15)  # n = 5 runs, m = 10
    assert pd.isna(apart["std"]) is False and pd.isna(apart["ci_low"])  # a range is never turned into a CI


def test_relation_paired_by_seed(verdicts):
    r = verdicts.loc["imp-beats-reinit"]
    d = np.array([1.0, 1.2, 0.9, 1.1, 1.0])
    assert r["mean_diff"] == pytest.approx(d.mean(), rel=1e-10)
    half = sps.t.ppf(0.95, 4) * d.std(ddof=1) / math.sqrt(5)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-9)
    assert r["statistic"] == pytest.approx(sps.ttest_rel(IMP, REINIT).statistic, rel=1e-9)
    assert r["p_equivalence"] == pytest.approx(
        sps.ttest_rel(IMP, REINIT, alternative="greater").pvalue, rel=1e-9
    )
    assert r["p_permutation"] == 1 / 32  # all five differences positive: only the identity is as extreme
    assert r["prob_a_beats_b"] == 1.0
    assert r["delta"] == 0.0  # a directional claim's boundary is 0
    assert r["boot_ci_low"] > 0
    wrong = verdicts.loc["reinit-beats-imp"]
    assert wrong["ci_high"] < 0
    assert wrong["p_value"] == pytest.approx(sps.ttest_rel(REINIT, IMP, alternative="less").pvalue, rel=1e-9)


def test_relation_equivalent_is_a_paired_tost(verdicts):
    r = verdicts.loc["snip90-equiv-dense"]
    d = np.array(SNIP90) - np.array(DENSE)
    assert r["p_equivalence"] == pytest.approx(DescrStatsW(d).ttost_mean(-0.5, 0.5)[0], rel=1e-8)
    assert r["delta"] == 0.5


def test_relation_inconclusive_seeds(verdicts):
    r = verdicts.loc["noisy-beats-dense"]
    d = np.array(NOISY) - np.array(DENSE)
    assert r["ci_low"] < 0 < r["ci_high"]
    s, distance = d.std(ddof=1), abs(d.mean())
    # Δ̂ = −0.7 points the wrong way: deciding "not reproduced" must survive Holm across the 11
    # applicable claims, so the one-sided level is α/11
    level = 0.05 / 11
    n = 6
    while sps.t.ppf(1 - level, n - 1) * s / math.sqrt(n) >= distance:
        n += 1
    assert r["seeds_needed"] == n == 14


def test_holm_across_applicable_claims(verdicts):
    applicable = verdicts[verdicts["protocol_applicable"]]
    p = applicable["p_value"].astype(float)
    assert p.notna().all()
    expected = multipletests(p.to_numpy(), method="holm")[1]
    assert applicable["p_value_holm"].to_numpy() == pytest.approx(expected, rel=1e-12)


def test_holm_can_demote_a_not_reproduced_flag():
    # two arms of 3 runs (mean 1.3, s = 0.3) against 0 with δ = 0.7: t = 0.6/(0.3/√3) = 3.464, ν = 2,
    # one-sided p = ½(1 − t/√(t² + 2)) = 0.0371. Alone: "not reproduced"; Holm across the two doubles
    # it to 0.074 and neither survives.
    arms = {("a", 0.1): [1.0, 1.6, 1.3], ("b", 0.2): [1.0, 1.6, 1.3]}
    claims = tuple(
        Claim(k, "", "single", arm(k, t), reported=0.0, delta=0.7) for k, t in (("a", 0.1), ("b", 0.2))
    )
    alone = judge_claims(claims[:1], runs_table(arms), "paper").iloc[0]
    t = 0.6 / (0.3 / math.sqrt(3))
    assert alone["p_value"] == pytest.approx(0.5 * (1 - t / math.sqrt(t**2 + 2)), rel=1e-10)
    assert alone["verdict"] == "not_reproduced" and alone["ci_low"] > 0.7
    both = judge_claims(claims, runs_table(arms), "paper")
    assert both["p_value_holm"].tolist() == pytest.approx([2 * alone["p_value"]] * 2, rel=1e-12)
    assert both["verdict"].tolist() == ["inconclusive", "inconclusive"]
    assert "not after Holm" in both["note"].iloc[0]


def test_degenerate_inputs_are_inconclusive_not_errors():
    arms = {("one", 0.5): [97.0], ("flat", 0.6): [97.0, 97.0, 97.0]}
    claims = (
        Claim("one-run", "", "single", arm("one", 0.5), reported=97.0),
        Claim("zero-spread", "", "single", arm("flat", 0.6), reported=97.0),
        Claim("no-rows", "", "single", arm("ghost", 0.5), reported=97.0),
        Claim("no-column", "", "single", {"arm": "one", "optimizer": "sgd"}, reported=97.0),
        Claim("no-metric", "", "single", arm("one", 0.5), metric="val_accuracy", reported=97.0),
        Claim("no-reported", "", "single", arm("flat", 0.6)),
        Claim("rel-no-baseline", "", "relation", arm("flat", 0.6), direction="greater"),
        Claim(
            "rel-flat", "", "relation", arm("flat", 0.6), baseline=arm("flat", 0.6), direction="equivalent"
        ),
        Claim("range-one", "", "min_max", arm("one", 0.5), reported_min=96.0, reported_max=98.0),
    )
    out = judge_claims(claims, runs_table(arms), "paper").set_index("claim_id")
    assert set(out["verdict"]) == {"inconclusive"}
    assert out["seeds_needed"].isna().all()
    assert "no runs match" in out.loc["no-rows", "note"]
    assert "optimizer" in out.loc["no-column", "note"]
    assert "val_accuracy" in out.loc["no-metric", "note"]
    assert "too few runs or zero spread" in out.loc["zero-spread", "note"]
    assert overall(out.reset_index()).all_reproduced is False


def test_unpaired_relation_falls_back_to_welch():
    runs = runs_table({("a", 0.5): [98.0, 98.4, 98.2], ("b", 0.5): [97.0, 97.3, 97.1]})
    runs.loc[runs["arm"] == "b", "seed"] += 100  # no seed pairs up
    claim = Claim("r", "", "relation", arm("a", 0.5), baseline=arm("b", 0.5), direction="greater")
    r = judge_claims((claim,), runs, "paper").iloc[0]
    assert r["test"].startswith("Welch")
    ref = sps.ttest_ind([98.0, 98.4, 98.2], [97.0, 97.3, 97.1], equal_var=False)
    assert r["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    assert r["verdict"] == "reproduced"


def test_select_rows_rounds_target_sparsity():
    runs = runs_table()
    runs.loc[runs["arm"] == "snip", "target_sparsity"] += 1e-7
    rows, note = select_rows(runs, {"arm": "snip", "target_sparsity": 0.98})
    assert len(rows) == 5 and note == ""


def test_overall_intersection_union():
    good = tuple(c for c in CLAIMS if EXPECTED[c.id] == "reproduced")
    frame = judge_claims(good, runs_table(), "paper")
    result = overall(frame)
    assert result.all_reproduced
    tested = frame["p_equivalence"].dropna()
    assert result.p_iut == tested.max()
    assert "intersection–union" in result.text
    everything = overall(judge_claims(CLAIMS, runs_table(), "paper"))
    assert not everything.all_reproduced
    assert everything.counts == {"reproduced": 6, "not_reproduced": 3, "inconclusive": 2, "not_applicable": 1}
    only_na = overall(judge_claims(CLAIMS[3:4], runs_table(), "paper"))
    assert not only_na.all_reproduced and only_na.n_applicable == 0


def write_folder(out: Path, protocol: str = "paper", *, per_class: bool = True) -> Path:
    """A complete synthetic output folder as the engine writes it."""
    out.mkdir(parents=True, exist_ok=True)
    runs = runs_table(protocol=protocol)
    runs.to_csv(out / "runs.csv", index=False)
    if per_class:
        rows = []
        for r in runs.itertuples():
            for cls in range(10):
                harm = 4.0 * r.target_sparsity if cls == 3 else 0.5 * r.target_sparsity
                rows.append(
                    {
                        "paper_id": "TEST",
                        "protocol": protocol,
                        "seed": r.seed,
                        "arm": r.arm,
                        "target_sparsity": r.target_sparsity,
                        "sparsity": r.sparsity,
                        "round": 0,
                        "class": cls,
                        "accuracy": r.test_accuracy - harm + 0.1 * ((r.seed * 7 + cls) % 3),
                        "n": 50,
                    }
                )
        pd.DataFrame(rows).to_csv(out / "per_class.csv", index=False)
    claim_set = ClaimSet("TEST", CLAIMS)
    body = json.loads(claim_set.to_json())
    body["content_hash"] = claim_set.content_hash()
    body["protocol"] = {
        "name": protocol,
        "description": "synthetic",
        "deviations": ["1,000 iterations, not 50K"],
    }
    (out / "claims.json").write_text(json.dumps(body, indent=2))
    env = {"git_commit": "abc1234", "runner": "local", "device": "cpu", "packages": {"torch": "2.13.0"}}
    (out / "environment.json").write_text(json.dumps(env))
    return out


def test_read_inputs_recomputes_the_claims_hash(tmp_path):
    folder = write_folder(tmp_path / "f")
    inputs = read_inputs(folder)
    assert inputs.protocol == "paper" and inputs.paper_id == "TEST"
    assert inputs.content_hash == ClaimSet("TEST", CLAIMS).content_hash()
    assert inputs.content_hash_matches is True
    body = json.loads((folder / "claims.json").read_text())
    body["claims"][0]["reported"] = 99.9  # edited after registration
    (folder / "claims.json").write_text(json.dumps(body))
    assert read_inputs(folder).content_hash_matches is False


def test_read_inputs_judges_only_the_runs_protocol(tmp_path):
    folder = write_folder(tmp_path / "f", protocol="quick")
    runs = pd.read_csv(folder / "runs.csv")
    other = runs.assign(protocol="paper", test_accuracy=0.0)
    pd.concat([runs, other]).to_csv(folder / "runs.csv", index=False)
    inputs = read_inputs(folder)
    assert inputs.protocol == "quick" and len(inputs.runs) == len(runs)
    assert any("protocols" in n for n in inputs.notes)
    frame = judge_claims(inputs.claims, inputs.runs, inputs.protocol).set_index("claim_id")
    assert frame.loc["quick-only", "verdict"] == "not_reproduced"  # the only quick claim: 98.2 vs 90
    assert (frame.drop(index="quick-only")["verdict"] == "not_applicable").all()


def test_read_inputs_reports_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"claims\.json") as info:
        read_inputs(tmp_path)
    assert info.value.exit_code == 2  # a one-line usage error in the CLI, not a traceback
    folder = write_folder(tmp_path / "f")
    (folder / "runs.csv").write_text("")
    with pytest.raises(SchemaError, match=r"runs\.csv: empty file") as info:
        read_inputs(folder)
    assert info.value.exit_code == 2


def test_relation_uses_only_seeds_that_pair_up():
    runs = runs_table({("a", 0.5): [98.0, 98.4, 98.2, 98.6, 97.9], ("b", 0.5): [97.0, 97.3, 97.1]})
    claim = Claim("r", "", "relation", arm("a", 0.5), baseline=arm("b", 0.5), direction="greater")
    r = judge_claims((claim,), runs, "paper").iloc[0]
    assert r["n"] == 3 and r["n_baseline"] == 3
    assert r["mean"] == pytest.approx(98.2)  # arm A over seeds 0–2 only
    assert r["mean_diff"] == pytest.approx(np.mean([1.0, 1.1, 1.1]))
    assert "3 seeds pair up" in r["note"]
