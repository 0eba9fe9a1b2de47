"""The experiment-tree figure from a hand-made states.csv: layout, one PNG per seed, stale files."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd

from reports.reproduction import tree_figure

COLUMNS = ("seed", "model", "hash", "recipe", "parent", "refs", "arm", "round", "sparsity",
           "measured_sparsity", "test_accuracy", "properties", "tags")  # fmt: skip


def _lth_states(seed: int) -> list[dict]:
    """init → train (dense) → prune → rewind(to=init) → train, and a reinit control off the rewind."""
    h = lambda name: f"{seed}{name}".ljust(32, "0")  # noqa: E731
    rows = [
        ("init", "", "", "init", 0, 0.0, ""),
        ("dense", "init", "", "dense", 0, 0.0, 97.5),
        ("prune", "dense", "", "imp", 1, 0.2, ""),
        ("rewind", "prune", f"to={h('init')}", "imp", 1, 0.2, ""),
        ("imp1", "rewind", "", "imp", 1, 0.2, 97.9),
        ("reinit", "rewind", "", "random_reinit", 1, 0.2, ""),
        ("ctrl", "reinit", "", "random_reinit", 1, 0.2, 97.1),
    ]
    recipes = {"init": "init", "dense": "train", "prune": "prune_layerwise", "rewind": "rewind",
               "imp1": "train", "reinit": "reinit", "ctrl": "train"}  # fmt: skip
    return [
        {"seed": seed, "model": "lenet_300_100", "hash": h(name), "recipe": recipes[name],
         "parent": h(parent) if parent else "", "refs": refs, "arm": arm, "round": rnd, "sparsity": sp,
         "measured_sparsity": sp, "test_accuracy": acc, "properties": "{}", "tags": "{}"}
        for name, parent, refs, arm, rnd, sp, acc in rows
    ]  # fmt: skip


def _write(folder: Path, rows: list[dict]) -> None:
    with (folder / "states.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def test_layout_puts_children_deeper_and_centres_parents() -> None:
    frame = pd.DataFrame(_lth_states(0)).astype({"parent": str})
    position = tree_figure.layout(frame)
    depth = {row["recipe"] + str(i): position[row["hash"]][0] for i, row in frame.iterrows()}
    assert list(depth.values()) == [0.0, 1.0, 2.0, 3.0, 4.0, 4.0, 5.0]
    leaves = {row["hash"][1:4]: position[row["hash"]][1] for _, row in frame.iterrows()}
    assert leaves["imp"] == 0.0 and leaves["ctr"] == 1.0  # the chain's leaf first, then the control
    assert leaves["rew"] == 0.5  # a parent sits between its children


def test_one_png_per_seed_and_stale_figures_removed(tmp_path: Path) -> None:
    (tmp_path / "tree_seed-7.png").write_bytes(b"old")
    _write(tmp_path, _lth_states(0) + _lth_states(1))
    made, summary, note = tree_figure.draw(tmp_path)
    assert sorted(made) == ["tree_0", "tree_1"] and note is None
    assert not (tmp_path / "tree_seed-7.png").exists()
    assert summary[0] == {
        "seed": 0,
        "key": "tree_0",
        "states": 7,
        "recipes": "init ×1, prune_layerwise ×1, reinit ×1, rewind ×1, train ×3",
    }
    image = mpimg.imread(made["tree_1"])
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_a_missing_or_malformed_states_csv_is_a_note_not_a_crash(tmp_path: Path) -> None:
    assert tree_figure.draw(tmp_path) == ({}, [], "states.csv is missing (written by `audit reproduce`)")
    (tmp_path / "states.csv").write_text("seed,hash\n0,abc\n")
    made, _, note = tree_figure.draw(tmp_path)
    assert made == {} and note.startswith("states.csv lacks arm, parent, recipe, refs, round")
