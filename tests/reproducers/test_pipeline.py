"""`audit papers` and `audit reproduce` end to end through the real command line."""

from __future__ import annotations

import csv
import json
from importlib import metadata
from pathlib import Path

import pytest
import torch

from audit.cli import main
from core.claims import PER_CLASS_COLUMNS, RUN_COLUMNS
from reproducers import registry
from tests.reproducers.conftest import tiny


def _cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code)


def test_papers_table_and_json(capsys) -> None:
    assert _cli(["papers"]) == 0
    table = capsys.readouterr().out
    assert "rJl-b3RcF7" in table and "1810.02340" in table and "quick, paper" in table
    assert _cli(["papers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["rJl-b3RcF7", "B1VZqjAcYX", "SkgsACVKPH", "Ig-VyQc-MLK"]
    assert rows[1]["claims"] == 21 and {"quick", "paper", "table3"} <= set(rows[1]["protocols"])


def test_unknown_paper_exits_2_listing_ids(capsys) -> None:
    assert _cli(["reproduce", "nope", "--runner", "local"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rJl-b3RcF7" in err and "B1VZqjAcYX" in err


def test_unusable_folders_are_one_line_usage_errors(tmp_path: Path, monkeypatch, capsys) -> None:
    """An --out or AUDIT_CACHE_DIR that cannot be created stops the run before any work (exit 2)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    base = ["reproduce", "snip", "--runner", "local", "--seeds", "1", "--out"]
    assert _cli([*base, str(blocker / "out")]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write to the output folder {blocker / 'out'}: Not a directory; choose another --out\n"
    )
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(blocker / "cache"))
    assert _cli([*base, str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write to the experiment-state cache {blocker / 'cache' / 'states'}: Not a directory; "
        "set AUDIT_CACHE_DIR to a writable folder\n"
    )
    assert not (tmp_path / "out" / "runs.csv").exists()


@pytest.mark.slow
def test_reproduce_snip_quick_two_seeds(tmp_path: Path, monkeypatch, capsys) -> None:
    """The real command on the quick protocol shrunk to tiny settings (40 iterations per training)."""
    spec = registry.get("B1VZqjAcYX")
    monkeypatch.setitem(spec.protocols, "quick", tiny(spec.protocols["quick"], name="quick"))
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    args = [
        "reproduce",
        "B1VZqjAcYX",
        "--protocol",
        "quick",
        "--seeds",
        "2",
        "--runner",
        "local",
        "--device",
        "cpu",
        "--out",
        str(out),
    ]
    assert _cli(args) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert Path(printed[-1]).exists()

    with (out / "runs.csv").open() as handle:
        runs = list(csv.DictReader(handle))
    assert tuple(runs[0]) == RUN_COLUMNS
    assert [(r["seed"], r["arm"], r["target_sparsity"]) for r in runs] == [
        (str(seed), arm, level)
        for seed in range(2)
        for arm, level in [
            ("dense", "0.0"),
            ("snip", "0.9"),
            ("snip", "0.95"),
            ("snip", "0.98"),
            ("random", "0.95"),
            ("random", "0.98"),
        ]
    ]
    assert all(abs(float(r["sparsity"]) - float(r["target_sparsity"])) < 1e-4 for r in runs)
    with (out / "per_class.csv").open() as handle:
        per_class = list(csv.DictReader(handle))
    assert tuple(per_class[0]) == PER_CLASS_COLUMNS and len(per_class) == 10 * len(runs)
    assert sum(int(r["n"]) for r in per_class if r["seed"] == "0" and r["arm"] == "dense") == 200

    claims = json.loads((out / "claims.json").read_text())
    assert claims["content_hash"] == spec.claim_set().content_hash()
    environment = json.loads((out / "environment.json").read_text())
    assert environment["seeds"] == [0, 1] and environment["claims_hash"] == claims["content_hash"]
    assert environment["device"]["resolved"] == "cpu" and environment["packages"]["torch"]
    assert environment["seeds_requested"] == [0, 1] and environment["failed_seeds"] == []
    # In-process seeds: the determinism flags are read from this process, which ran them.
    assert environment["inside"]["reported_by"] == "in-process"
    assert environment["determinism"]["torch.num_threads"] == 1
    assert environment["determinism"]["torch.use_deterministic_algorithms"] is True

    # the same command again computes no state and writes byte-identical results
    states = tmp_path / "cache" / "states"
    saved = {p.parent.name: p.stat().st_mtime_ns for p in states.glob("*/state.json")}
    assert len(saved) == 2 * 12  # per seed: init, dense, 3 snip, 2 random, and 6 trainings
    outputs = {name: (out / name).read_bytes() for name in ("runs.csv", "per_class.csv", "verdicts.csv")}
    assert _cli(args) == 0
    assert {p.parent.name: p.stat().st_mtime_ns for p in states.glob("*/state.json")} == saved
    assert {name: (out / name).read_bytes() for name in outputs} == outputs

    # one more seed computes only that seed's 12 states; the first two seeds' rows are unchanged,
    # wall_s included (it is the recorded training time of the cached state, so a recomputation shows)
    first = outputs["runs.csv"].decode().splitlines()
    assert _cli([*args[:5], "3", *args[6:]]) == 0
    again = (out / "runs.csv").read_text().splitlines()
    assert len(again) == 1 + 18 and again[: len(first)] == first
    after = {p.parent.name: p.stat().st_mtime_ns for p in states.glob("*/state.json")}
    assert len(after) == 3 * 12 and {k: after[k] for k in saved} == saved


def test_worker_writes_one_seed_as_json(tmp_path: Path, monkeypatch) -> None:
    """The container entry point: one seed, rows as JSON, usage errors as exit 2."""
    from reproducers import worker

    spec = registry.get("B1VZqjAcYX")
    small = tiny(spec.protocols["quick"], name="quick", sparsities=(0.95,), random_sparsities=())
    monkeypatch.setitem(spec.protocols, "quick", small)
    out = tmp_path / "rows" / "seed-1.json"
    args = [
        "--paper",
        "snip",
        "--protocol",
        "quick",
        "--seed",
        "1",
        "--device",
        "cpu",
        "--cache",
        str(tmp_path / "cache"),
        "--data",
        str(tmp_path / "data"),
        "--out",
        str(out),
    ]
    assert worker.main(args) == 0
    body = json.loads(out.read_text())
    assert (body["paper_id"], body["seed"]) == ("B1VZqjAcYX", 1)
    assert [r["arm"] for r in body["runs"]] == ["dense", "snip"] and len(body["per_class"]) == 20
    # Provenance as the worker's process ran the seed (inside its container, in Docker runs).
    facts = body["environment"]
    assert (facts["torch"], facts["packages"]["numpy"]) == (torch.__version__, metadata.version("numpy"))
    assert facts["determinism"]["torch.num_threads"] == 1 and facts["determinism"]["bitwise_repeatable"]
    assert worker.main([*args[:1], "nope", *args[2:]]) == 2
