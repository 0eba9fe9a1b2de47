"""Each seed's experiment tree, drawn as dagger draws one: states as nodes, recipes as edges.

Read from ``states.csv`` (written by the pipeline from the state cache; columns in
``reproducers.catalog.STATE_COLUMNS``): a node per state, coloured by the recipe that made it and
labelled with its arm, round and sparsity (and test accuracy when it is a trained network); a solid
arrow from parent to child; a dashed arrow for an input that is not the parent (a rewind's
``to=init``). The layout is layered by depth (recipes applied since the root), with depth along
the longer side of the tree, so that a deep chain (16 rounds of IMP) and a wide fan (SNIP's sparsities)
both stay readable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from core import atomic

REQUIRED = {"seed", "hash", "recipe", "parent", "refs", "arm", "round", "sparsity", "test_accuracy"}
#: a colour per recipe (others grey)
COLOURS = {
    "init": "#4c72b0",
    "train": "#55a868",
    "prune_layerwise": "#c44e52",
    "prune_global": "#c44e52",
    "snip": "#c44e52",
    "prune_init": "#c44e52",
    "random_prune": "#dd8452",
    "rewind": "#8172b3",
    "reinit": "#937860",
    "weights_reinit": "#937860",
    "mask_shuffle": "#da8bc3",
}
#: at most this many seeds are drawn (all are in states.csv)
MAX_SEEDS = 10
FILE = "tree_seed-{seed}.png"


def read_states(out_dir: Path) -> tuple[pd.DataFrame, str | None]:
    """states.csv, checked against its columns; (empty frame, why) when it cannot be used."""
    path = Path(out_dir) / "states.csv"
    if not path.is_file():
        return pd.DataFrame(), "states.csv is missing (written by `audit reproduce`)"
    try:
        frame = pd.read_csv(path, dtype={"hash": str, "parent": str, "refs": str}, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        return pd.DataFrame(), f"states.csv is unreadable ({exc})"
    missing = REQUIRED - set(frame.columns)
    if missing:
        return pd.DataFrame(), f"states.csv lacks {', '.join(sorted(missing))}"
    return frame, None


def _label(row: dict[str, Any]) -> str:
    parts = [str(row["recipe"])]
    tag = str(row["arm"]) if str(row["arm"]) != str(row["recipe"]) else str(row.get("model", ""))
    if str(row["round"]) not in ("", "0"):
        tag += f" r{row['round']}"
    if str(row["sparsity"]) not in ("", "0.0", "0"):
        try:
            tag += f" {float(row['sparsity']):.1%}"
        except ValueError:
            tag += f" {row['sparsity']}"
    parts.append(tag)
    if row["recipe"] == "train" and str(row["test_accuracy"]) != "":
        parts.append(f"{float(row['test_accuracy']):.2f}%")
    return "\n".join(parts)


def _pastel(colour: str) -> tuple[float, float, float]:
    """The colour at 35% over white: opaque, so arrows end at the box instead of showing through."""
    from matplotlib.colors import to_rgb

    return tuple(0.65 + 0.35 * c for c in to_rgb(colour))  # type: ignore[return-value]


def layout(nodes: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(depth, leaf position) of every node: children below their parent, leaves in plan order."""
    children: dict[str, list[str]] = {}
    hashes = list(nodes["hash"])
    known = set(hashes)
    roots = []
    for digest, parent in zip(nodes["hash"], nodes["parent"], strict=True):
        if parent and parent in known:
            children.setdefault(parent, []).append(digest)
        else:
            roots.append(digest)
    position: dict[str, tuple[float, float]] = {}
    next_leaf = [0.0]

    def place(digest: str, depth: int) -> float:
        kids = children.get(digest, [])
        if not kids:
            spot = next_leaf[0]
            next_leaf[0] += 1
        else:
            spots = [place(kid, depth + 1) for kid in kids]
            spot = (min(spots) + max(spots)) / 2
        position[digest] = (float(depth), spot)
        return spot

    for root in roots:
        place(root, 0)
        next_leaf[0] += 0.5  # a gap between models
    return position


def draw_seed(nodes: pd.DataFrame, seed: Any, path: Path) -> Path:
    """One seed's tree as a PNG at ``path``."""
    position = layout(nodes)
    depth = max(d for d, _ in position.values()) + 1
    breadth = max(b for _, b in position.values()) + 1
    deep = depth > breadth  # depth runs down the page, else left to right
    spacing_depth, spacing_breadth = (0.6, 1.6) if deep else (1.7, 0.6)
    width = (breadth * spacing_breadth if deep else depth * spacing_depth) + 1.5
    height = (depth * spacing_depth if deep else breadth * spacing_breadth) + 1.2
    # a Figure rendered by Agg, never pyplot's global state (as reports.reproduction.figures does)
    fig = Figure(figsize=(min(max(width, 5.0), 30.0), min(max(height, 3.0), 60.0)))
    ax = fig.subplots()

    def xy(digest: str) -> tuple[float, float]:
        d, b = position[digest]
        return (b, -d) if deep else (d, -b)

    rows = {r["hash"]: r for r in nodes.to_dict("records")}
    for digest, row in rows.items():
        if row["parent"] in position:
            ax.annotate(
                "",
                xy=xy(digest),
                xytext=xy(row["parent"]),
                arrowprops={"arrowstyle": "-|>", "color": "#555", "shrinkA": 12, "shrinkB": 12},
                zorder=1,
            )
        for ref in filter(None, str(row["refs"]).split(";")):
            target = ref.partition("=")[2]
            if target in position:
                ax.annotate(
                    "",
                    xy=xy(digest),
                    xytext=xy(target),
                    arrowprops={"arrowstyle": "-|>", "color": "#999", "linestyle": "--", "alpha": 0.6},
                    zorder=1,
                )
    for digest, row in rows.items():
        x, y = xy(digest)
        ax.text(
            x,
            y,
            _label(row),
            ha="center",
            va="center",
            fontsize=6.5,
            bbox={"boxstyle": "round,pad=0.3", "fc": _pastel(COLOURS.get(str(row["recipe"]), "#bbbbbb"))},
            zorder=2,
        )
    xs = [xy(h)[0] for h in position]
    ys = [xy(h)[1] for h in position]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.axis("off")
    ax.set_title(f"seed {seed}: {len(rows)} states (solid: parent → child; dashed: recipe input)", fontsize=9)
    with atomic.replacing(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90, bbox_inches="tight")
    return path


def draw(out_dir: Path) -> tuple[dict[str, Path], list[dict[str, Any]], str | None]:
    """Draw every seed's tree (the first :data:`MAX_SEEDS`): (figure key → path, per-seed summary,
    note). Stale tree figures of an earlier render are removed."""
    out_dir = Path(out_dir)
    frame, why = read_states(out_dir)
    made: dict[str, Path] = {}
    summary: list[dict[str, Any]] = []
    if not frame.empty:
        for seed, nodes in sorted(frame.groupby("seed"), key=lambda kv: int(kv[0]))[:MAX_SEEDS]:
            key = f"tree_{seed}"
            made[key] = draw_seed(nodes, seed, out_dir / FILE.format(seed=seed))
            counts = nodes["recipe"].value_counts()
            summary.append(
                {
                    "seed": int(seed),
                    "key": key,
                    "states": len(nodes),
                    "recipes": ", ".join(f"{name} ×{n}" for name, n in sorted(counts.items())),
                }
            )
        if frame["seed"].nunique() > MAX_SEEDS:
            why = f"the first {MAX_SEEDS} of {frame['seed'].nunique()} seeds are drawn; states.csv has all"
    for stale in out_dir.glob("tree_seed-*.png"):
        if stale not in made.values():
            stale.unlink(missing_ok=True)
    return made, summary, why
