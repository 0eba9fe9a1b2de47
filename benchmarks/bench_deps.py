"""Benchmark: dependency inference in-process (``crawlers.dependencies``) vs the ``pipreqs`` command per repo.

The published ICLR 2020 census ran the ``pipreqs`` command once per repository. Offline, the only
invocation of pipreqs 0.5.0 that completes is ``pipreqs --use-local`` (without it, pipreqs asks PyPI
and crashes with ``ConnectionError`` when PyPI is unreachable; ``--pypi-server`` at a local stub still
walks ``sys.path`` first, so it costs at least as much). The baseline therefore is::

    pipreqs --use-local --mode no-pin --savepath <tmp>/<repo>.txt <repo>

once per repository, sequentially, exactly as a shell loop would run it. The generated repositories
have no Python 2 or non-UTF-8 files, so every baseline run succeeds (checked: exit status 0 and a
requirements file written); ours additionally reads notebooks and declared files.

Usage::

    python benchmarks/bench_deps.py [--repos 40] [--files 80] [--workers 2] [--append-docs]
    python benchmarks/bench_deps.py --checkouts DIR [--workers 2] [--append-docs]

``--checkouts DIR`` measures real research repositories instead: every sub-folder of DIR is one
checkout, named ``owner+repo`` (how the project's measurement copies of ICLR 2020 repositories are
laid out; they are never committed). There the baseline may fail on a repository (pipreqs aborts on
Python 2 and non-UTF-8 files): its time counts, and the failures are reported. It also prints the
census' agreement on those repositories with the published ICLR 2020 census: the framework counts
("uses", "primary") next to what the published method gives on the same checkouts, and every
disagreement with its reason.

``--append-docs`` appends the result and the exact command to docs/benchmarks.md under
"## Census: dependency inference".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from crawlers.dependencies.infer import Job, RepoReport, infer_many  # noqa: E402
from crawlers.dependencies.tables import framework_row  # noqa: E402
from reports.census import baseline  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Census: dependency inference"
INTRO = (
    "`audit deps` (in-process, pipreqs' functions and mapping, `ProcessPoolExecutor`) against the published\n"
    "method, the `pipreqs` command once per repository. Offline, pipreqs 0.5.0 completes only with\n"
    "`--use-local` (without it, it asks PyPI and crashes with `ConnectionError`; `--pypi-server` at a local\n"
    "stub still walks `sys.path` first). `--use-local` also drops every package not installed locally, so\n"
    "its output is much poorer than ours; the comparison is of time only. Generated repositories have no\n"
    "Python 2 or non-UTF-8 files, so every baseline run succeeds (exit 0, file written)."
)

THIRD_PARTY = [
    "numpy as np",
    "torch",
    "torch.nn as nn",
    "torchvision",
    "scipy.stats",
    "matplotlib.pyplot as plt",
    "sklearn.metrics",
    "pandas as pd",
    "tqdm",
    "yaml",
    "PIL.Image",
    "cv2",
    "tensorflow as tf",
    "h5py",
    "networkx as nx",
    "seaborn as sns",
    "absl.flags",
    "gym",
    "transformers",
    "wandb",
]
STDLIB = ["os", "sys", "json", "math", "random", "argparse", "collections", "itertools", "logging", "time"]
REQUIREMENTS = ["numpy==1.18.1", "torch>=1.4", "torchvision", "scipy", "matplotlib", "tqdm", "pyyaml"]


def _module(rng: random.Random, package: str, index: int, n_local: int) -> str:
    lines = [f'"""Module {index} of {package}: model, training loop and evaluation helpers."""']
    lines += [f"import {name}" for name in rng.sample(STDLIB, 4)]
    lines += [f"import {name}" for name in rng.sample(THIRD_PARTY, 5)]
    lines.append(f"from {package}.mod{rng.randrange(n_local)} import helper_0")
    lines.append("")
    for fn in range(12):
        lines += [
            f"def helper_{fn}(x, scale={fn}.0):",
            f'    """Helper {fn}: scale, shift and clip an array-like value."""',
            "    total = 0.0",
            "    for step in range(10):",
            "        total += (x * scale + step) / (1 + step)",
            "    if total > 1e6:",
            "        total = 1e6",
            "    return total",
            "",
        ]
    lines += [
        "class Trainer:",
        '    """A small training loop holder."""',
        "",
        "    def __init__(self, lr=0.1, epochs=3):",
        "        self.lr, self.epochs = lr, epochs",
        "",
        "    def run(self, data):",
        "        return [helper_0(item, self.lr) for item in data for _ in range(self.epochs)]",
        "",
    ]
    return "\n".join(lines) + "\n"


def _notebook(rng: random.Random) -> str:
    cells = [
        "%matplotlib inline\n" + "\n".join(f"import {n}" for n in rng.sample(THIRD_PARTY, 4)),
        "!pip install einops\nx = 1",
        "for i in range(3):\n    print(i)",
    ]
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 4,
            "metadata": {},
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c}
                for c in cells
            ],
        }
    )


def build_repositories(root: Path, n_repos: int, n_files: int, seed: int = 0) -> list[Path]:
    """``n_repos`` research-shaped repositories with ``n_files`` modules each, two notebooks, requirements."""
    rng = random.Random(seed)
    repos = []
    for r in range(n_repos):
        repo = root / f"repo{r:03d}"
        package = f"pkg{r}"
        (repo / package).mkdir(parents=True)
        (repo / package / "__init__.py").write_text("")
        for i in range(n_files):
            (repo / package / f"mod{i}.py").write_text(_module(rng, package, i, n_files))
        (repo / "train.py").write_text(_module(rng, package, n_files, n_files))
        (repo / "notebooks").mkdir()
        for n in range(2):
            (repo / "notebooks" / f"analysis{n}.ipynb").write_text(_notebook(rng))
        (repo / "requirements.txt").write_text("\n".join(rng.sample(REQUIREMENTS, 5)) + "\n")
        repos.append(repo)
    return repos


def pipreqs_command() -> list[str]:
    """The pipreqs console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "pipreqs"
    if script.exists():
        return [str(script)]
    found = shutil.which("pipreqs")
    if not found:
        raise SystemExit("pipreqs is not installed in this environment")
    return [found]


def run_baseline(repos: list[Path], out: Path, *, strict: bool = True) -> tuple[float, int, list[str]]:
    """Seconds for the pipreqs command once per repository, the requirement lines it wrote and the
    repositories it failed on (``strict``: a failure aborts the benchmark)."""
    command = pipreqs_command()
    lines = 0
    failed: list[str] = []
    started = time.perf_counter()
    for repo in repos:
        target = out / f"{repo.name}.txt"
        result = subprocess.run(
            [*command, "--use-local", "--mode", "no-pin", "--savepath", str(target), str(repo)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not target.exists():
            if strict:
                raise SystemExit(f"baseline failed on {repo.name}: {result.stderr.strip()[-500:]}")
            failed.append(repo.name)
            continue
        lines += sum(1 for line in target.read_text().splitlines() if line.strip())
    return time.perf_counter() - started, lines, failed


def repo_url(folder: Path) -> str:
    """``owner+repo`` folders are GitHub repositories; generated ones get a placeholder owner."""
    owner, sep, name = folder.name.partition("+")
    return f"https://github.com/{owner}/{name}" if sep else f"https://github.com/bench/{folder.name}"


def run_ours(repos: list[Path], workers: int) -> tuple[float, int, list[RepoReport]]:
    """Seconds for :func:`infer_many` over the same repositories, the dependency rows, the reports."""
    jobs = [Job(repo_url(repo), "", str(repo)) for repo in repos]
    started = time.perf_counter()
    reports = infer_many(jobs, workers=workers)
    elapsed = time.perf_counter() - started
    bad = [r.repo_url for r in reports if r.status != "ok"]
    if bad:
        raise SystemExit(f"inference failed on {bad}")
    return elapsed, sum(len(r.dependencies) for r in reports), reports


PUBLISHED_SHARES = {"pytorch": 154, "tensorflow": 95, "keras": 23}  # of 237 parsed repositories


def agreement(reports: list[RepoReport]) -> list[str]:
    """Framework counts here vs the published method on the same checkouts, and each disagreement."""
    rows = [framework_row(r) for r in reports]
    frame = pd.DataFrame(rows).astype(str)
    frame["unit"] = [r.repo_url for r in reports]
    units = list(frame["unit"])
    here = baseline.published_here(frame, units) or {}
    lines = [f"{len(units)} repositories; published census: 237 parsed, {PUBLISHED_SHARES}."]
    for fw, published in PUBLISHED_SHARES.items():
        uses = int((frame[fw] == "True").sum())
        primary = int((frame["primary"] == fw).sum())
        lines.append(
            f"{fw}: uses {uses} ({uses / len(units):.0%}), primary {primary} ({primary / len(units):.0%}), "
            f"published method here {here.get(fw, 0)} ({here.get(fw, 0) / len(units):.0%}); "
            f"published census {published / 237:.0%}"
        )
    methods = frame["published_method"].value_counts().to_dict()
    lines.append(f"published method per repository: {methods}")
    found = baseline.disagreements(frame, units, baseline.display_names(units))
    agree = 3 * len(units) - len(found)
    lines.append(f"repository x framework agreement on 'uses': {agree}/{3 * len(units)}")
    lines += [f"disagreement: {d['code_base']} {d['framework']}: {d['reason']}" for d in found]
    return lines


def append_docs(block: str) -> None:
    """Add one result block at the end of the census section of docs/benchmarks.md (created if missing).

    Other sections (another engineer's reproduction benchmarks) are left as they are.
    """
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if HEADING not in current:
        current = current.rstrip("\n") + f"\n\n{HEADING}\n\n{INTRO}\n"
    start = current.index(HEADING) + len(HEADING)
    following = current.find("\n## ", start)
    end = len(current) if following < 0 else following + 1
    section = current[:end].rstrip("\n") + "\n\n" + block.strip("\n") + "\n"
    rest = current[end:]
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(section + ("\n" + rest if rest else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repos", type=int, default=40)
    parser.add_argument("--files", type=int, default=80, help="Python modules per repository.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checkouts", type=Path, help="A folder of real checkouts (owner+repo folders).")
    parser.add_argument("--append-docs", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-deps-") as tmp:
        root = Path(tmp)
        if args.checkouts:
            repos = sorted(p for p in args.checkouts.iterdir() if p.is_dir() and not p.is_symlink())
            kind = "real repositories"
        else:
            repos = build_repositories(root / "repos", args.repos, args.files)
            kind = "generated repositories"
        (root / "baseline").mkdir()
        n_py = sum(1 for repo in repos for _ in repo.rglob("*.py"))
        n_nb = sum(1 for repo in repos for _ in repo.rglob("*.ipynb"))
        ours_1, rows_1, reports = run_ours(repos, workers=1)
        ours_n, rows_n, _ = run_ours(repos, workers=args.workers)
        base, base_lines, failed = run_baseline(repos, root / "baseline", strict=not args.checkouts)
    best = min(ours_1, ours_n)
    summary = (
        f"{len(repos)} {kind}, {n_py} .py files, {n_nb} notebooks: "
        f"pipreqs command per repo {base:.1f} s ({base_lines} requirement lines, {len(failed)} failed); "
        f"ours 1 worker {ours_1:.2f} s, {args.workers} workers {ours_n:.2f} s ({rows_n} dependency rows); "
        f"speed-up {base / ours_1:.0f}x (1 worker), {base / ours_n:.0f}x ({args.workers} workers)"
    )
    print(summary)
    assert rows_1 == rows_n
    agreement_lines = agreement(reports) if args.checkouts else []
    print("\n".join(agreement_lines))
    if args.append_docs:
        given = list(argv if argv is not None else sys.argv[1:])
        if args.checkouts:  # no path of this machine goes into the project's files
            given = ["<checkouts>" if a == str(args.checkouts) else a for a in given]
        argv_text = " ".join(["python", "benchmarks/bench_deps.py", *given])
        machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        baseline_command = "`pipreqs --use-local --mode no-pin --savepath <tmp>/<repo>.txt <repo>`"
        lines = [
            f"### Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({kind})",
            "",
            f"- Command: `{argv_text}`",
            f"- Machine: {machine}; load average at the end {load}",
            f"- Baseline: {baseline_command} once per repository, sequentially",
            f"- Result: {summary}",
            f"- Best speed-up: **{base / best:.0f}x**",
        ]
        if failed:
            lines.append(f"- pipreqs failed on: {', '.join(failed)}")
        if agreement_lines:
            lines += ["- Agreement with the published ICLR 2020 census on these repositories:"]
            lines += [f"  - {line}" for line in agreement_lines]
        append_docs("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
