"""Benchmarks of the reproduction engine: harness overhead, and wall time of the quick protocols.

    .venv/bin/python benchmarks/bench_reproduce.py [--reps 5] [--skip-wall] [--append docs/benchmarks.md]

(a) Overhead: one training of the LTH quick schedule (LeNet-300-100, 4,000 images, 1,000 Adam
    iterations, evaluation every 100) through the experiment tree (hashing, recipe dispatch, per-class
    evaluation, saving the state) against a bare PyTorch loop doing the same training and evaluations.
    Runs are interleaved and the median of each is compared, because the machine is shared.
(b) Wall time of the whole command `audit reproduce <paper> --protocol quick --seeds 3 --runner local`
    for SNIP and LTH with an empty state cache (everything computed).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reproducers import models, recipes, registry  # noqa: E402
from reproducers.datasets import make_split  # noqa: E402
from reproducers.recipes import RECIPES  # noqa: E402
from reproducers.seeding import configure_determinism, generator  # noqa: E402
from reproducers.tree import Context, Tree  # noqa: E402


def harness_once(protocol, split, cache: Path) -> float:
    """Init + train through the tree with an empty cache; seconds."""
    context = Context(seed=0, device=torch.device("cpu"), data=lambda name, sizes: split)
    tree = Tree(cache, context, RECIPES)
    start = time.perf_counter()
    root = tree.root(recipes.init(protocol.init, "cpu"), protocol.models[0])
    tree.apply(recipes.training(protocol.schedule, protocol.dataset, protocol.split), root)
    elapsed = time.perf_counter() - start
    assert [name for name, _ in tree.executed] == ["init", "train"]
    return elapsed


def bare_once(protocol, split) -> float:
    """The same initialisation, batches, optimizer and evaluations in a plain loop; seconds."""
    s = protocol.schedule
    start = time.perf_counter()
    model = models.build(protocol.models[0])
    models.initialise(model, protocol.init, generator(0, "init"))
    optimizer = torch.optim.Adam(model.parameters(), lr=s.lr)
    gen = generator(0, "data_order")
    n = len(split.train_y)
    per_epoch = n // s.batch_size
    for it in range(s.iterations):
        if it % per_epoch == 0:
            order = torch.randperm(n, generator=gen)
        index = order[(it % per_epoch) * s.batch_size : (it % per_epoch + 1) * s.batch_size]
        loss = nn.functional.cross_entropy(model(split.train_x[index]), split.train_y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if (it + 1) % s.eval_every == 0:
            with torch.no_grad():
                model.eval()
                for x, y in ((split.val_x, split.val_y), (split.test_x, split.test_y)):
                    logits = model(x)
                    nn.functional.cross_entropy(logits, y)
                    (logits.argmax(1) == y).float().mean()
                model.train()
    return time.perf_counter() - start


def overhead(reps: int) -> dict[str, float]:
    configure_determinism()
    protocol = registry.get("lth").protocols["quick"]
    split = make_split(protocol.dataset, protocol.split, generator(0, "split"), Path(tempfile.gettempdir()))
    harness, bare = [], []
    bare_once(protocol, split)  # warm-up (allocator, kernels)
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as cache:
            harness.append(harness_once(protocol, split, Path(cache)))
        bare.append(bare_once(protocol, split))
    h, b = statistics.median(harness), statistics.median(bare)
    return {
        "harness_s": h,
        "bare_s": b,
        "overhead_pct": 100 * (h / b - 1),
        "reps": reps,
        "harness_min_s": min(harness),
        "bare_min_s": min(bare),
    }


def wall(paper: str) -> float:
    """The whole command with an empty state cache, in a subprocess; seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUDIT_CACHE_DIR": str(Path(tmp) / "cache")}
        command = [
            str(Path(sys.executable).parent / "audit"),
            "reproduce",
            paper,
            "--protocol",
            "quick",
            "--seeds",
            "3",
            "--runner",
            "local",
            "--device",
            "cpu",
            "--out",
            str(Path(tmp) / "out"),
        ]
        start = time.perf_counter()
        subprocess.run(
            command, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return time.perf_counter() - start


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--skip-wall", action="store_true")
    parser.add_argument("--append", type=Path, help="Markdown file to append the results to")
    args = parser.parse_args()
    lines = [
        f"### {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch {torch.__version__}, 1 thread",
        "",
        "Command: `" + " ".join([".venv/bin/python", "benchmarks/bench_reproduce.py", *sys.argv[1:]]) + "`",
        "",
        f"- load average before: {load()}",
    ]
    o = overhead(args.reps)
    lines.append(
        f"- (a) one LTH-quick training (1,000 iterations): harness {o['harness_s']:.2f} s vs bare loop "
        f"{o['bare_s']:.2f} s (medians of {o['reps']}; "
        f"minima {o['harness_min_s']:.2f} / {o['bare_min_s']:.2f} s)"
        f" → overhead {o['overhead_pct']:+.1f}% (target ≤ 5%)"
    )
    if not args.skip_wall:
        for paper, name, target in (("B1VZqjAcYX", "SNIP", 180), ("rJl-b3RcF7", "LTH", 360)):
            seconds = wall(paper)
            lines.append(
                f"- (b) `audit reproduce {paper} --protocol quick --seeds 3 --runner local --device cpu` "
                f"({name}, empty cache): {seconds:.0f} s (target ≤ {target} s); load after: {load()}"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        existing = args.append.read_text() if args.append.exists() else ""
        heading = "" if "## Reproduction" in existing else "\n## Reproduction\n\n"
        with args.append.open("a") as handle:
            handle.write(heading + "\n" + text)


if __name__ == "__main__":
    main()
