"""Benchmark: the local executor against a 2-worker Dask cluster on this machine.

Three measurements, each with the real commands (``python -m audit ...``) and real processes:

1. A census of ``--repos`` generated repositories (default 200): ``audit clone`` and ``audit deps``
   with ``--executor local`` and with ``--executor dask`` against a ``dask scheduler`` and two
   ``dask worker --nthreads 1`` processes on 127.0.0.1. The outputs of both are compared (they must be
   byte-identical but for repos.csv's path and seconds columns).
2. A reproduction with ``--seeds`` seeds (default 4) of ``--paper``'s quick protocol: ``--runner
   local --jobs 2`` against ``--executor dask`` on the same two workers, each with a fresh state cache.
3. The scheduling overhead per task: ``--tasks`` no-op tasks through the Dask executor, minus nothing
   (a no-op costs nothing locally), divided by their number.
4. With ``--s3``, steps 1 and 2 once more with ``--store s3://bench/...``: object storage, served by
   moto's standalone S3 server on 127.0.0.1 (tests/core/s3_server.py), each worker with a temporary
   folder of its own: the cost of mirroring states and of a clone's archive round trip.

Usage::

    python benchmarks/bench_dask.py [--repos 200] [--seeds 4] [--tasks 500] [--s3] [--append-docs]

``--append-docs`` appends the results and the command to docs/benchmarks.md under
"## Distributed engine: local against a 2-worker Dask cluster".
"""

from __future__ import annotations

import argparse
import csv
import io
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

from core.executors import Task, make_executor  # noqa: E402
from tests.core.dask_cluster import running_cluster  # noqa: E402
from tests.core.s3_server import running_s3  # noqa: E402
from tests.crawlers.repo_factory import make_repo  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Distributed engine: local against a 2-worker Dask cluster"
MODULES = ["numpy", "torch", "scipy", "pandas", "sklearn", "tensorflow", "matplotlib", "yaml", "tqdm", "PIL"]
GH = "https://github.com/"
INTRO = (
    "The same commands with `--executor local` and `--executor dask` (a `dask scheduler` and two\n"
    "`dask worker --nthreads 1 --no-nanny` processes on 127.0.0.1, this machine's two cores). The\n"
    "outputs are compared in the run: byte-identical but for repos.csv's path and seconds."
)


def generate(root: Path, n: int) -> tuple[Path, Path]:
    """``n`` small repositories (5 modules, a requirements file) and a git config routing them."""
    rng = random.Random(0)
    rules = []
    for i in range(n):
        name = f"bench{i // 50}/repo{i}"
        files = {
            f"pkg/mod{j}.py": "".join(f"import {m}\n" for m in rng.sample(MODULES, 3)) + "x = 1\n"
            for j in range(5)
        }
        files["requirements.txt"] = "\n".join(rng.sample(MODULES[:6], 2)) + "\n"
        make_repo(root / name, files)
        rules.append(f'[url "file://{root / name}"]\n\tinsteadOf = {GH}{name}\n')
    config = root / "gitconfig"
    config.write_text("".join(rules) + "[protocol]\n\tallow = always\n")
    papers = root / "papers.csv"
    lines = ["forum,number,title,decision,accepted,code_url,repo_url,repo_subpath,host\n"]
    for i in range(n):
        url = f"{GH}bench{i // 50}/repo{i}"
        lines.append(f"f{i},{i},Paper {i},Accept (Poster),true,{url},{url},,github.com\n")
    papers.write_text("".join(lines))
    return config, papers


def audit(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "audit", *args], env=env, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start


def stores(work: Path, address: str, s3: bool) -> dict[str, list[str]]:
    """The runs to compare: local, Dask on a folder store, and (``s3``) Dask on object storage."""
    dask = ["--executor", "dask", "--scheduler", address]
    kinds = {"local": [], "dask": [*dask, "--store", str(work / "store")]}
    if s3:
        kinds["dask-s3"] = [*dask, "--store", f"s3://bench/{work.name}"]
    return kinds


def census(work: Path, papers: Path, address: str, env: dict[str, str], s3: bool) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for kind, extra in stores(work, address, s3).items():
        folder = work / kind
        folder.mkdir(parents=True)
        shutil.copy(papers, folder / "papers.csv")
        run_env = {**env, "AUDIT_CACHE_DIR": str(work / f"cache-{kind}")}
        seconds[f"clone {kind}"] = audit(["clone", str(folder), "--workers", "2", *extra], run_env)
        seconds[f"deps {kind}"] = audit(["deps", str(folder), "--workers", "2", *extra], run_env)
    kinds = list(stores(work, address, s3))
    for kind in kinds[1:]:
        for name in ("dependencies.csv", "frameworks.csv", "all_tools.csv", "repo_signals.csv"):
            assert (work / "local" / name).read_bytes() == (work / kind / name).read_bytes(), (kind, name)
    rows = {k: list(csv.DictReader(io.StringIO((work / k / "repos.csv").read_text()))) for k in kinds}
    strip = [[{c: v for c, v in r.items() if c not in ("path", "seconds")} for r in rows[k]] for k in rows]
    assert all(other == strip[0] for other in strip[1:])
    return seconds


def reproduce(
    work: Path, paper: str, seeds: int, address: str, env: dict[str, str], s3: bool
) -> dict[str, float]:
    seconds = {}
    for kind, extra in stores(work, address, s3).items():
        extra = extra or ["--jobs", "2"]
        run_env = {**env, "AUDIT_CACHE_DIR": str(work / f"repro-cache-{kind}")}
        args = ["reproduce", paper, "--protocol", "quick", "--seeds", str(seeds), "--runner", "local"]
        seconds[f"reproduce {kind}"] = audit([*args, "--out", str(work / f"repro-{kind}"), *extra], run_env)
    return seconds


def noop() -> None:
    return None


def overhead(address: str, n: int) -> float:
    executor = make_executor("dask", scheduler=address)
    try:
        list(executor.run([Task(f"warm {i}", noop) for i in range(20)]))
        start = time.perf_counter()
        list(executor.run([Task(f"noop {i}", noop) for i in range(n)]))
        return (time.perf_counter() - start) / n
    finally:
        executor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--paper", default="B1VZqjAcYX")
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--s3", action="store_true", help="also with object storage (an S3 server here)")
    parser.add_argument("--append-docs", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
        config, papers = generate(work / "forge", args.repos)
        git = {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}
        env.update(git)
        servers = running_s3(work / "s3", buckets=("bench",)) if args.s3 else iter([None])
        s3 = next(servers)
        worker_env = {**git, **(s3.env if s3 else {})}
        env.update(s3.env if s3 else {})
        clusters = running_cluster(work / "dask", env=worker_env)
        cluster = next(clusters)
        try:
            results = census(work / "census", papers, cluster.address, env, args.s3)
            results.update(
                reproduce(work / "reproduce", args.paper, args.seeds, cluster.address, env, args.s3)
            )
            per_task = overhead(cluster.address, args.tasks)
        finally:
            clusters.close()
            next(servers, None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [f"- {key}: {value:.1f} s" for key, value in results.items()]
    lines.append(
        f"- Scheduling overhead: {per_task * 1000:.1f} ms per task ({args.tasks} no-op tasks, 2 workers)"
    )
    report = "\n".join(lines)
    print(report)
    if args.append_docs:
        append_docs(args, report)


def append_docs(args: argparse.Namespace, report: str) -> None:
    command = (
        "python benchmarks/bench_dask.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("append_docs", "s3")
        )
        + (" --s3" if args.s3 else "")
        + " --append-docs"
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    section = (
        f"\n### Run of {when}\n\n- Command: `{command}`\n"
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average at the end {load}\n{report}\n"
    )
    text = DOCS.read_text()
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{INTRO}\n"
    DOCS.write_text(text.rstrip("\n") + "\n" + section)


if __name__ == "__main__":
    main()
