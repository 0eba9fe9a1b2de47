"""The experiment tree: content names, on-disk reuse, adding seeds, resuming after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reproducers.recipes import RECIPES
from reproducers.runners.local import run_seed
from reproducers.tree import Tree, state_hash


def test_state_hash_names_every_input() -> None:
    base = state_hash("p" * 32, "train", {"lr": 0.1, "steps": [1, 2]}, {"to": "i" * 32}, 0)
    assert base == state_hash("p" * 32, "train", {"steps": [1, 2], "lr": 0.1}, {"to": "i" * 32}, 0)
    changed = [
        state_hash("q" * 32, "train", {"lr": 0.1, "steps": [1, 2]}, {"to": "i" * 32}, 0),
        state_hash("p" * 32, "prune", {"lr": 0.1, "steps": [1, 2]}, {"to": "i" * 32}, 0),
        state_hash("p" * 32, "train", {"lr": 0.2, "steps": [1, 2]}, {"to": "i" * 32}, 0),
        state_hash("p" * 32, "train", {"lr": 0.1, "steps": [1, 2]}, {"to": "j" * 32}, 0),
        state_hash("p" * 32, "train", {"lr": 0.1, "steps": [1, 2]}, {"to": "i" * 32}, 1),
        state_hash(None, "train", {"lr": 0.1, "steps": [1, 2]}, {"to": "i" * 32}, 0),
    ]
    assert len({base, *changed}) == 7
    assert len(base) == 32


def _run(spec, seed: int, cache: Path, data: Path) -> tuple[list[dict], Tree]:
    trees: list[Tree] = []
    runs, _ = run_seed(spec, "tiny", seed, "cpu", cache, data, tree_out=trees)
    return runs, trees[0]


def test_rerun_recomputes_nothing_and_a_new_seed_computes_only_itself(snip_spec, tmp_path: Path) -> None:
    first, tree = _run(snip_spec, 0, tmp_path / "cache", tmp_path / "data")
    # init, dense train, 2 x (snip + train), 1 x (random_prune + train)
    assert [name for name, _ in tree.executed] == [
        "init",
        "train",
        "snip",
        "train",
        "snip",
        "train",
        "random_prune",
        "train",
    ]
    again, tree = _run(snip_spec, 0, tmp_path / "cache", tmp_path / "data")
    assert tree.executed == []
    assert again == first
    _, tree = _run(snip_spec, 1, tmp_path / "cache", tmp_path / "data")
    assert len(tree.executed) == 8
    assert all(
        json.loads((tmp_path / "cache" / "states" / h / "state.json").read_text())["seed"] == 1
        for _, h in tree.executed
    )


def test_lth_tree_prunes_rewinds_and_reuses(lth_spec, tmp_path: Path) -> None:
    runs, tree = _run(lth_spec, 0, tmp_path / "cache", tmp_path / "data")
    names = [name for name, _ in tree.executed]
    assert names == [
        "init",
        "train",
        "prune_layerwise",
        "rewind",
        "train",
        "prune_layerwise",
        "rewind",
        "train",
        "reinit",
        "train",
    ]
    assert [(r["arm"], r["round"]) for r in runs] == [
        ("dense", 0),
        ("imp", 1),
        ("imp", 2),
        ("random_reinit", 2),
    ]
    # nominal overall sparsity: hidden layers 0.8^k, output 0.9^k (266,200 weights in all)
    assert runs[2]["target_sparsity"] == round(1 - (265_200 * 0.8**2 + 1_000 * 0.9**2) / 266_200, 4)
    assert runs[2]["sparsity"] == pytest.approx(runs[2]["target_sparsity"], abs=1e-4)
    assert runs[3]["sparsity"] == runs[2]["sparsity"]  # reinit keeps the ticket's mask


class _Crash(RuntimeError):
    pass


def test_killed_run_resumes_from_the_last_saved_state(snip_spec, tmp_path: Path, monkeypatch) -> None:
    import reproducers.runners.local as local

    calls = {"n": 0}
    real_train = RECIPES["train"]

    def crashing_train(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise _Crash("killed during the third training")
        return real_train(*args, **kwargs)

    monkeypatch.setitem(local.RECIPES, "train", crashing_train)
    with pytest.raises(_Crash):
        _run(snip_spec, 0, tmp_path / "cache", tmp_path / "data")
    states = tmp_path / "cache" / "states"
    assert not [p for p in states.iterdir() if p.name.startswith(".tmp")]  # no half-written state
    monkeypatch.setitem(local.RECIPES, "train", real_train)
    _, tree = _run(snip_spec, 0, tmp_path / "cache", tmp_path / "data")
    # init, dense, snip 90%, its training and snip 95% were saved; the rest is computed now
    assert [name for name, _ in tree.executed] == ["train", "random_prune", "train"]


def test_lineage_traces_a_row_back_to_its_initialisation(lth_spec, tmp_path: Path) -> None:
    runs, tree = _run(lth_spec, 0, tmp_path / "cache", tmp_path / "data")
    reinit_row = runs[-1]
    chain = tree.lineage(reinit_row["state_hash"])
    assert [meta["recipe"] for meta in chain] == [
        "init", "train", "prune_layerwise", "rewind", "train", "prune_layerwise", "rewind", "reinit", "train",
    ]  # fmt: skip
    assert chain[0]["hash"] == reinit_row["init_hash"]
    assert chain[3]["refs"] == {"to": reinit_row["init_hash"]}  # rewound to the initialisation
    assert all(meta["seed"] == 0 for meta in chain)
