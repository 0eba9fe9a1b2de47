"""The pruning-at-initialisation papers' `quick` protocols through `audit reproduce` (short schedules):
"Missing the Mark" with its sanity checks on four methods, with `--jobs 2` (seeds and arms in worker
processes) giving exactly the states of each seed run alone; GraSP's quick protocol."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from audit.cli import main
from reproducers import registry
from reproducers.runners.local import run_seed
from tests.reproducers.conftest import tiny


def _run(args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_missing_the_mark_quick_in_parallel_equals_each_seed_alone(tmp_path, monkeypatch) -> None:
    spec = registry.get("Ig-VyQc-MLK")
    small = tiny(spec.protocols["quick"], name="quick", synflow_iterations=10)
    monkeypatch.setitem(spec.protocols, "quick", small)
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "parallel"))
    out = tmp_path / "out"
    _run(["reproduce", "missing-the-mark", "--seeds", "2", "--jobs", "2", "--runner", "local",
          "--device", "cpu", "--out", str(out)])  # fmt: skip
    runs = _rows(out / "runs.csv")
    arms = ["dense"] + [f"{m}{v}" for m in ("snip", "grasp", "synflow", "magnitude")
                        for v in ("", "_shuffled", "_reinit", "_inverted")] + ["random"]  # fmt: skip
    assert [(r["seed"], r["arm"]) for r in runs] == [(str(s), a) for s in (0, 1) for a in arms]
    assert all(abs(float(r["sparsity"]) - float(r["target_sparsity"])) < 1e-5 for r in runs)
    environment = json.loads((out / "environment.json").read_text())
    assert environment["jobs"] == 2 and environment["concurrency"].startswith(
        "2 worker processes sharing the cpu"
    )

    # seed 1 alone (its branches ran interleaved with seed 0's), in one process, in a fresh cache:
    # the same states, bit for bit
    alone, _ = run_seed(spec, "quick", 1, "cpu", tmp_path / "alone", tmp_path / "data")
    assert [r["state_hash"] for r in alone] == [r["state_hash"] for r in runs if r["seed"] == "1"]
    states = {r["hash"] for r in _rows(out / "states.csv") if r["seed"] == "1"}
    assert states == {p.name for p in (tmp_path / "alone" / "states").iterdir() if not p.name.startswith(".")}
    for digest in states:
        left = torch.load(tmp_path / "parallel" / "states" / digest / "state.pt", weights_only=True)
        right = torch.load(tmp_path / "alone" / "states" / digest / "state.pt", weights_only=True)
        assert left.keys() == right.keys() and all(torch.equal(left[k], right[k]) for k in left), digest

    verdicts = {r["claim_id"]: r for r in _rows(out / "verdicts.csv")}
    quick = [c for c in spec.claims if "quick" in c.protocols]
    assert len(quick) == 16 and all(verdicts[c.id]["verdict"] != "not_applicable" for c in quick)
    assert all(
        verdicts[c.id]["verdict"] == "not_applicable" for c in spec.claims if "quick" not in c.protocols
    )
    model = {r["term"] for r in _rows(out / "per_class_model.csv")}
    assert "C(method, Treatment(reference='random'))[T.grasp (inverted)]" in model
    assert "C(treatment, Treatment(reference='rewind'))[T.reinit]" in model
    assert {"dense_accuracy", "train_share", "difficulty"} <= model  # one sparsity: no sparsity term
    report = (out / "report.md").read_text()
    assert "method = synflow (shuffled) (vs random)" in report and "tree_seed-1.png" in report


@pytest.mark.slow
def test_grasp_quick_protocol_runs_from_the_cli(tmp_path, monkeypatch) -> None:
    spec = registry.get("grasp")
    monkeypatch.setitem(spec.protocols, "quick", tiny(spec.protocols["quick"], name="quick"))
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    _run(["reproduce", "SkgsACVKPH", "--seeds", "2", "--runner", "local", "--device", "cpu", "--out",
          str(tmp_path / "out")])  # fmt: skip
    runs = _rows(tmp_path / "out" / "runs.csv")
    assert [(r["arm"], r["target_sparsity"]) for r in runs if r["seed"] == "0"] == [
        ("dense", "0.0"), ("grasp", "0.9"), ("snip", "0.9"), ("grasp", "0.95"), ("snip", "0.95"),
        ("grasp", "0.98"), ("snip", "0.98"), ("random", "0.98"),
    ]  # fmt: skip
    verdicts = {r["claim_id"]: r["verdict"] for r in _rows(tmp_path / "out" / "verdicts.csv")}
    assert verdicts["grasp-beats-snip-lenet300-98-quick"] != "not_applicable"
    assert verdicts["grasp-c10-vgg19-grasp-98"] == "not_applicable"  # CIFAR-10 claims: paper protocol
